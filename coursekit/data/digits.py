"""Digits: an unlimited MNIST-like set rendered from the fonts matplotlib ships, and real handwriting from scikit-learn.

MNIST (LeCun et al. 1998) is 70,000 handwritten digits, 28×28 grayscale, each scaled to fit a 20×20 box and centred
in the 28×28 frame. It cannot be downloaded offline, so this module makes digits that look and behave like it:

1. a **glyph** of each digit is rendered from a TrueType face that matplotlib ships (DejaVu, STIX, Computer Modern);
2. half of the samples are re-drawn as **pen strokes**: the glyph's skeleton (scikit-image's ``skeletonize``) thickened
   by a random pen width, which removes the typographic thick/thin contrast that handwriting does not have; the other
   half keep the glyph's outline, sometimes thickened;
3. a random **affine** map (rotation, shear, anisotropic scale) and a smooth random **elastic** displacement field
   (Simard et al. 2003) bend the strokes;
4. the ink's bounding box is scaled to fit a 20-pixel box (17 to 20 px) and centred in 28×28, as in MNIST, give
   or take 1 px, and a little noise is added.

Train and test splits use **different font faces**, so test accuracy measures generalisation to unseen styles. Font
digits are typographic, not handwritten: ``handwritten()`` returns scikit-learn's 1,797 real handwritten digits
(8×8, from the UCI "optical recognition of handwritten digits" set) upsampled the same way, as a test of that gap.

Every image is a float32 tensor in [0, 1], white ink on black, shaped (N, 1, 28, 28); labels are int64 in 0–9.
Notebooks 02 (classification), 04 (PixelCNN) and 07 (DCGAN) use these digits when MNIST is not available.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

GLYPH_SIZE = 64  # glyphs are drawn and distorted at 64×64, then resampled to 28×28
IMAGE_SIZE = 28

# Faces with ten distinct, ordinary digits (STIX's non-unicode and size faces, cmex/cmsy and cmmi's old-style
# figures are left out). The test faces are one per family, never seen in training.
TRAIN_FONTS = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmtt10.ttf",
)
TEST_FONTS = (
    "DejaVuSans-Oblique.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSerif-Bold.ttf",
    "STIXGeneralItalic.ttf", "cmss10.ttf", "cmti10.ttf",
)
SPLITS = {"train": TRAIN_FONTS, "test": TEST_FONTS}


def font_path(name: str) -> Path:
    """Where matplotlib keeps the TrueType face ``name``."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.is_file():
        raise FileNotFoundError(f"matplotlib's font {name} is missing at {path}; reinstall matplotlib.")
    return path


