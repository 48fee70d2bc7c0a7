"""Reading one image from a file or a URL, whatever a student hands in, as a (3, H, W) tensor in [0, 1].

A grayscale image is repeated on three channels and an RGBA image loses its alpha channel, each with a note; an
image larger than ``max_side`` is resized (with a note) so that a 6,000-pixel photo does not exhaust memory or
patience; a file that is not an image gets an error that says so. A URL is downloaded once into the cache with
``download.download`` (atomic, verified when a SHA-256 is given). Notebooks 05 and 06 read content and style images
this way.
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
    w, h = size
    if max_side is not None and max(h, w) > max_side:
        scale = max_side / max(h, w)
        new = (max(1, round(h * scale)), max(1, round(w * scale)))
        image = F.interpolate(image[None], size=new, mode="bilinear", antialias=True, align_corners=False)[0]
        if verbose:
            print(f"note: {path.name} is {w}×{h}; resized to {new[1]}×{new[0]} (longer side {max_side}).")
    return image.clamp(0, 1)
