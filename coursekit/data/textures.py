"""Textures: three photographed by scikit-image's contributors, and procedural ones made here.

«Synthèse de texture»: a texture is an image whose statistics are the same everywhere, so that any window of it
looks like any other. Notebook 04 grows one pixel by pixel (Efros & Leung 1999) and notebook 06 matches the Gram
statistics of CNN features (Gatys et al. 2015); both use these.

- ``brick``, ``grass``, ``gravel``: 512×512 grayscale photographs from scikit-image (CC0), returned as 3 equal
  channels;
- ``stripes``: wavy coloured stripes (a sinusoid whose phase is bent by smooth noise);
- ``cells``: a Voronoi tessellation (each pixel takes the colour of its nearest seed, with dark borders);
- ``dots``: randomly scattered soft discs in a few colours;
- ``marble``: turbulent veins (Perlin's classic sin(x + turbulence)).

Every texture is a float32 tensor (3, size, size) in [0, 1]; the procedural ones are deterministic for a seed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from skimage import data

PHOTOGRAPHED = ("brick", "grass", "gravel")
PROCEDURAL = ("stripes", "cells", "dots", "marble")
TEXTURES = PHOTOGRAPHED + PROCEDURAL


def _smooth_noise(size: int, scale: int, g: torch.Generator) -> torch.Tensor:
    """(size, size) smooth noise of unit variance whose features are about size/scale pixels wide."""
    coarse = torch.randn(1, 1, scale + 3, scale + 3, generator=g)
    fine = F.interpolate(coarse, size=(size + 3 * size // scale,) * 2, mode="bicubic", align_corners=False)
    fine = fine[0, 0, :size, :size]
    return (fine - fine.mean()) / fine.std()


def _turbulence(size: int, g: torch.Generator, octaves: int = 4) -> torch.Tensor:
    """Sum of |noise| over octaves, each twice as fine and half as strong (Perlin 1985)."""
    return sum(_smooth_noise(size, 4 * 2**o, g).abs() / 2**o for o in range(octaves))


def _palette(g: torch.Generator, k: int) -> torch.Tensor:
    """k random saturated colours (k, 3) in [0, 1]."""
    hue = torch.rand(k, generator=g)
    offsets = torch.tensor([0.0, 1 / 3, 2 / 3])
    return 0.55 + 0.4 * torch.cos(2 * math.pi * (hue[:, None] + offsets))


def texture(name: str, size: int = 256, seed: int = 0) -> torch.Tensor:
    """The texture ``name`` (one of ``TEXTURES``) as a (3, size, size) float32 tensor in [0, 1].

    Photographed textures are resized (antialiased) from 512×512; procedural ones are drawn at ``size``.
    """
    if name not in TEXTURES:
        raise ValueError(f"no texture {name!r}; the textures are: {', '.join(TEXTURES)}.")
    if not isinstance(size, int) or isinstance(size, bool) or not 16 <= size <= 1024:
        raise ValueError(f"size must be an integer number of pixels between 16 and 1024, got {size!r}.")
    g = torch.Generator().manual_seed(seed)
    if name in PHOTOGRAPHED:

        gray = torch.from_numpy(getattr(data, name)()).float()[None, None] / 255
        gray = F.interpolate(gray, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return gray[0].expand(3, -1, -1).clamp(0, 1).contiguous()

    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    if name == "stripes":
        period = size / (6 + 6 * torch.rand(1, generator=g).item())
        phase = 2 * math.pi * (xx + yy * 0.3) / period + 2.5 * _smooth_noise(size, 4, g)
        colours = _palette(g, 2)
        t = (0.5 + 0.5 * torch.sin(phase))[None]
        img = colours[0][:, None, None] * t + colours[1][:, None, None] * (1 - t)
    elif name == "cells":
        k = 40
        seeds = torch.rand(k, 2, generator=g) * size
        d = torch.cdist(torch.stack([yy, xx], -1).reshape(-1, 2), seeds)  # (size², k) distance to every seed
        nearest2 = d.topk(2, largest=False).values
        owner = d.argmin(1).reshape(size, size)
        border = ((nearest2[:, 1] - nearest2[:, 0]).reshape(size, size) < size / 80).float()
        colours = _palette(g, k)
        img = colours[owner].permute(2, 0, 1) * (1 - 0.8 * border)
    elif name == "dots":
        colours = _palette(g, 3)
        img = torch.full((3, size, size), 0.95)
        for _ in range(int(size * size / 400)):
            cy, cx = (torch.rand(2, generator=g) * size).tolist()
            r = size / 40 * (0.6 + torch.rand(1, generator=g).item())
            c = colours[torch.randint(0, 3, (1,), generator=g)].reshape(3, 1, 1)
            # only the disc's neighbourhood changes: paint inside its bounding box
            top, bottom = max(0, int(cy - r - 6)), min(size, int(cy + r + 7))
            left, right = max(0, int(cx - r - 6)), min(size, int(cx + r + 7))
            dist = torch.sqrt((yy[top:bottom, left:right] - cy) ** 2 + (xx[top:bottom, left:right] - cx) ** 2)
            disc = torch.sigmoid((r - dist) * 1.5)  # a soft edge, about one pixel wide
            img[:, top:bottom, left:right] = img[:, top:bottom, left:right] * (1 - disc) + c * disc
    else:  # marble
        veins = torch.sin((xx + yy) / size * 4 * math.pi + 6 * _turbulence(size, g))
        t = (0.5 + 0.5 * veins).pow(0.5)[None]
        base, vein = torch.tensor([0.93, 0.9, 0.85]), torch.tensor([0.35, 0.3, 0.38])
        img = base[:, None, None] * t + vein[:, None, None] * (1 - t)
    noise = 0.02 * torch.randn(3, size, size, generator=g)
    return (img + noise).clamp(0, 1).float()


def all_textures(size: int = 256, seed: int = 0) -> dict[str, torch.Tensor]:
    """Every texture at ``size``: {name: (3, size, size) tensor}."""
    return {name: texture(name, size, seed) for name in TEXTURES}


def crops(n: int, size: int = 64, names: tuple[str, ...] = TEXTURES, source_size: int = 256, seed: int = 0):
    """``n`` random ``size``-pixel crops of the textures ``names`` (drawn at ``source_size``), with flips.

    Returns ``images`` (n, 3, size, size) float32 in [0, 1] and ``texture_index`` (n,) int64 into ``names``.
    """
    if size > source_size:
        raise ValueError(f"size ({size}) must not exceed source_size ({source_size}).")
    rng = np.random.default_rng([seed, size])
    sources = [texture(name, source_size, seed) for name in names]
    which = rng.integers(0, len(names), n)
    out = torch.empty(n, 3, size, size)
    for i, k in enumerate(which):
        top, left = rng.integers(0, source_size - size + 1, 2)
        crop = sources[k][:, top:top + size, left:left + size]
        out[i] = crop.flip(-1) if rng.random() < 0.5 else crop
    return out, torch.from_numpy(which).long()
