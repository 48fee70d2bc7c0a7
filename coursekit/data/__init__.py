"""The course's data: embedded datasets that need no network, and the real ones when they can be had.

One entry point, ``load(name, split=..., n=..., size=..., source=...)``, returns an ``ImageSet`` of float images in
[0, 1] shaped (N, C, H, W) and prints one line saying which data it is. ``source="auto"`` (the default) uses the real
dataset when it is cached or can be downloaded and falls back to the embedded one otherwise, saying so;
``source="real"`` insists (and explains how to get the data by hand when it cannot); ``source="embedded"`` never
touches the network.

| name | embedded (offline) | real |
|---|---|---|
| digits | MNIST-like digits rendered from fonts (``digits``) | MNIST |
| handwritten | scikit-learn's 1,797 real handwritten digits, 28×28 | — |
| fashion | — | Fashion-MNIST |
| natural | crops of the shipped photos and textures, labelled by their source | CIFAR-10 |
| photos | random crops of the shipped photographs, split by photo (``photos``) | — |
| textures | crops of photographed and procedural textures (``textures``) | — |
| scenes | colour scenes with multimodal object colours (``scenes``) | — |
| facades | procedural façades with CMP label maps (``facades``) | CMP Facades (pix2pix) |
| edges2photos | photo crops and their Canny edges | — |
| spirals, moons, ring | 2-D point sets (``toy``) | — |

The modules behind them can also be called directly, for example ``coursekit.data.digits.render_digits``.
``colorization_data`` mixes scenes and photo crops for the colorization models (notebook 05).
"""

from __future__ import annotations

import contextlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from coursekit.data import digits, download, facades, images, photos, real, scenes, textures, toy
from coursekit.data.download import DownloadError, Unreachable

SOURCES = ("auto", "embedded", "real")
NAMES = ("digits", "handwritten", "fashion", "natural", "photos", "textures", "scenes", "facades", "edges2photos",
         "spirals", "moons", "ring")
REAL_NAMES = {"digits": "MNIST", "fashion": "Fashion-MNIST", "natural": "CIFAR-10", "facades": "CMP Facades"}
# What the size argument can do: the sets whose images have one size, and the point sets, which have none.
FIXED_SIZE = {"digits": 28, "handwritten": 28, "fashion": 28}
POINT_SETS = ("spirals", "moons", "ring")
# Bytes per pixel of what load returns (images, targets, label maps), and the default side, to refuse up front an n
# that cannot fit: a billion photos used to allocate 8 GB for 26 s before a raw allocator error.
BYTES_PER_PIXEL = {"digits": 4, "handwritten": 4, "fashion": 4, "natural": 12, "photos": 12, "textures": 12,
                   "scenes": 20, "facades": 32, "edges2photos": 24}
DEFAULT_SIDE = {"natural": 32, "photos": 64, "textures": 64, "scenes": 64, "facades": 128, "edges2photos": 64}
MAX_BYTES = 4 << 30  # the most one load may allocate

EMBEDDED_NAMES = tuple(n for n in NAMES if n != "fashion")
# What a real dataset that cannot be had raises: the network and the cache (DownloadError, OSError, RuntimeError), or
# a cached file that torchvision cannot parse (an assertion in its MNIST reader, a pickle error or EOF in CIFAR-10's)
_UNAVAILABLE = (DownloadError, OSError, RuntimeError, AssertionError, EOFError, pickle.UnpicklingError)
CACHED_AS = {"digits": "MNIST", "fashion": "FashionMNIST", "natural": "cifar10", "facades": "facades"}
HOW_TO_GET = {
    "digits": "download the four files of MNIST (train/t10k images and labels, .gz) into {cache}/MNIST/raw/",
    "fashion": "download the four files of Fashion-MNIST (.gz) into {cache}/FashionMNIST/raw/",
    "natural": "download cifar-10-python.tar.gz from the CIFAR-10 page into {cache}/",
    "facades": f"download {real.FACADES_URL} into {{cache}}/",
}


