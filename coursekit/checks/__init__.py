"""Checks for the exercises: they pass a right answer, explain a wrong one in words a student understands, and grade.

``core`` holds the machinery (``Check``, ``CheckFailed``, ``working``; its docstring says how a check prints, grades
and watches what an answer calls). One module per notebook holds that notebook's checks with their hints, and lists
them in its ``__all__``: ``neurons`` (01), ``cnn`` (02), ``filters`` (03), ``pixelcnn`` (04), ``color`` (05),
``style`` (06), ``gans`` (07). Every check is available here by name, ``ck.checks.check_relu``, and listed in ``ALL``.
"""

from coursekit.checks import cnn, color, filters, gans, neurons, pixelcnn, style
from coursekit.checks.cnn import *  # noqa: F403
from coursekit.checks.color import *  # noqa: F403
from coursekit.checks.core import GENERIC_HINTS, MESSAGES, Check, CheckFailed, Trial, _qualified, working
from coursekit.checks.filters import *  # noqa: F403
from coursekit.checks.gans import *  # noqa: F403
from coursekit.checks.neurons import *  # noqa: F403
from coursekit.checks.pixelcnn import *  # noqa: F403
from coursekit.checks.style import *  # noqa: F403

MODULES = (neurons, cnn, filters, pixelcnn, color, style, gans)  # in the order of the notebooks

# every exercise's check, in the order of the notebooks
ALL: tuple[Check, ...] = tuple(getattr(module, name) for module in MODULES for name in module.__all__)



def messages() -> list[tuple[str, str]]:
    """Every message template the checks print, (key, English), in the order of the notebooks: what the French
    edition's catalog translates (``coursekit.i18n.messages_catalog_path``). Keys: "core:…" for ``MESSAGES``,
    "hint:…" for ``GENERIC_HINTS``, "NAME:KEY" for a check's own hints, "NAME:text:KEY" for the parts of hints it
    words itself and "NAME:why:WHAT" for why it forbids a function."""
    found = [(f"core:{key}", text) for key, text in MESSAGES.items()]
    found += [(f"hint:{key}", text) for key, text in GENERIC_HINTS.items()]
    for check in ALL:
        found += [(f"{check.name}:{key}", text) for key, text in check.hints.items()]
        found += [(f"{check.name}:text:{key}", text) for key, text in check.texts.items()]
        found += [(f"{check.name}:why:{_qualified(fn)}", why) for fn, why in check.forbidden.items()]
        found += [(f"{check.name}:why:{op}", why) for op, why in check.forbidden_ops.items()]
    return found


__all__ = ["ALL", "GENERIC_HINTS", "MESSAGES", "MODULES", "Check", "CheckFailed", "Trial", "messages", "working",
           *(name for module in MODULES for name in module.__all__)]
