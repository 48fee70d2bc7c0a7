"""The procedural façades: shapes, determinism, the label palette, and label maps that agree with the photos."""

import numpy as np
import pytest
import torch
from matplotlib import colormaps

from coursekit.data import facades
from coursekit.data.facades import (
    CLASSES,
    PALETTE,
    labels_to_rgb,
    render_facades,
    rgb_to_labels,
)


@pytest.fixture(scope="module")
def fifty():
    """50 façades at 128 px, drawn once for the tests that look at many of them."""
    return render_facades(50, size=128, seed=0)


# ---------------------------------------------------------------------------------------------------------------
# Shapes, ranges, determinism
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [32, 45, 64, 128])
def test_shapes_dtypes_and_ranges(size):
    photos, labels = render_facades(3, size=size, seed=1)
    assert photos.shape == (3, 3, size, size) and photos.dtype == torch.float32
    assert labels.shape == (3, size, size) and labels.dtype == torch.int64
    assert photos.min() >= 0 and photos.max() <= 1
    assert labels.min() >= 0 and labels.max() < len(CLASSES)
    assert torch.isfinite(photos).all()


def test_same_arguments_give_the_same_facades():
    a = render_facades(4, size=64, seed=3)
    b = render_facades(4, size=64, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_facade_i_does_not_depend_on_n():
    few_photos, few_labels = render_facades(3, size=64, seed=3)
    many_photos, many_labels = render_facades(7, size=64, seed=3)
    assert torch.equal(few_photos, many_photos[:3]) and torch.equal(few_labels, many_labels[:3])


def test_different_seeds_and_indices_give_different_facades():
    a_photos, a_labels = render_facades(3, size=64, seed=0)
    b_photos, b_labels = render_facades(3, size=64, seed=1)
    for i in range(3):
        assert not torch.equal(a_labels[i], b_labels[i])
        assert (a_photos[i] - b_photos[i]).abs().mean() > 0.02
    assert not torch.equal(a_labels[0], a_labels[1])


# ---------------------------------------------------------------------------------------------------------------
# Classes and palette
# ---------------------------------------------------------------------------------------------------------------


def test_classes_and_palette_follow_cmp_facades():
    assert CLASSES == ("background", "facade", "window", "door", "cornice", "sill", "balcony", "blind", "deco",
                       "molding", "pillar", "shop")
    assert PALETTE.shape == (12, 3) and PALETTE.dtype == torch.float32
    jet = torch.tensor(colormaps["jet"](np.linspace(0, 1, 12))[:, :3], dtype=torch.float32)  # the oracle
    assert torch.allclose(PALETTE, jet)
    assert PALETTE[0].argmax() == 2 and PALETTE[0, 2] < 0.6  # background: dark blue
    assert PALETTE[11].argmax() == 0 and PALETTE[11, 0] < 0.6  # shop: dark red


def test_label_images_round_trip_exactly(fifty):
    _, labels = fifty
    label_images = labels_to_rgb(labels[:8])
    assert label_images.shape == (8, 3, 128, 128) and label_images.dtype == torch.float32
    assert label_images.min() >= 0 and label_images.max() <= 1
    assert torch.equal(label_images[:, :, 5, 7], PALETTE[labels[:8, 5, 7]])
    assert torch.equal(rgb_to_labels(label_images), labels[:8])
    every_class = torch.arange(12).view(1, 3, 4)
    assert torch.equal(rgb_to_labels(labels_to_rgb(every_class)), every_class)


def test_noisy_label_images_still_give_their_labels(fifty):
    # JPEG moves colours a little; the nearest palette colour is still the right one (palette colours are ≥ 0.24
    # apart, so any error of norm < 0.12 is safe; ±0.06 per channel is at most 0.104).
    _, labels = fifty
    g = torch.Generator().manual_seed(0)
    label_images = labels_to_rgb(labels[:8])
    noisy = (label_images + (torch.rand(label_images.shape, generator=g) - 0.5) * 0.12).clamp(0, 1)
    assert torch.equal(rgb_to_labels(noisy), labels[:8])


# ---------------------------------------------------------------------------------------------------------------
# The label maps agree with the photos
# ---------------------------------------------------------------------------------------------------------------


def test_every_class_appears_across_fifty_facades(fifty):
    _, labels = fifty
    present = torch.zeros(len(CLASSES), dtype=torch.bool)
    present[labels.unique()] = True
    assert present.all(), f"classes never drawn: {[CLASSES[k] for k in range(12) if not present[k]]}"
    # and the basics in every façade
    for k in (facades.BACKGROUND, facades.FACADE, facades.WINDOW):
        assert all((labels[i] == k).any() for i in range(50)), CLASSES[k]


def test_windows_are_darker_than_the_wall(fifty):
    photos, labels = fifty
    brightness = photos.mean(dim=1)  # (N, H, W)
    difference = []
    for i in range(50):
        window, wall = brightness[i][labels[i] == facades.WINDOW], brightness[i][labels[i] == facades.FACADE]
        assert window.mean() < wall.mean(), f"façade {i}: windows {window.mean():.3f}, wall {wall.mean():.3f}"
        difference.append(wall.mean() - window.mean())
    assert torch.stack(difference).mean() > 0.2


def test_each_class_looks_different_from_the_wall_it_sits_on(fifty):
    # Within one photo, every element (with 20 pixels or more) has a mean colour away from the wall's mean colour.
    photos, labels = fifty
    pixels = photos.permute(0, 2, 3, 1)  # (N, H, W, 3)
    for i in range(50):
        wall = pixels[i][labels[i] == facades.FACADE].mean(dim=0)
        for k in range(len(CLASSES)):
            mask = labels[i] == k
            if k != facades.FACADE and mask.sum() >= 20:
                distance = (pixels[i][mask].mean(dim=0) - wall).norm()
                assert distance > 0.02, f"façade {i}: {CLASSES[k]} has the wall's colour ({distance:.3f})"


def test_class_colours_differ_across_the_dataset(fifty):
    photos, labels = fifty
    pixels = photos.permute(0, 2, 3, 1)
    means = torch.stack([pixels[labels == k].mean(dim=0) for k in range(len(CLASSES))])  # (12, 3)
    distance = torch.cdist(means, means) + torch.eye(len(CLASSES))
    assert distance.min() > 0.005
    brightness = means.mean(dim=1)
    for dark in (facades.WINDOW, facades.DOOR, facades.SHOP):
        assert brightness[dark] < brightness[facades.FACADE] - 0.15, CLASSES[dark]
    assert means[facades.BACKGROUND, 2] > means[facades.BACKGROUND, 0]  # the sky is blue


def test_photo_edges_lie_on_label_boundaries(fifty):
    # |∂x I| + |∂y I| of the grey photo is much larger where the label changes than inside regions: label
    # boundaries are where the photo changes, yet regions are textured, not flat.
    photos, labels = fifty
    grey = photos.mean(dim=1)
    gradient = (grey[:, :-1, 1:] - grey[:, :-1, :-1]).abs() + (grey[:, 1:, :-1] - grey[:, :-1, :-1]).abs()
    inner = labels[:, :-1, :-1]
    boundary = (labels[:, :-1, 1:] != inner) | (labels[:, 1:, :-1] != inner)
    assert gradient[boundary].mean() > 2 * gradient[~boundary].mean()
    for i in range(50):
        assert gradient[i][boundary[i]].mean() > 1.2 * gradient[i][~boundary[i]].mean(), f"façade {i}"
    assert gradient[~boundary].mean() > 0.01  # texture and noise inside regions


# ---------------------------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, name", [
    ({"n": 0}, "n"), ({"n": 2.0}, "n"), ({"n": "3"}, "n"), ({"n": True}, "n"),
    ({"n": 2, "size": 16}, "size"), ({"n": 2, "size": 64.0}, "size"),
    ({"n": 2, "seed": -1}, "seed"), ({"n": 2, "seed": 0.5}, "seed"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        render_facades(**kwargs)


def test_label_conversions_reject_wrong_inputs():
    with pytest.raises(ValueError, match="labels must be an integer tensor"):
        labels_to_rgb(torch.zeros(2, 8, 8))  # floats
    with pytest.raises(ValueError, match="labels must be an integer tensor"):
        labels_to_rgb(torch.zeros(8, 8, dtype=torch.int64))  # no batch dimension
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 12\)"):
        labels_to_rgb(torch.full((1, 4, 4), 12))
    with pytest.raises(ValueError, match="label_images must be a float tensor"):
        rgb_to_labels(torch.zeros(1, 4, 8, 8))
    with pytest.raises(ValueError, match="label_images must be a float tensor"):
        rgb_to_labels(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(TypeError, match="labels must be an integer tensor"):
        labels_to_rgb(np.zeros((1, 4, 4), np.int64))  # a numpy array, not a tensor