@dataclass(frozen=True)
class ImageSet(torch.utils.data.Dataset):
    """A loaded dataset: images, and whatever goes with them.

    images: (N, C, H, W) float32 in [0, 1]. labels: (N,) int64 classes, (N, H, W) int64 label maps, or None.
    targets: (N, C', H, W) paired output images (pix2pix pairs), or None. classes: the names of the labels.
    source: one line saying which data this is. Indexing gives ``(image, label)``, ``(image, target)``,
    ``(image, target, label)`` or ``image`` according to what is present, so an ImageSet feeds a DataLoader.
    """

    name: str
    images: torch.Tensor
    labels: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    classes: tuple[str, ...] = ()
    source: str = ""
    real: bool = field(default=False)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i):
        parts = [t[i] for t in (self.images, self.targets, self.labels) if t is not None]
        return parts[0] if len(parts) == 1 else tuple(parts)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={tuple(v.shape)}" for k, v in (("labels", self.labels), ("targets", self.targets))
                        if v is not None)
        return f"ImageSet({self.name!r}, images={tuple(self.images.shape)}{extra}, source={self.source!r})"


def _subset(t: torch.Tensor | None, n: int | None) -> torch.Tensor | None:
    return t if t is None or n is None else t[:n]


def _load_real(name: str, split: str, n: int | None, size: int | None) -> ImageSet:
    cache = f"from {real.data_dir()}"
    if name in ("digits", "fashion", "natural"):
        # two splits, as for the embedded sets: "val" takes the held-out one
        held_out = "test" if split in ("test", "val") else "train"
        which = f"{held_out} split" + (" (as the val split)" if split == "val" else "")
        if name == "natural":
            images, labels, classes = real.cifar10(held_out)
            images, resized = _subset(images, n), ""
            if size is not None and size != images.shape[-1]:  # the embedded stand-in is made at any size
                images = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True).clamp(0, 1)
                resized = f", resized from 32 to {size} px"
            return ImageSet(name, images, _subset(labels, n), classes=classes,
                            source=f"real: CIFAR-10 {which} (torchvision){resized} {cache}", real=True)
        images, labels = real.mnist_like("MNIST" if name == "digits" else "FashionMNIST", held_out)
        return ImageSet(name, _subset(images, n), _subset(labels, n), classes=tuple("0123456789"),
                        source=f"real: {REAL_NAMES[name]} {which} (torchvision) {cache}", real=True)
    if name == "facades":
        photos_, label_images, labels = real.facades(split if split in real.FACADES_SPLITS else "train", size or 256)
        return ImageSet(name, _subset(label_images, n), _subset(labels, n), _subset(photos_, n),
                        classes=facades.CLASSES, source=f"real: CMP Facades (pix2pix) {split} split {cache}",
                        real=True)
    raise ValueError(f"{name!r} has no real dataset; use source='embedded' or 'auto'.")


def _why_not_real(name: str, err: Exception) -> tuple[str, str]:
    """Why the real dataset ``name`` could not be had, on one line, and what to do about it."""
    message = " ".join(str(err).split()).rstrip(".")
    message = f"{type(err).__name__}: {message}" if message and not isinstance(err, OSError | DownloadError) else \
        message or type(err).__name__
    cache = os.environ.get("COURSEKIT_DATA") or "the data folder"
    with contextlib.suppress(RuntimeError):
        cache = str(real.data_dir())
    by_hand = f"To get it by hand, {HOW_TO_GET[name].format(cache=cache)}, then run this again"
    if isinstance(err, Unreachable):
        return f"is not cached, and there is no network ({message})", by_hand
    if isinstance(err, PermissionError) or (isinstance(err, RuntimeError) and "cannot be created" in message):
        return (f"cannot be written to the data folder, {cache} ({message})",
                "Set COURSEKIT_DATA to a folder you can write to (COURSEKIT_DATA=~/coursekit-data), or ask whoever "
                f"manages {cache} to load it there once")
    if isinstance(err, DownloadError):
        return f"could not be downloaded or read: {message}", by_hand
    return (f"is in the data folder but cannot be read ({message})",
            f"A cached file is corrupt or from another version: move {Path(cache) / CACHED_AS[name]} aside (or delete "
            "it, if coursekit made it) and run this again to download it afresh")


