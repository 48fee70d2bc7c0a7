"""Checkpoints: small trained models shipped in ``data/checkpoints/``, each able to say how it was made.

A checkpoint is a plain dictionary saved with ``torch.save`` and read back with ``torch.load(weights_only=True)``,
which only unpickles tensors and Python primitives (never arbitrary objects):

    {"format": "coursekit-checkpoint", "format_version": 1, "name": "digit_cnn",
     "config": {...the model's hyperparameters...}, "state_dict": {...tensors...},
     "metrics": {...what was measured after training...},
     "training": {"command": "python -m coursekit.train digit_cnn", "data": ..., "steps": ..., "seconds": ...}}

Loading checks the format, the name and the configuration, and says what to do when one does not match (a checkpoint
from another version of the course, or from another model), rather than failing deep inside ``load_state_dict``.
Files are written to a temporary name and renamed, so a crash never leaves a half-written checkpoint.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch

from coursekit.environment import atomic_file, shipped_dir

FORMAT = "coursekit-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used; the message says why and how to make a good one."""


def checkpoint_path(name: str) -> Path:
    """Where the shipped checkpoint ``name`` lives: ``data/checkpoints/NAME.pt``."""
    return shipped_dir() / "checkpoints" / f"{name}.pt"


def save(path: Path, model: torch.nn.Module, name: str, config: dict, metrics: dict, training: dict,
         half: bool = False) -> Path:
    """Save ``model``'s weights with its configuration, metrics and training record; return the path.

    half: store floating-point tensors as float16, halving the file (loading casts them back to the model's
    float32). Measure the metrics on ``halved(model)`` first, so that they are those of the weights shipped.
    """
    payload = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": name, "config": dict(config),
        "state_dict": {k: _stored(v, half) for k, v in model.state_dict().items()},
        "metrics": dict(metrics), "training": dict(training),
    }
    with atomic_file(path) as f:
        torch.save(payload, f)
    return Path(path)


def _stored(tensor: torch.Tensor, half: bool) -> torch.Tensor:
    tensor = tensor.detach().cpu()
    return tensor.half() if half and tensor.is_floating_point() else tensor


@torch.no_grad()
def halved(model: torch.nn.Module) -> torch.nn.Module:
    """Round ``model``'s floating-point weights and buffers to float16 precision in place (they stay float32), as a
    checkpoint saved with ``half=True`` will give them back; return the model."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        if tensor.is_floating_point():
            tensor.copy_(tensor.half().float())
    return model


def load(path: Path, name: str, config: dict | None = None, added: dict | None = None) -> dict:
    """Read the checkpoint at ``path`` and check that it is the model ``name`` with ``config``; return its dict.

    added: configuration fields introduced after some checkpoints were made, each with the value that builds the
    model those checkpoints hold; a file without such a field is read as having that value.

    Raises ``CheckpointError`` for a missing, corrupt or foreign file, another format version, another model or
    another configuration, with the command that makes a matching checkpoint.
    """
    path = Path(path)
    remake = f"make a new one with `python -m coursekit.train {name}`"
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; {remake}.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's own message advises weights_only=False: never, for a file of unknown origin (it may run code)
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        what = (f"holds Python objects ({found[1]}) other than tensors, numbers and strings, which coursekit does not "
                "unpickle (unpickling can run any code). It is not a coursekit checkpoint" if found else
                "is not a readable coursekit checkpoint (corrupt, or another kind of file)")
        raise CheckpointError(f"{path.name} {what}; {remake}.") from None
    except (RuntimeError, EOFError, OSError) as err:
        reason = "it is empty, 0 bytes: a copy or a download cut short?" if path.stat().st_size == 0 else \
            (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CheckpointError(f"{path.name} is not a readable coursekit checkpoint ({reason}); {remake}.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a coursekit checkpoint (a bare state_dict or another program's "
                              f"file?); {remake}.")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path.name} was written by another version of coursekit (checkpoint format "
                              f"{payload.get('format_version')}, this version reads {FORMAT_VERSION}); {remake}.")
    if payload.get("name") != name:
        raise CheckpointError(f"{path.name} holds the model {payload.get('name')!r}, not {name!r}.")
    saved = {**(added or {}), **payload.get("config", {})}
    if config is not None and saved != dict(config):
        wanted = dict(config)
        diff = ", ".join(f"{k}: {saved.get(k)!r} in the file, {wanted.get(k)!r} asked for"
                         for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k))
        raise CheckpointError(f"{path.name} was trained with another configuration ({diff}); {remake}, or build the "
                              "model with the checkpoint's configuration.")
    return payload


def load_shipped(model: torch.nn.Module, name: str, config: dict, added: dict | None = None) -> torch.nn.Module:
    """Load the shipped checkpoint ``name`` into ``model`` (built with ``config``; ``added`` as for ``load``);
    return the model.

    The model also gets ``.metrics`` (measured when it was trained) and ``.training_record`` (command, data, steps).
    """
    payload = load(checkpoint_path(name), name, config, added)
    model.load_state_dict(payload["state_dict"])
    model.metrics = payload["metrics"]
    model.training_record = payload["training"]
    return model
