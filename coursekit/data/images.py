"""Reading one image from a file or a URL, whatever a student hands in, as a (3, H, W) tensor in [0, 1].

A grayscale image is repeated on three channels and an RGBA image loses its alpha channel, each with a note; 16-bit
and floating-point images are scaled to [0, 1], and a phone's photo is turned upright by its EXIF orientation. An
image larger than ``max_side`` is shrunk while it is read and resized (with a note), so that a 48-megapixel photo
does not exhaust memory or patience; a file that is not an image, a truncated one, or a decompression bomb gets an
error that says so. A URL is downloaded once into the cache with ``download.download`` (atomic, verified when a
SHA-256 is given); a cached copy that turns out not to decode is removed, so that the next call downloads it again.
``as_rgb`` does the same for an image already in memory (a PIL image, a numpy array, a tensor). Notebooks 05 and 06
read content and style images this way.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from coursekit.data.download import download
from coursekit.environment import data_dir
from coursekit.runtime import check_unit_range


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

    It is turned upright by its EXIF orientation (a phone's portrait photo); 16-bit and floating-point images are
    scaled to [0, 1] with a note. A large image is shrunk while it is read (a JPEG decoded at 1/2, 1/4 or 1/8 of its
    size, then reduced by whole blocks of pixels), so that an 8000×6000 photo takes tens of megabytes, not
    gigabytes; an image over Pillow's decompression-bomb limit is refused.
    """
    path = _local(source, sha256)
    try:
        pixels, note, original = _decode(path, max_side)
    except _Undecodable:
        if str(source).startswith(("http://", "https://")) and sha256 is None:
            # the cached download: a transfer cut short without a length header or a checksum looks complete, so it
            # is only found out here. The course made this file; removed, the next call downloads it afresh.
            path.unlink(missing_ok=True)
            raise ValueError(f"the image downloaded from {source} cannot be read (truncated, or not an image); its "
                             "copy was removed from the cache: run this again to download it afresh.") from None
        raise
    return _as_image(pixels, note, max_side, path.name, verbose, original)


def _as_image(pixels: np.ndarray, note: str, max_side: int | None, name: str, verbose: bool,
              original: tuple[int, int] | None = None) -> torch.Tensor:
    """Pixels from ``_pixels`` as an RGB (3, H, W) tensor, its note printed, resized to ``max_side``."""
    if note and verbose:
        print(f"note: {note}")
    image = torch.from_numpy(pixels)
    image = image[None].expand(3, -1, -1) if image.ndim == 2 else image.permute(2, 0, 1)
    return _limit_size(image.contiguous(), max_side, name, verbose, original)


class _Undecodable(ValueError):
    """The file is not an image Pillow can read, or it is cut short."""


def _decode(path: Path, max_side: int | None) -> tuple[np.ndarray, str, tuple[int, int]]:
    """The pixels of the image file at ``path`` (see ``_pixels``), the note, and the upright (W, H) of the file."""
    try:
        with warnings.catch_warnings():
            # between Pillow's warning and its error (90 to 180 megapixels): large, read reduced below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                original = img.size
                if max_side is not None and img.format == "JPEG":
                    img.draft(img.mode, (max_side, max_side))  # decoded at the smallest scale still ≥ max_side
                img.load()
                upright = ImageOps.exif_transpose(img)
                if upright.size != img.size:  # turned a quarter: its width is the file's height
                    original = original[::-1]
                pixels, note = _pixels(upright, path.name, max_side)
    except Image.DecompressionBombError as err:
        raise ValueError(f"{path} is too large to read safely ({err}). It may be a decompression bomb; if it is a real "
                         "image, shrink it with an image editor first.") from err
    except UnidentifiedImageError as err:
        raise _Undecodable(f"{path} is not an image that Pillow can read (PNG, JPEG, …); pick an image file.") \
            from err
    except OSError as err:  # a truncated or corrupt file, found while decoding
        raise _Undecodable(f"{path} could not be read to the end ({err}): the file is truncated or corrupt. Copy "
                           "or download it again.") from err
    return pixels, note, original