def _load_embedded(name: str, split: str, n: int | None, size: int | None, seed: int) -> ImageSet:
    test = split in ("test", "val")  # embedded sets have two splits; "val" takes the held-out one
    if name == "digits":
        n = n or (2000 if test else 10000)
        images, labels = digits.render_digits(n, "test" if test else "train", seed)
        faces = digits.SPLITS["test" if test else "train"]
        return ImageSet(name, images, labels, classes=tuple("0123456789"),
                        source=f"embedded: {n:,} MNIST-like digits rendered from {len(faces)} "
                               f"{'held-out ' if test else ''}font faces (coursekit.data.digits)")
    if name == "handwritten":
        images, labels = digits.handwritten()
        return ImageSet(name, _subset(images, n), _subset(labels, n), classes=tuple("0123456789"),
                        source="scikit-learn's real handwritten digits (UCI), 8×8 upsampled to 28×28")
    if name == "natural":
        n, size = n or (2000 if test else 10000), size or 32
        return _natural(n, size, split, seed)
    if name == "photos":
        n, size = n or 1000, size or 64
        images, which = photos.patches(n, size, split if split in photos.SPLITS else "train", seed)
        names = photos.SPLITS[split if split in photos.SPLITS else "train"]
        return ImageSet(name, images, which, classes=names,
                        source=f"embedded: {n:,} random {size}-px crops of {len(names)} shipped photographs "
                               f"({', '.join(names)})")
    if name == "textures":
        n, size = n or 500, size or 64
        images, which = textures.crops(n, size, seed=seed)
        return ImageSet(name, images, which, classes=textures.TEXTURES,
                        source=f"embedded: {n:,} {size}-px crops of {len(textures.TEXTURES)} textures")
    if name == "scenes":
        n, size = n or (200 if test else 1000), size or 64
        images, classes, _ = scenes.render_scenes(n, size, seed * 2 + test)
        return ImageSet(name, images, classes, classes=tuple(c.name for c in scenes.SCENE_CLASSES),
                        source=f"embedded: {n:,} procedural colour scenes at {size} px (coursekit.data.scenes)")
    if name == "facades":
        n, size = n or (100 if test else 400), size or 128
        photo_images, labels = facades.render_facades(n, size, seed * 2 + test)
        return ImageSet(name, facades.labels_to_rgb(labels), labels, photo_images, classes=facades.CLASSES,
                        source=f"embedded: {n:,} procedural façades at {size} px with CMP label maps "
                               "(coursekit.data.facades)")
    if name == "edges2photos":
        n, size = n or 500, size or 64
        edges, photo_images = photos.edges2photos(n, size, split if split in photos.SPLITS else "train", seed)
        return ImageSet(name, edges, targets=photo_images,
                        source=f"embedded: {n:,} Canny edge maps of {size}-px photo crops")
    if name in ("spirals", "moons", "ring"):
        make = {"spirals": toy.two_spirals, "moons": toy.moons, "ring": toy.ring_of_gaussians}[name]
        points, labels = make(n or 1000, seed=seed * 2 + test)
        return ImageSet(name, points, labels, source=f"embedded: {len(points):,} 2-D points (coursekit.data.toy)")
    raise ValueError(f"{name!r} has no embedded dataset; use source='real' or 'auto'.")


def _natural(n: int, size: int, split: str, seed: int) -> ImageSet:
    """Crops of photos and textures, each labelled by where it comes from: a 32-px stand-in for CIFAR-10."""
    split = split if split in photos.SPLITS else "train"
    half = n // 2
    photo_crops, photo_idx = photos.patches(n - half, size, "all", seed * 2 + (split == "test"))
    texture_crops, texture_idx = textures.crops(half, size, seed=seed * 2 + 1 + (split == "test"))
    images = torch.cat([photo_crops, texture_crops])
    labels = torch.cat([photo_idx, texture_idx + len(photos.SPLITS["all"])])
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    classes = photos.SPLITS["all"] + textures.TEXTURES
    return ImageSet("natural", images[order], labels[order], classes=classes,
                    source=f"embedded: {n:,} {size}-px crops of {len(classes)} shipped photos and textures, "
                           "labelled by their source")


