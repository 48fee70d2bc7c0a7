"""Toy 2-D distributions: two spirals, two moons, linearly separable blobs, a ring of Gaussians.

Small point clouds whose decision boundaries and densities can be drawn on a page. Notebook 01 trains a neuron and an
MLP on them («Calculs dans un réseau de neurones»); notebook 07 shows a GAN's mode collapse on the ring of 8 Gaussians.

Every generator is deterministic for a seed and returns float32 points ``x`` of shape (N, 2) with ``int64`` labels
``y`` of shape (N,); the coordinates lie roughly in [-1.5, 1.5]. ``plane_grid`` covers the plane around them with a
grid of points, on which a model's output is drawn (a neuron's decision boundary, a GAN discriminator's surface).
"""

from __future__ import annotations

import math

import torch


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _check_count(n: int, name: str = "n") -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise ValueError(f"{name} must be an integer of at least 2 (points in all), got {n!r}.")


def two_spirals(n: int = 1000, turns: float = 1.5, noise: float = 0.05, seed: int = 0):
    """Two interleaved spirals, one per class: the classic problem no linear classifier can solve.

    Point k of class c sits at angle θ = 2π·turns·t (t uniform in [0, 1]) and radius r = t,
    x = r (cos(θ + cπ), sin(θ + cπ)) + noise.

    Returns ``x`` (n, 2) float32 and ``y`` (n,) int64 in {0, 1}, classes balanced.
    """
    _check_count(n)
    g = _generator(seed)
    y = torch.arange(n) % 2
    t = torch.rand(n, generator=g) * 0.95 + 0.05  # keep away from the centre, where the spirals touch
    theta = 2 * math.pi * turns * t + math.pi * y
    x = torch.stack([t * torch.cos(theta), t * torch.sin(theta)], dim=1) * 1.4
    x = x + noise * torch.randn(n, 2, generator=g)
    return x.float(), y.long()


def moons(n: int = 1000, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (as scikit-learn's ``make_moons``), centred on the origin.

    Returns ``x`` (n, 2) float32 and ``y`` (n,) int64 in {0, 1}.
    """
    _check_count(n)
    g = _generator(seed)
    y = torch.arange(n) % 2
    angle = torch.rand(n, generator=g) * math.pi
    upper = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    lower = torch.stack([1 - torch.cos(angle), 0.5 - torch.sin(angle)], dim=1)
    x = torch.where(y[:, None] == 0, upper, lower) - torch.tensor([0.5, 0.25])
    x = x + noise * torch.randn(n, 2, generator=g)
    return x.float(), y.long()


def blobs(n: int = 400, distance: float = 1.6, std: float = 0.35, seed: int = 0):
    """Two Gaussian clouds whose centres are ``distance`` apart along the diagonal: linearly separable.

    Returns ``x`` (n, 2) float32 and ``y`` (n,) int64 in {0, 1}.
    """
    _check_count(n)
    g = _generator(seed)
    y = torch.arange(n) % 2
    centre = (y.float()[:, None] - 0.5) * distance / math.sqrt(2) * torch.tensor([1.0, -1.0])
    x = centre + std * torch.randn(n, 2, generator=g)
    return x.float(), y.long()


def ring_of_gaussians(n: int = 1000, modes: int = 8, radius: float = 1.0, std: float = 0.05, seed: int = 0):
    """A mixture of ``modes`` Gaussians of standard deviation ``std`` evenly spaced on a circle.

    Returns ``x`` (n, 2) float32 and ``y`` (n,) int64, the index of the mode each point was drawn from.
    The centres are ``ring_centres(modes, radius)``.
    """
    _check_count(n)
    if modes < 1:
        raise ValueError(f"modes must be at least 1, got {modes!r}.")
    g = _generator(seed)
    y = torch.randint(0, modes, (n,), generator=g, device="cpu")
    x = ring_centres(modes, radius)[y] + std * torch.randn(n, 2, generator=g, device="cpu")
    return x.float(), y.long()


def ring_centres(modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """The (modes, 2) centres of ``ring_of_gaussians``."""
    angle = 2 * math.pi * torch.arange(modes, device="cpu") / modes
    return radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)


def plane_grid(extent: float = 1.6, resolution: int = 200) -> tuple[torch.Tensor, int]:
    """Points of a square grid over [−extent, extent]²: ((resolution², 2) float32 points, resolution).

    Row r, column c of the grid is point r·resolution + c, with y increasing with r (``origin="lower"``).
    """
    axis = torch.linspace(-extent, extent, resolution, device="cpu")
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1), resolution