@functools.lru_cache(maxsize=4)
def glyphs(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits of a split's faces: (outlines, skeletons), each (fonts, 10, 64, 64) float32 in [0, 1].

    Rendered once per process with Pillow's FreeType renderer and kept (a few hundred kB).
    """
    from skimage.morphology import skeletonize  # here: importing it takes half a second, for the renderer only

    outlines, skeletons = [], []
    for name in _faces(split):
        font = ImageFont.truetype(str(font_path(name)), size=44)
        row_o, row_s = [], []
        for digit in "0123456789":
            canvas = Image.new("L", (GLYPH_SIZE, GLYPH_SIZE), 0)
            ImageDraw.Draw(canvas).text((GLYPH_SIZE / 2, GLYPH_SIZE / 2), digit, fill=255, font=font, anchor="mm")
            ink = np.asarray(canvas, dtype=np.float32) / 255
            row_o.append(ink)
            row_s.append(skeletonize(ink > 0.5).astype(np.float32))
        outlines.append(row_o)
        skeletons.append(row_s)
    return torch.from_numpy(np.array(outlines)), torch.from_numpy(np.array(skeletons))


def _faces(split: str) -> tuple[str, ...]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}.")
    return SPLITS[split]


def _dilate(x: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Grow (radius > 0) or shrink (radius < 0) the ink of each (1, H, W) image by ``radius`` pixels (max/min pool)."""
    out = x.clone()
    for r in radius.unique().tolist():
        if r == 0:
            continue
        k = 2 * abs(r) + 1
        pick = radius == r
        if r > 0:
            out[pick] = F.max_pool2d(x[pick], k, stride=1, padding=abs(r))
        else:
            out[pick] = -F.max_pool2d(-x[pick], k, stride=1, padding=abs(r))
    return out


def _smooth_field(coarse: torch.Tensor) -> torch.Tensor:
    """A smooth random displacement field (n, 64, 64, 2) in grid units: coarse noise (n, 2, 5, 5), bicubically
    upsampled."""
    field = F.interpolate(coarse, size=(GLYPH_SIZE, GLYPH_SIZE), mode="bicubic", align_corners=True)
    return field.permute(0, 2, 3, 1)


CHUNK = 4096  # digits drawn at a time: their 64-px intermediates take about 0.4 GB (30,000 at once took 3 GB)


def render_digits(n: int, split: str = "train", seed: int = 0, labels: torch.Tensor | None = None):
    """Render ``n`` MNIST-like digits from the faces of ``split`` ("train" or "test").

    labels: (n,) digits to draw, or None for uniformly random ones. The same (n, split, seed, labels) gives the same
    images. Returns ``images`` (n, 1, 28, 28) float32 in [0, 1] and ``labels`` (n,) int64.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (how many digits), got {n!r}.")
    outlines, skeletons = glyphs(split)
    g = torch.Generator().manual_seed(seed * 2 + (split == "test"))
    if labels is None:
        labels = torch.randint(0, 10, (n,), generator=g)
    else:
        labels = torch.as_tensor(labels, dtype=torch.int64)
        if labels.shape != (n,) or labels.min() < 0 or labels.max() > 9:
            raise ValueError(f"labels must be n = {n} digits in 0-9, got shape {tuple(labels.shape)}.")
    # every random number first, in the order of the steps below; then the images, CHUNK digits at a time
    draws = {"font": torch.randint(0, outlines.shape[0], (n,), generator=g),
             "as_stroke": torch.rand(n, generator=g) < 0.5,
             "pen": torch.randint(1, 3, (n,), generator=g),  # pen half-width 1–2 px at 64 px: 1.5–2.5 px at 28
             # an outline is kept or thickened by 1 px (thinning would erase thin faces)
             "weight": torch.randint(0, 2, (n,), generator=g),
             "angle": (torch.rand(n, generator=g) - 0.5) * math.radians(30),  # ±15°
             "shear": (torch.rand(n, generator=g) - 0.5) * 0.6,  # ±0.3
             "stretch": torch.exp((torch.rand(n, 2, generator=g) - 0.5) * 0.4),  # ×0.82 … ×1.22 per axis
             "coarse": torch.randn(n, 2, 5, 5, generator=g) * 0.06,  # the elastic displacement, before upsampling
             "box": 17 + 3 * torch.rand(n, generator=g),  # the digit's box side in the 28-px image
             "shift": (torch.rand(n, 2, generator=g) - 0.5) * 2,  # and its centre's shift, up to ±1 px
             "noise": torch.randn((n, 1, IMAGE_SIZE, IMAGE_SIZE), generator=g)}
    images = [_draw(outlines, skeletons, labels[i:i + CHUNK], {k: v[i:i + CHUNK] for k, v in draws.items()})
              for i in range(0, n, CHUNK)]
    return torch.cat(images).contiguous(), labels


def _draw(outlines: torch.Tensor, skeletons: torch.Tensor, labels: torch.Tensor, d: dict) -> torch.Tensor:
    """The images (n, 1, 28, 28) of ``labels`` drawn with the random numbers ``d`` of ``render_digits``."""
    n = len(labels)
    # 1-2. outline (thinned or thickened) or pen strokes along the skeleton, at 64×64
    ink = torch.where(d["as_stroke"][:, None, None], skeletons[d["font"], labels], outlines[d["font"], labels])[:, None]
    ink = _dilate(ink, torch.where(d["as_stroke"], d["pen"], d["weight"]))
    ink = F.avg_pool2d(ink, 3, stride=1, padding=1)  # soften the pen's square edges

    # 3. affine map and elastic displacement (grid_sample reads the output pixel at the mapped input position)
    cos, sin = torch.cos(d["angle"]), torch.sin(d["angle"])
    rotation = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    shearing = torch.eye(2).repeat(n, 1, 1)
    shearing[:, 0, 1] = d["shear"]
    theta = torch.zeros(n, 2, 3)
    theta[:, :, :2] = rotation @ shearing @ torch.diag_embed(1 / d["stretch"])
    grid = F.affine_grid(theta, (n, 1, GLYPH_SIZE, GLYPH_SIZE), align_corners=False)
    grid = grid + _smooth_field(d["coarse"])
    ink = F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    # 4. MNIST framing: the ink's bounding box, made square, fills a 17–20 px box centred in 28×28 (±1 px)
    rows, cols = ink[:, 0].amax(dim=2) > 0.2, ink[:, 0].amax(dim=1) > 0.2  # (n, 64) each
    coords = torch.arange(GLYPH_SIZE, dtype=torch.float32)
    top = torch.where(rows, coords, math.inf).amin(1)
    bottom = torch.where(rows, coords, -math.inf).amax(1)
    left = torch.where(cols, coords, math.inf).amin(1)
    right = torch.where(cols, coords, -math.inf).amax(1)
    centre_y, centre_x = (top + bottom) / 2, (left + right) / 2
    extent = torch.maximum(bottom - top, right - left) + 1  # the box's side, in 64-px pixels
    box, shift = d["box"], d["shift"]
    out = (torch.arange(IMAGE_SIZE, dtype=torch.float32) + 0.5 - IMAGE_SIZE / 2) / box[:, None] * extent[:, None]
    centre_y = centre_y - shift[:, 0] * extent / box  # a shift of the frame in 64-px units moves the digit the
    centre_x = centre_x - shift[:, 1] * extent / box  # other way
    # normalised input coordinates (align_corners=False): u = (pixel + 0.5) / 64 * 2 − 1
    ys = (centre_y[:, None] + 0.5 + out) / GLYPH_SIZE * 2 - 1  # (n, 28)
    xs = (centre_x[:, None] + 0.5 + out) / GLYPH_SIZE * 2 - 1
    frame = torch.stack([xs[:, None, :].expand(n, IMAGE_SIZE, IMAGE_SIZE),
                         ys[:, :, None].expand(n, IMAGE_SIZE, IMAGE_SIZE)], dim=-1)
    images = F.grid_sample(ink, frame, mode="bilinear", padding_mode="zeros", align_corners=False)

    # contrast as in MNIST (strokes saturate at 1), then a little sensor noise
    images = (images * 1.6).clamp(0, 1)
    return (images + 0.03 * d["noise"] * (images > 0.05)).clamp(0, 1)


def handwritten() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 real handwritten digits, upsampled from 8×8 into MNIST's 28×28 framing.

    The 8×8 images (values 0–16) were made by counting ink in 4×4 blocks of 32×32 bitmaps, so they are blurry once
    enlarged. Returns ``images`` (1797, 1, 28, 28) float32 in [0, 1] and ``labels`` (1797,) int64.
    """
    from sklearn.datasets import load_digits  # here: importing scikit-learn takes ~1 s, paid only by its users

    digits = load_digits()
    small = torch.from_numpy(digits.images).float()[:, None] / 16  # (1797, 1, 8, 8) in [0, 1]
    box = F.interpolate(small, size=(20, 20), mode="bilinear", align_corners=False)
    images = F.pad(box, (4, 4, 4, 4))  # the 20×20 box centred in 28×28, as in MNIST
    images = (images * 1.3).clamp(0, 1)
    return images.contiguous(), torch.from_numpy(digits.target).long()
