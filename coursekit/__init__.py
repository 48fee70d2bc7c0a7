"""coursekit: the building blocks of the course "image generation with deep learning".

Notebooks start with one import line, ``import coursekit as ck``, then ``ck.setup(seed=0)``. One module per lecture
concept (``ck.neuron`` for notebook 01, ``ck.conv``, ``ck.loss``, ``ck.descent``, ``ck.training`` and ``ck.models``
for 02, …, ``ck.color`` for 05, ``ck.gram`` and ``ck.features`` for 06), the course's data in ``ck.data``; the
helpers of ``coursekit.runtime`` and ``coursekit.environment`` (``ck.device``, ``ck.budget``, ``ck.show``, …) sit at
the top level. The commands around them are modules of their own, not imported here: ``coursekit.train`` (the
checkpoints' recipes), ``coursekit.cli`` and what it runs.

Each module is imported the first time it is used (``ck.gan`` imports ``coursekit.gan``; PEP 562's module
``__getattr__``), so that a process that needs one part, such as nbgrader loading ``coursekit.grading`` or a notebook
that never touches the GANs, does not pay for all of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = [
    "budget", "checkpoints", "checks", "color", "conv", "data", "data_dir", "descent", "device", "efros_leung",
    "features", "gan", "gram", "is_fast", "loss", "mode_name", "models", "neuron", "pix2pix", "pixelcnn", "plot",
    "progress", "seed_everything", "setup", "shipped_dir", "show", "source", "toy", "training", "visualize",
]
# the helpers at the top level, from coursekit.environment (no torch) and coursekit.runtime
_HELPERS = {**dict.fromkeys(("budget", "data_dir", "is_fast", "mode_name", "shipped_dir"), "coursekit.environment"),
            **dict.fromkeys(("device", "progress", "seed_everything", "setup", "show", "source"), "coursekit.runtime")}
# every other name is a module (ck.toy: the toy data, coursekit.data.toy)
_MODULES = {name: "coursekit.data.toy" if name == "toy" else f"coursekit.{name}"
            for name in __all__ if name not in _HELPERS}

if TYPE_CHECKING:  # what the lazy imports give, for type checkers and editors
    from coursekit import (checkpoints, checks, color, conv, data, descent, efros_leung, features, gan, gram, loss,
                           models, neuron, pix2pix, pixelcnn, plot, training, visualize)
    from coursekit.data import toy
    from coursekit.environment import budget, data_dir, is_fast, mode_name, shipped_dir
    from coursekit.runtime import device, progress, seed_everything, setup, show, source


def __getattr__(name: str):
    """``ck.NAME``: the module or runtime helper, imported on first use and kept as an attribute."""
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _HELPERS:
        value = getattr(importlib.import_module(_HELPERS[name]), name)
    elif name == "__version__":
        value = importlib.import_module("coursekit.environment").package_version()
    else:
        raise AttributeError(f"module 'coursekit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__, "__version__"])
