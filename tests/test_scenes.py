"""The colorization scenes: shapes, determinism, the colour modes in the rendered pixels, and the gamut."""

import numpy as np
import pytest
import torch
from skimage.color import lab2rgb, rgb2lab
from skimage.measure import label

from coursekit.data import scenes

NAMES = [c.name for c in scenes.SCENE_CLASSES]


@pytest.fixture(scope="module")
def batch():
    images, classes, modes = scenes.render_scenes(300, size=64, seed=0)
    lab = rgb2lab(images.permute(0, 2, 3, 1).numpy().astype(np.float64))  # (n, H, W, 3)
    return images, classes.numpy(), modes.numpy(), lab


def test_shapes_dtypes_and_ranges(batch):
    images, classes, modes, _ = batch
    assert images.shape == (300, 3, 64, 64) and images.dtype == torch.float32
    assert classes.shape == (300, 64, 64) and classes.dtype == np.int64
    assert modes.shape == (300, 64, 64) and modes.dtype == np.int64
    assert images.min() >= 0 and images.max() <= 1
    assert NAMES[0] == "sky" and (classes[:, 0, :] == 0).mean() > 0.5  # the top row is mostly sky
    assert classes.min() >= 0 and classes.max() < len(NAMES)
    n_modes = np.array([len(c.modes) for c in scenes.SCENE_CLASSES])
    assert (modes >= 0).all() and (modes < n_modes[classes]).all(), "a pixel's mode must exist for its class"
    assert set(np.unique(classes)) == set(range(len(NAMES))), "every class should appear somewhere in 300 scenes"


def test_small_size_and_one_scene():
    images, classes, modes = scenes.render_scenes(1, size=16, seed=5)
    assert images.shape == (1, 3, 16, 16) and classes.shape == modes.shape == (1, 16, 16)


def test_deterministic_and_independent_of_n():
    a = scenes.render_scenes(5, size=32, seed=1)
    b = scenes.render_scenes(5, size=32, seed=1)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    first3 = scenes.render_scenes(3, size=32, seed=1)  # scene i is seeded with (seed, i), not drawn after scene i − 1
    for x, y in zip(first3, a):
        assert torch.equal(x, y[:3])
    other = scenes.render_scenes(5, size=32, seed=2)
    assert not torch.equal(other[0], a[0]) and not torch.equal(other[1], a[1])


def test_mode_frequencies_match_probabilities(batch):
    # Count objects as connected regions of one (class, mode). Where objects touch or occlude one another the count
    # is off, but by the same factor for every mode (a mode is drawn independently of the geometry).
    _, classes, modes, _ = batch
    for name in scenes.multimodal_classes():
        k = NAMES.index(name)
        p = scenes.colour_distribution(name)["probabilities"].numpy()
        counts = np.zeros(len(p))
        for i in range(len(classes)):
            for m in range(len(p)):
                regions = label((classes[i] == k) & (modes[i] == m), connectivity=2)
                counts[m] += (np.bincount(regions.ravel())[1:] >= 8).sum()  # ignore slivers left by occlusion
        total = counts.sum()
        assert total > 150, f"{name}: only {total} objects in 300 scenes"
        tolerance = 4 * np.sqrt(total * p * (1 - p))  # 4 binomial standard deviations
        assert (np.abs(counts - total * p) <= tolerance).all(), f"{name}: {counts} objects per mode, expected {p}"


def test_pixels_carry_their_modes_colour(batch):
    _, classes, modes, lab = batch
    for k, c in enumerate(scenes.SCENE_CLASSES):
        for m, (L, a, b) in enumerate(c.modes):
            pixels = lab[(classes == k) & (modes == m)]  # (P, 3)
            assert len(pixels) > 50, f"{c.name} mode {m}: too few pixels"
            distance = np.hypot(pixels[:, 1] - a, pixels[:, 2] - b)
            assert np.median(distance) < 1.0, f"{c.name} mode {m}: ab is {np.median(distance):.2f} from ({a}, {b})"
            assert np.abs(pixels[:, 0] - L).max() <= scenes.L_RANGE + 0.5, f"{c.name} mode {m}: L leaves L ± L_RANGE"


def test_grayscale_gives_no_hint_of_the_mode(batch):
    _, classes, modes, lab = batch
    for name in scenes.multimodal_classes():
        k = NAMES.index(name)
        mean_L = [lab[(classes == k) & (modes == m), 0].mean() for m in range(2)]
        assert abs(mean_L[0] - mean_L[1]) < 3, f"{name}: mean L per mode {mean_L}"


def test_mean_of_the_modes_is_dull():
    assert len(scenes.multimodal_classes()) >= 2
    for name in scenes.multimodal_classes():
        d = scenes.colour_distribution(name)
        assert d["ab"].shape == (2, 2) and d["L"].shape == (2,) and d["probabilities"].shape == (2,)
        assert d["L"][0] == d["L"][1], f"{name}: the modes must share one lightness"
        chroma = d["ab"].norm(dim=1)  # (K,)
        mean_chroma = (d["probabilities"][:, None] * d["ab"]).sum(0).norm()  # chroma of the L2-optimal E[ab]
        assert (mean_chroma <= 0.25 * chroma).all(), f"{name}: mean chroma {mean_chroma:.1f}, modes {chroma}"
        assert (chroma >= 25).all(), f"{name}: modes {chroma} are not vivid"


@pytest.mark.parametrize("c", scenes.SCENE_CLASSES, ids=NAMES)
def test_every_mode_is_inside_the_srgb_gamut(c):
    for L, a, b in c.modes:
        ls = np.linspace(L - scenes.L_RANGE, L + scenes.L_RANGE, 21)
        lab = np.stack([ls, np.full_like(ls, a), np.full_like(ls, b)], axis=1)  # (21, 3)
        back = rgb2lab(lab2rgb(lab))
        assert np.abs(back - lab).max() < 1.0, f"{c.name} mode {(L, a, b)} leaves the sRGB gamut"


def test_colour_distribution_of_a_one_colour_class():
    d = scenes.colour_distribution("sky")
    assert d["ab"].shape == (1, 2) and d["ab"].dtype == torch.float32
    assert d["probabilities"].tolist() == [1.0]
    assert "sky" not in scenes.multimodal_classes()


def test_unknown_class_lists_the_known_ones():
    with pytest.raises(ValueError, match="name must be one of.*balloon"):
        scenes.colour_distribution("unicorn")


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"n": 0}, "n"),
        ({"n": 2.5}, "n"),
        ({"n": True}, "n"),
        ({"n": 2, "size": 8}, "size"),
        ({"n": 2, "size": 32.0}, "size"),
        ({"n": 2, "seed": -1}, "seed"),
    ],
)
def test_bad_arguments_are_refused(kwargs, argument):
    with pytest.raises(ValueError, match=rf"\b{argument} must be an integer"):
        scenes.render_scenes(**kwargs)


def test_scene_class_checks_its_probabilities():
    with pytest.raises(ValueError, match="sum to 1"):
        scenes.SceneClass("x", ((50.0, 0.0, 0.0), (50.0, 1.0, 1.0)), (0.5, 0.6))
    with pytest.raises(ValueError, match="same length"):
        scenes.SceneClass("x", ((50.0, 0.0, 0.0),), (0.5, 0.5))
