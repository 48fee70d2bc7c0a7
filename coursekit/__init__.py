"""coursekit: the building blocks of the course "image generation with deep learning".

Notebooks start with one import line, ``import coursekit as ck``, then ``ck.setup(seed=0)``. One module per lecture
concept (``ck.neuron`` for notebook 01, ``ck.conv``, ``ck.loss``, ``ck.descent``, ``ck.training`` and ``ck.models``
for 02, …, ``ck.color`` for 05, ``ck.gram`` and ``ck.features`` for 06), the course's data in ``ck.data``; runtime
helpers (``ck.device``, ``ck.budget``, ``ck.show``, …) sit at the top level. The commands around them are modules of
their own, not imported here: ``coursekit.train`` (the checkpoints' recipes), ``coursekit.cli`` and what it runs.
"""

from coursekit import (
    checkpoints,
    checks,
    color,
    conv,
    data,
    descent,
    efros_leung,
    features,
    gan,
    gram,
    loss,
    models,
    neuron,
    pix2pix,
    pixelcnn,
    plot,
    training,
    visualize,
)
from coursekit.data import toy
from coursekit.runtime import (
    budget,
    data_dir,
    device,
    is_fast,
    mode_name,
    package_version,
    progress,
    seed_everything,
    setup,
    shipped_dir,
    show,
    source,
)

__version__ = package_version()

__all__ = [
    "budget", "checkpoints", "checks", "color", "conv", "data", "data_dir", "descent", "device", "efros_leung",
    "features", "gan", "gram", "is_fast", "loss", "mode_name", "models", "neuron", "pix2pix", "pixelcnn", "plot",
    "progress", "seed_everything", "setup", "shipped_dir", "show", "source", "toy", "training", "visualize",
]
