"""The toy 2-D point sets: shapes, classes, determinism."""

import pytest
import torch

from coursekit.data import toy


@pytest.mark.parametrize("make", [toy.two_spirals, toy.moons, toy.blobs, toy.ring_of_gaussians])
def test_shapes_and_determinism(make):
    x, y = make(101, seed=3)
    assert x.shape == (101, 2) and x.dtype == torch.float32
    assert y.shape == (101,) and y.dtype == torch.int64
    x2, y2 = make(101, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(make(101, seed=4)[0], x)
    assert x.abs().max() < 2.5


@pytest.mark.parametrize("make", [toy.two_spirals, toy.moons, toy.blobs])
def test_two_balanced_classes(make):
    _, y = make(200)
    assert torch.bincount(y).tolist() == [100, 100]


def test_spirals_are_point_symmetric():
    # class 1 is class 0 turned by π: without noise, each point of one class has its mirror in the other
    x, y = toy.two_spirals(4000, noise=0.0)
    mirrored = -x[y == 0]
    distance = torch.cdist(mirrored, x[y == 1]).min(dim=1).values
    assert distance.max() < 0.1


def test_ring_points_lie_near_their_centres():
    x, y = toy.ring_of_gaussians(2000, modes=8, std=0.02)
    centres = toy.ring_centres(8)
    assert (x - centres[y]).norm(dim=1).max() < 0.15
    assert torch.bincount(y, minlength=8).min() > 150


@pytest.mark.parametrize("n", [1, 0, -5, 2.5])
def test_bad_counts_are_refused(n):
    with pytest.raises(ValueError, match="at least 2"):
        toy.moons(n)
