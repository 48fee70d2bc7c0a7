"""A picture of every embedded dataset, to look at what the course trains on, and a benchmark of their generators.

``coursekit gallery`` writes the picture (``build/gallery.png``); ``coursekit bench data`` times the generators.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from coursekit.data import digits, facades, photos, scenes, textures, toy

TILE = 96  # every sample is shown at 96×96 pixels


def _strip(images: torch.Tensor, gap: int = 4) -> torch.Tensor:
    """(N, C, H, W) images in [0, 1] → one (TILE, N·(TILE + gap), 3) RGB strip, small images enlarged pixel by pixel."""
    images = images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
    mode = "nearest" if images.shape[-1] < TILE / 2 else "bilinear"
    tiles = F.interpolate(images.float(), size=(TILE, TILE), mode=mode).clamp(0, 1)
    tiles = F.pad(tiles, (0, gap), value=1.0)  # a white gap on the right of each tile
    return torch.cat(list(tiles), dim=2).permute(1, 2, 0)


def gallery(path: Path, seed: int = 0, columns: int = 10) -> Path:
    """Draw samples of every embedded dataset, one row each, and save the figure as a PNG at ``path``."""
    half = columns // 2
    photo_images, label_maps = facades.render_facades(half, 128, seed)
    edges, crops = photos.edges2photos(half, 96, "train", seed)
    rows = [
        ("digits, training fonts", digits.render_digits(columns, "train", seed)[0]),
        ("digits, held-out test fonts", digits.render_digits(columns, "test", seed)[0]),
        ("real handwriting (scikit-learn, 8×8 → 28×28)", digits.handwritten()[0][:columns]),
        ("photo crops, 64 px, training photos", photos.patches(columns, 64, "train", seed)[0]),
        ("photo crops, 64 px, test photos (never trained on)", photos.patches(columns, 64, "test", seed)[0]),
        ("textures: " + ", ".join(textures.TEXTURES), torch.stack([textures.texture(t, 96, seed)
                                                                   for t in textures.TEXTURES])),
        ("colour scenes for colorization (64 px)", scenes.render_scenes(columns, 64, seed)[0]),
        ("façades: label map → photo (128 px)",
         torch.stack([x for pair in zip(facades.labels_to_rgb(label_maps), photo_images) for x in pair])),
        ("edges → photo (Canny edges of 96-px crops, shown black on white)",
         torch.stack([x for pair in zip(1 - edges.expand(-1, 3, -1, -1), crops) for x in pair])),
    ]
    width = columns * (TILE + 4)
    fig = plt.figure(figsize=(width / 70, (len(rows) + 1) * (TILE + 30) / 70))
    grid = fig.add_gridspec(len(rows) + 1, 4)
    for r, (title, images) in enumerate(rows):
        ax = fig.add_subplot(grid[r, :])
        strip = _strip(images)
        canvas = torch.ones(TILE, width, 3)
        canvas[:, : strip.shape[1]] = strip[:, :width]
        ax.imshow(canvas.numpy())
        ax.set_title(title, loc="left", fontsize=10)
        ax.axis("off")
    for c, (name, make) in enumerate([("two spirals", toy.two_spirals), ("moons", toy.moons), ("blobs", toy.blobs),
                                      ("ring of 8 Gaussians", toy.ring_of_gaussians)]):
        ax = fig.add_subplot(grid[-1, c])
        points, labels = make(600, seed=seed)
        ax.scatter(points[:, 0], points[:, 1], c=labels, s=2, cmap="tab10" if "ring" in name else "coolwarm")
        ax.set_title(f"toy 2-D: {name}", fontsize=9)
        ax.set(xticks=[], yticks=[], aspect="equal")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=70, bbox_inches="tight")
    plt.close(fig)
    return path


def bench(seed: int = 0) -> list[tuple[str, float, str]]:
    """Time each embedded generator on this machine: [(what, seconds, target)]."""
    digits.glyphs("train")  # fonts are rendered once per process: not part of the per-sample cost
    jobs = [
        ("10,000 digits (28×28)", lambda: digits.render_digits(10_000, "train", seed), "< 10 s"),
        ("400 façade pairs (128×128)", lambda: facades.render_facades(400, 128, seed), "< 20 s"),
        ("2,000 colour scenes (64×64)", lambda: scenes.render_scenes(2000, 64, seed), ""),
        ("2,000 photo crops (64×64)", lambda: photos.patches(2000, 64, "train", seed), ""),
        ("500 edge/photo pairs (64×64)", lambda: photos.edges2photos(500, 64, "train", seed), ""),
        ("7 textures (256×256)", lambda: textures.all_textures(256, seed), ""),
    ]
    results = []
    for what, job, target in jobs:
        start = time.perf_counter()
        job()
        results.append((what, time.perf_counter() - start, target))
    return results
