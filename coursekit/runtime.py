"""Runtime: the device, the seeds, the fast/full switch, where data lives, and how a notebook shows code.

Every notebook starts with ``ck.setup(seed=0)`` (it prints the device and the mode once) and takes each of its
budgets from ``ck.budget(fast=..., full=...)`` in a single settings cell. That is the only difference between the two
modes: ``COURSEKIT_FAST=1`` (set by the tests and CI) shrinks steps, image sizes and sample counts; the code path is
the same.

Also here, the small mechanisms the other modules share, each written once: the course's folders
(``course_folder``), files written whole or not at all (``atomic_file``, ``write_atomically``), and inference in
batches of bounded memory (``in_batches``). This module imports nothing of the package: everything else builds on it.

Used by every notebook, first in 01 «Calculs dans un réseau de neurones».
"""

from __future__ import annotations

import contextlib
import inspect
import os
import random
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Code, display
from tqdm.auto import tqdm

T = TypeVar("T")

FAST_ENV = "COURSEKIT_FAST"
DATA_ENV = "COURSEKIT_DATA"

# The folder of the package's checkout: notebooks/, data/ and build/ sit beside coursekit/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def is_fast() -> bool:
    """True when ``COURSEKIT_FAST=1``; False when it is unset, empty or ``0``.

    Any other value is refused rather than guessed at: ``COURSEKIT_FAST=yes`` would otherwise silently mean "full
    mode" to one reader and "fast mode" to another.
    """
    value = os.environ.get(FAST_ENV, "").strip()
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    raise ValueError(
        f"{FAST_ENV}={value!r} is not understood: set {FAST_ENV}=1 for fast mode (small budgets, as in the tests) "
        f"or {FAST_ENV}=0 (or leave it unset) for full mode."
    )


def budget(*, fast: T, full: T) -> T:
    """The value for the current mode: ``fast`` under ``COURSEKIT_FAST=1``, ``full`` otherwise.

    >>> steps = budget(fast=200, full=3000)
    """
    return fast if is_fast() else full


def mode_name() -> str:
    """``"fast"`` or ``"full"``, for the line a notebook prints in its setup cell."""
    return "fast" if is_fast() else "full"


def device(name: str | None = None) -> torch.device:
    """The device to compute on: CUDA if there is a GPU, then Apple's MPS, then the CPU.

    ``name`` ("cpu", "cuda", "cuda:1", "mps") asks for one device; if it is not available the error says what is.
    """
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")

    try:
        wanted = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"device {name!r} is not a device name; use 'cpu', 'cuda' or 'mps'.") from err
    if wanted.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device {name!r} was asked for, but PyTorch sees no CUDA GPU on this machine "
            "(torch.cuda.is_available() is False). Use ck.device() to take the best available device, "
            "or on Colab choose Runtime → Change runtime type → GPU."
        )
    if wanted.type == "cuda" and wanted.index is not None and wanted.index >= torch.cuda.device_count():
        raise RuntimeError(
            f"device {name!r} was asked for, but this machine has {torch.cuda.device_count()} GPU(s), "
            f"numbered from 0."
        )
    if wanted.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError(f"device {name!r} was asked for, but Apple's MPS is not available here.")
    return wanted


def seed_everything(seed: int) -> int:
    """Seed Python's, NumPy's and PyTorch's random generators (CPU and every GPU) so that a run repeats.

    Returns the seed, so that a notebook can print it.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds the CPU and all CUDA devices
    return seed


def setup(seed: int = 0) -> torch.device:
    """The first code cell of every notebook: seed everything, pick the device, print both and the mode once."""
    seed_everything(seed)
    dev = device()
    fast = is_fast()
    mode = f"fast mode ({FAST_ENV}=1)" if fast else "full mode"
    print(f"coursekit {package_version()} · torch {torch.__version__} · device: {dev} · {mode} · seed {seed}")
    return dev


def data_dir() -> Path:
    """Where downloaded datasets and weights are cached (created on first use).

    ``COURSEKIT_DATA`` chooses the folder. Otherwise it is ``data/downloads/`` of this checkout (ignored by git), or,
    when the package is installed without its checkout, ``~/.cache/coursekit``.
    """
    chosen = os.environ.get(DATA_ENV, "").strip()
    if chosen:
        path = Path(chosen).expanduser()
    elif (PROJECT_ROOT / "data").is_dir():
        path = PROJECT_ROOT / "data" / "downloads"
    else:
        path = Path.home() / ".cache" / "coursekit"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RuntimeError(
            f"the data folder {path} cannot be created ({err.strerror}); set {DATA_ENV} to a folder you can write to."
        ) from err
    return path


def course_folder(name: str) -> Path:
    """A folder of the course's checkout beside ``coursekit/`` (``data``, ``notebooks``), which an installed package
    without its checkout does not have: ``FileNotFoundError`` then says how to install it."""
    path = PROJECT_ROOT / name
    if not path.is_dir():
        raise FileNotFoundError(
            f"the course's {name}/ folder is not at {path}: install coursekit from a clone of the course with "
            '`python -m pip install -e ".[dev]"`.'
        )
    return path


def shipped_dir() -> Path:
    """The course's own ``data/`` folder (checkpoints, reference arrays, sources and licences)."""
    return course_folder("data")


