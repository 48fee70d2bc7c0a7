"""Runtime: the device, the seeds, ``setup``, and how a notebook shows code and progress.

Every notebook starts with ``ck.setup(seed=0)`` (it prints the device and the mode once) and takes each of its
budgets from ``ck.budget(fast=..., full=...)`` in a single settings cell. That is the only difference between the two
modes: ``COURSEKIT_FAST=1`` (set by the tests and CI) shrinks steps, image sizes and sample counts; the code path is
the same.

The mode itself, the course's folders and its atomic writes are in ``coursekit.environment``, which needs no torch.
Also here, what the other modules share: the device a model lives on (``device_of``), random numbers drawn on
the CPU and moved to a device (``uniform``, ``normal``, ``integers``), so that a seed gives the same numbers on a GPU,
inference in batches of bounded memory (``in_batches``) and the check that images are in [0, 1]
(``check_unit_range``). This module imports only ``coursekit.environment``: everything
else builds on the two.

Used by every notebook, first in 01 «Calculs dans un réseau de neurones».
"""

from __future__ import annotations

import inspect
import itertools
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Code, display
from tqdm.auto import tqdm

from coursekit.environment import FAST_ENV, PROJECT_ROOT, is_fast, package_version
from coursekit.i18n import speak_edition


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
    """The first code cell of every notebook: seed everything, pick the device, print both and the mode once; in the
    French edition, what the notebook prints and draws is shown in French from here on (``speak_edition``)."""
    speak_edition()
    seed_everything(seed)
    dev = device()
    if dev.type == "cuda":
        # full float32 in cuDNN's convolutions (TF32 is torch's default there): notebook 04 compares two samplers
        # pixel for pixel, and a rounding difference in one logit can flip a draw
        torch.backends.cudnn.allow_tf32 = False
    fast = is_fast()
    mode = f"fast mode ({FAST_ENV}=1)" if fast else "full mode"
    print(f"coursekit {package_version()} · torch {torch.__version__} · device: {dev} · {mode} · seed {seed}")
    return dev


def device_of(model: torch.nn.Module) -> torch.device:
    """Where a model's parameters (or, without any, its buffers) are: where the tensors made for it belong. The
    building blocks take their device from their model or their inputs this way, never from a default."""
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        return tensor.device
    return torch.device("cpu")


def uniform(shape, generator: torch.Generator | None, device) -> torch.Tensor:
    """U[0, 1) numbers of ``shape`` drawn on the CPU, from ``generator`` (None: torch's global one, which
    ``ck.setup`` seeds), then moved to ``device``: the same numbers for the same seed on every device. ``device`` has
    no default, so that no caller can forget to say where the numbers go."""
    return torch.rand(shape, generator=generator, device="cpu").to(device)


def normal(shape, generator: torch.Generator | None, device) -> torch.Tensor:
    """N(0, 1) numbers of ``shape``, drawn on the CPU and moved to ``device`` as ``uniform`` draws them."""
    return torch.randn(shape, generator=generator, device="cpu").to(device)


def integers(high: int, shape, generator: torch.Generator | None, device) -> torch.Tensor:
    """Integers in {0, …, high − 1} of ``shape``, drawn on the CPU and moved to ``device`` as ``uniform`` draws
    them (indices into a dataset: minibatches)."""
    return torch.randint(0, high, shape, generator=generator, device="cpu").to(device)


def in_batches(fn: Callable[..., torch.Tensor], *tensors: torch.Tensor | None, batch_size: int,
               device=None) -> torch.Tensor:
    """``fn`` applied to consecutive slices of ``batch_size`` items of ``tensors`` (all of the same length; None
    is passed on as None), the results concatenated along the first dimension: batched inference within a bounded
    memory. With ``device`` (a model's: ``device_of``), each slice is moved there and each result back to the
    inputs' device, so that a model on a GPU can take a dataset that stays on the CPU."""
    first = next(t for t in tensors if t is not None)
    if len(first) == 0:
        raise ValueError("in_batches needs at least one item.")
    back = first.device if device is not None else None
    out = None
    for i in range(0, len(first), batch_size):
        result = fn(*(None if t is None else t[i:i + batch_size].to(device) for t in tensors)).to(back)
        if len(result) != min(batch_size, len(first) - i):
            raise ValueError(f"in_batches needs one result per item: {len(result)} for a slice of "
                             f"{min(batch_size, len(first) - i)}.")
        if out is None:
            # the whole result, allocated once: small results kept between each batch's large temporaries made the C
            # allocator keep 3 GB it could not reuse (notebook 05's 1,000 scenes decoded 4 at a time)
            out = torch.empty((len(first), *result.shape[1:]), dtype=result.dtype, device=result.device)
        out[i:i + len(result)] = result
    return out


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

