"""coursekit: the building blocks of the course "image generation with deep learning".

Notebooks start with one import line, ``import coursekit as ck``, then ``ck.setup(seed=0)``. One module per lecture
concept (``ck.neuron`` for notebook 01, …); runtime helpers (``ck.device``, ``ck.budget``, ``ck.show``, …) sit at the
top level.
"""

__version__ = "0.1.0"

from coursekit import checks, neuron, plot
from coursekit.data import toy
from coursekit.runtime import (
    budget,
    data_dir,
    device,
    is_fast,
    mode_name,
    progress,
    seed_everything,
    setup,
    shipped_dir,
    show,
    source,
)

__all__ = [
    "budget", "checks", "data_dir", "device", "is_fast", "mode_name", "neuron", "plot", "progress",
    "seed_everything", "setup", "shipped_dir", "show", "source", "toy",
]