def colorization_data(n: int, seed: int, split: str = "train", size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Images for the colorization models of notebook 05: ¾ multimodal scenes (``scenes.render_scenes``, whose
    balloons, cars and kites take one of two colours at random), ¼ crops of the shipped photos (the test split uses
    held-out scene seeds and held-out photographs). Returns (images (n, 3, size, size) in [0, 1], is_scene (n,)
    bool)."""
    n_scenes = n - n // 4
    scene_images, _, _ = scenes.render_scenes(n_scenes, size, seed=2 * seed + (split == "test"))
    photo_images, _ = photos.patches(n - n_scenes, size, split, seed=seed)
    is_scene = torch.cat([torch.ones(n_scenes, dtype=torch.bool), torch.zeros(n - n_scenes, dtype=torch.bool)])
    return torch.cat([scene_images, photo_images]), is_scene


def load(name: str, split: str = "train", n: int | None = None, size: int | None = None, source: str = "auto",
         seed: int = 0, verbose: bool = True) -> ImageSet:
    """Load dataset ``name`` (see the table above) and print one line saying which data it is.

    split: "train", "test" or "val" (embedded splits use disjoint fonts, photos or seeds; the CMP Facades have their
    own val split, and every other dataset, embedded or real, takes its held-out test split for "val"). n: how many
    samples (the first n of a real dataset). size: image side in pixels, where the dataset can choose it. source:
    "auto", "embedded" or "real". seed: for the embedded generators.
    """
    if name not in NAMES:
        raise ValueError(f"no dataset {name!r}; the datasets are: {', '.join(NAMES)}.")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}.")
    if split not in ("train", "test", "val"):
        raise ValueError(f"split must be 'train', 'test' or 'val', got {split!r}.")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"n must be a positive integer or None (the dataset's default), got {n!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size must be a positive number of pixels, or None for the dataset's default, got "
                             f"{size!r}.")
        if name in POINT_SETS:
            raise ValueError(f"{name} is a set of 2-D points, not images: it has no size; leave size out.")
        if name in FIXED_SIZE and size != FIXED_SIZE[name]:
            side = FIXED_SIZE[name]
            raise ValueError(f"{name} images are {side}×{side}: size cannot change that. Leave size out and resize "
                             "after loading if you need to, e.g. F.interpolate(data.images, size=(64, 64), "
                             "mode='bilinear', antialias=True).")
    if n is not None:
        side = FIXED_SIZE.get(name) or size or DEFAULT_SIDE.get(name, 1)
        per_item = 24 if name in POINT_SETS else BYTES_PER_PIXEL[name] * side * side
        if n * per_item > MAX_BYTES:
            what = "points" if name in POINT_SETS else f"images of {side} px"
            raise ValueError(f"n={n:,} {what} from {name} would take {n * per_item / 2**30:,.1f} GiB; at most "
                             f"{MAX_BYTES // per_item:,} fit in the {MAX_BYTES / 2**30:g} GiB one load may take. Ask "
                             "for fewer, or draw several sets with different seeds.")

    note = ""
    result = None
    if source in ("auto", "real") and name in REAL_NAMES:
        try:
            result = _load_real(name, split, n, size)
        except _UNAVAILABLE as err:  # the network, the cache, or a cached file torchvision cannot parse
            reason, advice = _why_not_real(name, err)
            if source == "real" or name not in EMBEDDED_NAMES:
                fallback = "or use source='embedded'" if name in EMBEDDED_NAMES else \
                    f"{REAL_NAMES[name]} has no embedded stand-in"
                raise DownloadError(f"{REAL_NAMES[name]} {reason}.\n{advice}; {fallback}.") from err
            reason = "no network" if isinstance(err, Unreachable) else f"it {reason}"
            note = f" ({REAL_NAMES[name]} unavailable: {reason}; embedded stand-in used)"
    elif source == "real":
        raise ValueError(f"{name!r} has no real dataset to download; use source='embedded' or 'auto'.")
    if result is None:
        result = _load_embedded(name, split, n, size, seed)
    if n is not None and len(result) < n:
        note += f" (n={n:,} asked for; the set has {len(result):,})"
    if note:
        result = ImageSet(result.name, result.images, result.labels, result.targets, result.classes,
                          result.source + note, result.real)
    if verbose:
        print(f"data · {name} · {result.source}")
    return result


__all__ = ["DownloadError", "ImageSet", "Unreachable", "colorization_data", "digits", "download", "facades", "images",
           "load", "photos", "real", "scenes", "textures", "toy"]
