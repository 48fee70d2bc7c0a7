"""Photographs that installed packages ship, crops of them, and their edge maps.

Ten colour photographs come with scikit-image, scikit-learn and matplotlib, each free to use (the table below and
``data/README.md`` give the source and licence of each). From them this module makes:

- ``patches``: random square crops at any size (32, 64, 128 px), taken after a random rescaling so that a 32-px crop
  shows an object part rather than a few pixels of texture, with random horizontal flips. The train and test splits
  use **different photographs**, so test crops come from photos never seen in training.
- ``edges2photos``: pairs of a crop and its Canny edge map (Canny 1986, ``skimage.feature.canny``), the input →
  output pairs of pix2pix's "edges → photo" task (Isola et al. 2017).

Images are float32 tensors in [0, 1], shaped (N, 3, H, W); edge maps are (N, 1, H, W) with 1 on an edge.
Notebooks 03 (what a CNN learns), 05 (colorization) and 07 (pix2pix) use them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import matplotlib.cbook
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data
from skimage.color import rgb2gray
from skimage.feature import canny


@dataclass(frozen=True)
class Photo:
    """One shipped photograph: its name, the package that ships it, where it comes from, its licence."""

    name: str
    package: str
    source: str
    licence: str


PHOTOS = (
    Photo("astronaut", "scikit-image", "NASA Great Images: astronaut Eileen Collins", "public domain"),
    Photo("coffee", "scikit-image", "Rachel Michetti, courtesy of Pikolo Espresso Bar", "CC0"),
    Photo("rocket", "scikit-image", "SpaceX, Falcon 9 launch", "public domain"),
    Photo("hubble_deep_field", "scikit-image", "NASA, Hubble eXtreme Deep Field", "public domain"),
    Photo("immunohistochemistry", "scikit-image", "immunohistochemical stain of a colon tissue", "no known copyright"),
    Photo("retina", "scikit-image", "Mikael Häggström, fundus photograph of a normal left eye", "CC0"),
    Photo("china", "scikit-learn", "danielbuechele on Flickr: a Chinese temple", "CC BY 2.0"),
    Photo("chelsea", "scikit-image", "Stefan van der Walt: Chelsea the cat", "CC0"),
    Photo("flower", "scikit-learn", "vultilion on Flickr: a flower", "CC BY 2.0"),
    Photo("grace_hopper", "matplotlib", "U.S. Navy: portrait of Rear Admiral Grace Hopper", "public domain"),
)
# Photos never seen in training: a cat, a flower and a portrait test how well crops of other scenes generalise.
TEST_PHOTOS = ("chelsea", "flower", "grace_hopper")
WITHOUT_OUTLINES = ("retina", "hubble_deep_field", "immunohistochemistry")
# A crop's photo is first rescaled so that its short side is SCALES[k] × the crop size: from "most of the photo" to
# "an object part". Five fixed levels let every rescaled photo be computed once and reused.
SCALES = (2.0, 2.6, 3.5, 4.6, 6.0)
SPLITS = {
    "train": tuple(p.name for p in PHOTOS if p.name not in TEST_PHOTOS),
    "test": TEST_PHOTOS,
    "all": tuple(p.name for p in PHOTOS),
}


@functools.lru_cache(maxsize=16)
def photo(name: str) -> torch.Tensor:
    """The shipped photograph ``name`` (see ``PHOTOS``) as a (3, H, W) float32 tensor in [0, 1]."""
    names = [p.name for p in PHOTOS]
    if name not in names:
        raise ValueError(f"no shipped photo {name!r}; the photos are: {', '.join(names)}.")
    package = next(p.package for p in PHOTOS if p.name == name)
    if package == "scikit-image":
        array = getattr(data, name)()
    elif package == "scikit-learn":
        from sklearn.datasets import load_sample_image  # here: importing scikit-learn takes ~1 s

        array = load_sample_image(f"{name}.jpg")
    else:

        with matplotlib.cbook.get_sample_data(f"{name}.jpg") as f:

            array = np.asarray(Image.open(f).convert("RGB"))
    return torch.from_numpy(np.array(array, dtype=np.uint8)).permute(2, 0, 1).float() / 255


def _split_names(split: str) -> tuple[str, ...]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}.")
    return SPLITS[split]


def _check(n: int, size: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (how many crops), got {n!r}.")
    if not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= 512:
        raise ValueError(f"size must be an integer number of pixels between 8 and 512, got {size!r}.")


def patches(n: int, size: int = 64, split: str = "train", seed: int = 0,
            exclude: tuple[str, ...] = ()) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random square crops of ``size`` pixels from the photos of ``split`` ("train", "test" or "all").

    Each crop picks a photo uniformly, rescales it so that its short side is one of ``SCALES`` × size pixels (never
    enlarging it), takes a random square and flips it left-right half of the time. Deterministic for a seed.
    Returns ``images`` (n, 3, size, size) float32 in [0, 1] and ``photo_index`` (n,) int64, the index of each
    crop's photo in ``SPLITS[split]`` (less the ``exclude``d names).
    """
    _check(n, size)
    names = tuple(name for name in _split_names(split) if name not in exclude)
    rng = np.random.default_rng([seed, len(names), size])
    which = rng.integers(0, len(names), n)
    out = torch.empty(n, 3, size, size)
    for k, name in enumerate(names):
        picks = np.flatnonzero(which == k)
        if len(picks) == 0:
            continue
        full = photo(name)
        short = min(full.shape[1:])
        for i in picks:
            target = min(short, int(rng.choice(SCALES) * size))
            scaled = _rescaled(name, target) if target < short else full
            h, w = scaled.shape[1:]
            top, left = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
            crop = scaled[:, top:top + size, left:left + size]
            out[i] = crop.flip(-1) if rng.random() < 0.5 else crop
    return out, torch.from_numpy(which).long()


@functools.lru_cache(maxsize=256)
def _rescaled(name: str, short_side: int) -> torch.Tensor:
    """The photo resized (antialiased) so that its short side is ``short_side`` pixels."""
    full = photo(name)
    h, w = full.shape[1:]
    scale = short_side / min(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(full[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0].clamp(0, 1)


def canny_edges(images: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Canny edge maps of (N, 3, H, W) images in [0, 1]: (N, 1, H, W) float32, 1 on an edge and 0 elsewhere.

    sigma: the Gaussian smoothing, in pixels, before the gradient; larger keeps only the strong outlines.
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"canny_edges expects RGB images shaped (N, 3, H, W), got {tuple(images.shape)}.")
    gray = rgb2gray(images.permute(0, 2, 3, 1).numpy())
    edges = np.stack([canny(g, sigma=sigma) for g in gray])
    return torch.from_numpy(edges).float()[:, None]


def edges2photos(n: int, size: int = 64, split: str = "train", seed: int = 0, sigma: float = 1.5):
    """Pairs for pix2pix's edges → photo task: ``edges`` (n, 1, size, size) and ``photos`` (n, 3, size, size).

    The photos are ``patches(n, size, split, seed)`` of the photographs with outlines to draw (the retina, the deep
    field and the tissue stain are left out: their crops have almost no edges); the edges are their ``canny_edges``.
    """
    photos, _ = patches(n, size, split, seed, exclude=WITHOUT_OUTLINES)
    return canny_edges(photos, sigma), photos