def _shrunk(img, max_side: int | None):
    """``img`` reduced by whole blocks of pixels (a box average) while its longer side stays ≥ 2 × max_side: the
    exact resize to ``max_side`` follows on a much smaller image."""
    factor = 1 if max_side is None else max(img.size) // (2 * max_side)
    return img.reduce(factor) if factor > 1 else img


def _pixels(img, name: str, max_side: int | None) -> tuple[np.ndarray, str]:
    """An open PIL image as float32 pixels in [0, 1], (H, W) for gray or (H, W, 3), shrunk by ``_shrunk``, and a
    note on what was done."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):  # 16-bit, 32-bit and floating-point gray
        values = np.array(_shrunk(img.convert("F"), max_side), dtype=np.float32)
        low, high = float(values.min(initial=0)), float(values.max(initial=0))
        if mode == "F" and low >= 0 and high <= 1:
            return values, f"{name} is a floating-point gray image; its gray is repeated on the R, G and B channels."
        if mode != "F" and low >= 0 and high <= 65535:
            return values / 65535, (f"{name} is a 16-bit gray image ({mode}); its values are divided by 65,535 and "
                                    "its gray is repeated on the R, G and B channels.")
        return ((values - low) / max(high - low, 1e-12),
                f"{name} is a gray image ({mode}) with values in [{low:.4g}, {high:.4g}]; they are rescaled to [0, 1] "
                "and its gray is repeated on the R, G and B channels.")
    if mode in ("L", "1", "LA"):
        note = f"{name} is grayscale ({mode}); its gray is repeated on the R, G and B channels."
    elif mode in ("RGBA", "PA") or (mode == "P" and "transparency" in img.info):
        note = f"{name} has an alpha channel ({mode}); transparency is dropped."
    else:
        note = ""
    if mode in ("L", "RGB"):  # shrink before the conversion's copy
        img = _shrunk(img, max_side)
    return np.asarray(_shrunk(img.convert("RGB"), max_side), dtype=np.float32) / 255, note


def _limit_size(image: torch.Tensor, max_side: int | None, name: str, verbose: bool,
                original: tuple[int, int] | None = None) -> torch.Tensor:
    # resize (3, H, W) so that its longer side is at most max_side, with a note; original: the (W, H) of the file
    h, w = image.shape[-2:]
    w0, h0 = original or (w, h)
    if max_side is not None and max(h0, w0) > max_side:
        scale = max_side / max(h0, w0)
        new = (max(1, round(h0 * scale)), max(1, round(w0 * scale)))
        if (h, w) != new:
            image = F.interpolate(image[None], size=new, mode="bilinear", antialias=True, align_corners=False)[0]
        if verbose:
            print(f"note: {name} is {w0}×{h0}; resized to {new[1]}×{new[0]} (longer side {max_side}).")
    return image.clamp(0, 1)


def as_rgb(image, max_side: int | None = None, name: str = "the image", verbose: bool = True) -> torch.Tensor:
    """Whatever a student hands in, as an RGB (3, H, W) float32 tensor in [0, 1], saying what was converted.

    image: a path or URL (read with ``read_image``); a PIL image; a numpy array (H, W), (H, W, C) as uint8 0–255 or
    float 0–1; or a tensor (H, W), (C, H, W) or (1, C, H, W) in [0, 1]. One channel (grayscale) is repeated on R, G
    and B, and a fourth channel (alpha) is dropped, each with a note; an image whose longer side exceeds
    ``max_side`` is resized with a note.
    """
    if isinstance(image, (str, Path)):
        return read_image(image, max_side=max_side, verbose=verbose)
    if type(image).__module__.startswith("PIL."):  # read as a file is: 16-bit, float, palette and alpha modes
        return _as_image(*_pixels(image, name, None), max_side, name, verbose)
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
    check_unit_range(tensor, name, slack=0)
    if tensor.shape[0] == 1:
        if verbose:
            print(f"note: {name} is grayscale; its gray is repeated on the R, G and B channels.")
        tensor = tensor.expand(3, -1, -1)
    elif tensor.shape[0] == 4:
        if verbose:
            print(f"note: {name} has an alpha channel (RGBA); transparency is dropped.")
        tensor = tensor[:3]
    return _limit_size(tensor.contiguous(), max_side, name, verbose)
