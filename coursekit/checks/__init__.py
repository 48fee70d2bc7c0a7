"""Checks for the exercises: they pass a right answer, explain a wrong one in words a student understands, and grade.

``core`` holds the machinery (``Check``, ``CheckFailed``, ``working``; its docstring says how a check prints, grades
and watches what an answer calls). One module per notebook holds that notebook's checks with their hints, and lists
them in its ``__all__``: ``neurons`` (01), ``cnn`` (02), ``filters`` (03), ``pixelcnn`` (04), ``color`` (05),
``style`` (06), ``gans`` (07). Every check is available here by name, ``ck.checks.check_relu``, and listed in ``ALL``.
"""

from coursekit.checks import cnn, color, filters, gans, neurons, pixelcnn, style
from coursekit.checks.cnn import *  # noqa: F403
from coursekit.checks.color import *  # noqa: F403
from coursekit.checks.core import GENERIC_HINTS, Check, CheckFailed, Trial, working
from coursekit.checks.filters import *  # noqa: F403
from coursekit.checks.gans import *  # noqa: F403
from coursekit.checks.neurons import *  # noqa: F403
from coursekit.checks.pixelcnn import *  # noqa: F403
from coursekit.checks.style import *  # noqa: F403

MODULES = (neurons, cnn, filters, pixelcnn, color, style, gans)  # in the order of the notebooks

# every exercise's check, in the order of the notebooks
ALL: tuple[Check, ...] = tuple(getattr(module, name) for module in MODULES for name in module.__all__)

__all__ = ["ALL", "GENERIC_HINTS", "MODULES", "Check", "CheckFailed", "Trial", "working",
           *(name for module in MODULES for name in module.__all__)]
