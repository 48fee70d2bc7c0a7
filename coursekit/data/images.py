"""Reading one image from a file or a URL, whatever a student hands in, as a (3, H, W) tensor in [0, 1].

A grayscale image is repeated on three channels and an RGBA image loses its alpha channel, each with a note; an
image larger than ``max_side`` is resized (with a note) so that a 6,000-pixel photo does not exhaust memory or
patience; a file that is not an image gets an error that says so. A URL is downloaded once into the cache with
``download.download`` (atomic, verified when a SHA-256 is given). ``as_rgb`` does the same for an image already in
memory (a PIL image, a numpy array, a tensor). Notebooks 05 and 06 read content and style images this way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.data.download import download
from coursekit.runtime import data_dir


def _local(source: str | Path, sha256: str | None) -> Path:
    text = str(source)
    if text.startswith(("http://", "https://")):
        suffix = Path(text.split("?")[0]).suffix or ".img"
        name = hashlib.sha256(text.encode()).hexdigest()[:16] + suffix
        return download(text, data_dir() / "images" / name, sha256=sha256)
    path = Path(source).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}: check the path (it is relative to the notebook's folder, "
                                f"{Path.cwd()}).")
    return path


def read_image(source: str | Path, max_side: int | None = 1024, sha256: str | None = None,
               verbose: bool = True) -> torch.Tensor:
    """The image at ``source`` (a path or an http(s) URL) as an RGB (3, H, W) float32 tensor in [0, 1].

    max_side: a larger image is resized, keeping its aspect, so that its longer side is ``max_side`` pixels
    (None keeps every image as it is). sha256: the expected checksum of a downloaded file.
    """
    from PIL import Image, UnidentifiedImageError

    path = _local(source, sha256)
    try:
        with Image.open(path) as img:
            img.load()
            mode, size = img.mode, img.size
            if mode in ("L", "1", "I", "I;16", "F", "LA"):
                note = f"{path.name} is grayscale ({mode}); its gray is repeated on the R, G and B channels."
            elif mode in ("RGBA", "PA") or (mode == "P" and "transparency" in img.info):
                note = f"{path.name} has an alpha channel ({mode}); transparency is dropped."
            else:
                note = ""
            rgb = np.array(img.convert("RGB"))
    except UnidentifiedImageError as err:
        raise ValueError(f"{path} is not an image that Pillow can read (PNG, JPEG, …); pick an image file.") from err
    if note and verbose:
        print(f"note: {note}")
    image = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255
    return _limit_size(image, max_side, path.name, verbose)


def _limit_size(image: torch.Tensor, max_side: int | None, name: str, verbose: bool) -> torch.Tensor:
    # resize (3, H, W) so that its longer side is at most max_side, with a note
    h, w = image.shape[-2:]
    if max_side is not None and max(h, w) > max_side:
        scale = max_side / max(h, w)
        new = (max(1, round(h * scale)), max(1, round(w * scale)))
        image = F.interpolate(image[None], size=new, mode="bilinear", antialias=True, align_corners=False)[0]
        if verbose:
            print(f"note: {name} is {w}×{h}; resized to {new[1]}×{new[0]} (longer side {max_side}).")
    return image.clamp(0, 1)


def as_rgb(image, max_side: int | None = None, name: str = "the image", verbose: bool = True) -> torch.Tensor:
    """Whatever a student hands in, as an RGB (3, H, W) float32 tensor in [0, 1], saying what was converted.

    image: a path or URL (read with ``read_image``); a PIL image; a numpy array (H, W), (H, W, C) as uint8 0–255 or
    float 0–1; or a tensor (H, W), (C, H, W) or (1, C, H, W) in [0, 1]. One channel (grayscale) is repeated on R, G
    and B, and a fourth channel (alpha) is dropped, each with a note; an image whose longer side exceeds
    ``max_side`` is resized with a note.
    """
    import numpy as np

    if isinstance(image, (str, Path)):
        return read_image(image, max_side=max_side, verbose=verbose)
    if type(image).__module__.startswith("PIL."):
        image = np.array(image)
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8:
            image = image.astype(np.float32) / 255
        tensor = torch.as_tensor(np.asarray(image, dtype=np.float32))
        if tensor.ndim == 3:
            tensor = tensor.permute(2, 0, 1)  # (H, W, C) → (C, H, W)
    elif isinstance(image, torch.Tensor):
        tensor = image.detach().float().cpu()
        if tensor.ndim == 4 and tensor.shape[0] == 1:
            tensor = tensor[0]
    else:
        raise TypeError(f"{name} must be a path, a PIL image, a numpy array or a torch tensor, "
                        f"got {type(image).__name__}.")
    if tensor.ndim == 2:
        tensor = tensor[None]
    if tensor.ndim != 3 or tensor.shape[0] not in (1, 3, 4):
        raise ValueError(f"{name} must have 1 (gray), 3 (RGB) or 4 (RGBA) channels, shaped (C, H, W) or (H, W, C); "
                         f"got shape {tuple(tensor.shape)}.")
    if tensor.numel() and (tensor.min() < 0 or tensor.max() > 1):
        raise ValueError(f"{name} has values in [{tensor.min():.3g}, {tensor.max():.3g}]; expected [0, 1] "
                         "(divide 0–255 values by 255).")
    if tensor.shape[0] == 1:
        if verbose:
            print(f"note: {name} is grayscale; its gray is repeated on the R, G and B channels.")
        tensor = tensor.expand(3, -1, -1)
    elif tensor.shape[0] == 4:
        if verbose:
            print(f"note: {name} has an alpha channel (RGBA); transparency is dropped.")
        tensor = tensor[:3]
    return _limit_size(tensor.contiguous(), max_side, name, verbose)