def notebooks_dir() -> Path:
    """The course's ``notebooks/`` folder (the solution versions)."""
    return course_folder("notebooks")


def package_version() -> str:
    """The installed coursekit's version (pyproject.toml's), as ``ck.setup`` prints it."""
    try:
        return version("coursekit")
    except PackageNotFoundError:  # the source tree on sys.path without being installed
        return "(not installed)"


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb"):
    """Open a temporary file beside ``path`` for writing and yield it; when the block ends without an error, the file
    replaces ``path`` in one rename, readable by all (mode 644, whatever the umask). A crash or an error leaves
    ``path`` as it was and no partial file behind. The folder is created when missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=path.name + ".", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.chmod(partial, 0o644)  # mkstemp makes the file private
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def write_atomically(path: Path, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8, or bytes) to ``path`` through ``atomic_file``: whoever reads ``path`` sees
    the old file or the whole new one, never half of it. Returns ``path``."""
    with atomic_file(path, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)
    return Path(path)


def in_batches(fn: Callable[..., torch.Tensor], *tensors: torch.Tensor | None, batch_size: int) -> torch.Tensor:
    """``fn`` applied to consecutive slices of ``batch_size`` items of ``tensors`` (all of the same length; None
    is passed on as None), the results concatenated along the first dimension: batched inference within a bounded
    memory."""
    n = len(next(t for t in tensors if t is not None))
    return torch.cat([fn(*(None if t is None else t[i:i + batch_size] for t in tensors))
                      for i in range(0, n, batch_size)])


def progress(iterable, **kwargs):
    """A tqdm progress bar for long loops, silent in fast mode (so the tests' logs stay readable)."""
    kwargs.setdefault("disable", is_fast())
    return tqdm(iterable, **kwargs)


def source(obj) -> str:
    """The annotated source code of a coursekit building block (function, class or module), as text. A decorated
    function (``@torch.no_grad()``) shows its own code, not the decorator's wrapper."""
    obj = inspect.unwrap(obj) if callable(obj) else obj
    try:
        code = inspect.getsource(obj)
        where = f"{inspect.getsourcefile(obj)}:{inspect.getsourcelines(obj)[1]}"
    except (TypeError, OSError) as err:
        raise TypeError(
            f"show() takes a function, class or module whose source is available, got {type(obj).__name__}."
        ) from err
    try:
        where = str(Path(where).relative_to(PROJECT_ROOT))
    except ValueError:
        pass
    return f"# {where}\n{code}"


def show(obj) -> None:
    """Display a building block's annotated source: highlighted in a notebook, plain text elsewhere.

    >>> show(ck.neuron.relu)   # in notebook 01
    """
    text = source(obj)
    if get_ipython() is None:
        print(text)
    else:
        display(Code(text, language="python"))


def check_unit_range(x: torch.Tensor, name: str, slack: float = 0.05) -> None:
    """Refuse ``x`` unless it is a float tensor with values in [0, 1] (``slack`` allowed either side, for a resize's
    overshoot): 0–255 values, an integer dtype or a NaN get a ``ValueError`` that names the range and the fix."""
    if not torch.is_floating_point(x):
        raise ValueError(f"{name} is a {x.dtype} tensor; expected float values in [0, 1]. Convert it: x.float() / 255 "
                         "for 0–255 images.")
    if not x.numel():
        return
    low, high = torch.aminmax(x.detach())
    if torch.isnan(low) or torch.isnan(high):
        raise ValueError(f"{name} contains NaN; expected values in [0, 1]. A NaN usually comes from a division by "
                         "zero or a diverging optimisation upstream.")
    if low < -slack or high > 1 + slack:
        hint = " Divide 0–255 values by 255." if high > 1 + slack and low >= 0 else \
            " Images in [−1, 1] go back with (x + 1) / 2." if low >= -1 - slack and high <= 1 + slack else ""
        raise ValueError(f"{name} has values in [{low.item():.4g}, {high.item():.4g}]; expected [0, 1].{hint}")

