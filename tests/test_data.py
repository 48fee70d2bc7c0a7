"""The embedded datasets and ck.data.load: shapes, ranges, determinism, disjoint splits, clear errors."""

import pytest
import torch

import coursekit as ck
from coursekit.data import digits, photos, textures


def _in_unit_range(x):
    return x.dtype == torch.float32 and x.min() >= 0 and x.max() <= 1


def test_digits_shapes_ranges_and_determinism():
    images, labels = digits.render_digits(64, "train", seed=1)
    assert images.shape == (64, 1, 28, 28) and _in_unit_range(images)
    assert labels.shape == (64,) and labels.dtype == torch.int64 and 0 <= labels.min() and labels.max() <= 9
    again, labels_again = digits.render_digits(64, "train", seed=1)
    assert torch.equal(images, again) and torch.equal(labels, labels_again)
    assert not torch.equal(digits.render_digits(64, "train", seed=2)[0], images)


def test_digits_look_like_mnist():
    images, _ = digits.render_digits(500, "train")
    ink = images > 0.5
    # MNIST: about 19% of the pixels carry ink, inside a 20×20 box centred in the frame, none on the border
    assert 0.08 < ink.float().mean() < 0.3
    assert images[:, :, :2].max() < 0.1 and images[:, :, -2:].max() < 0.1  # at most a faint anti-aliased edge
    rows = torch.arange(28).float()
    centre = (images[:, 0].sum(2) * rows).sum(1) / images[:, 0].sum((1, 2))
    assert (centre - 13.5).abs().mean() < 2


def test_digits_labels_can_be_chosen():
    wanted = torch.tensor([7] * 10)
    _, labels = digits.render_digits(10, labels=wanted)
    assert labels.tolist() == [7] * 10
    with pytest.raises(ValueError, match="labels must be"):
        digits.render_digits(3, labels=torch.tensor([1, 2, 12]))


def test_digit_splits_use_disjoint_faces():
    assert set(digits.TRAIN_FONTS).isdisjoint(digits.TEST_FONTS)
    train_glyphs, _ = digits.glyphs("train")
    test_glyphs, _ = digits.glyphs("test")
    assert train_glyphs.shape[1:] == test_glyphs.shape[1:] == (10, 64, 64)
    # every face draws ten different, non-empty digits
    for bank in (train_glyphs, test_glyphs):
        assert (bank.sum((2, 3)) > 50).all()


def test_digits_refuse_bad_arguments():
    with pytest.raises(ValueError, match="n must be"):
        digits.render_digits(0)
    with pytest.raises(ValueError, match="split must be"):
        digits.render_digits(5, split="validation")


def test_handwritten_digits():
    images, labels = digits.handwritten()
    assert images.shape == (1797, 1, 28, 28) and _in_unit_range(images)
    assert torch.bincount(labels).min() > 170
    assert images[:, :, :4].max() == 0  # the 20×20 box is centred


def test_photos_patches_and_splits():
    assert set(photos.SPLITS["train"]).isdisjoint(photos.SPLITS["test"])
    images, which = photos.patches(40, 32, "test", seed=3)
    assert images.shape == (40, 3, 32, 32) and _in_unit_range(images)
    assert which.max() < len(photos.SPLITS["test"])
    assert torch.equal(photos.patches(40, 32, "test", seed=3)[0], images)
    assert images.std() > 0.05  # crops show content, not a flat colour
    with pytest.raises(ValueError, match="size must be"):
        photos.patches(4, 4)
    with pytest.raises(ValueError, match="no shipped photo"):
        photos.photo("mona_lisa")


def test_every_photo_loads():
    for p in photos.PHOTOS:
        image = photos.photo(p.name)
        assert image.dim() == 3 and image.shape[0] == 3 and min(image.shape[1:]) >= 200 and _in_unit_range(image)


def test_edges_are_binary_and_follow_the_photo():
    edges, images = photos.edges2photos(8, 64, seed=1)
    assert edges.shape == (8, 1, 64, 64) and images.shape == (8, 3, 64, 64)
    assert set(edges.unique().tolist()) <= {0.0, 1.0}
    # edge pixels sit where the photo's gradient is large
    gray = images.mean(1, keepdim=True)
    grad = (gray[..., 1:, 1:] - gray[..., :-1, 1:]).abs() + (gray[..., 1:, 1:] - gray[..., 1:, :-1]).abs()
    on = edges[..., 1:, 1:] > 0
    assert grad[on].mean() > 2 * grad[~on].mean()


def test_textures():
    for name in textures.TEXTURES:
        t = textures.texture(name, 64, seed=1)
        assert t.shape == (3, 64, 64) and _in_unit_range(t) and t.std() > 0.03, name
    assert torch.equal(textures.texture("cells", 64, seed=1), textures.texture("cells", 64, seed=1))
    with pytest.raises(ValueError, match="no texture"):
        textures.texture("velvet")


@pytest.mark.parametrize(("name", "shape"), [
    ("digits", (10, 1, 28, 28)), ("handwritten", (10, 1, 28, 28)), ("natural", (10, 3, 32, 32)),
    ("photos", (10, 3, 64, 64)), ("textures", (10, 3, 64, 64)), ("scenes", (10, 3, 64, 64)),
    ("facades", (10, 3, 128, 128)), ("edges2photos", (10, 1, 64, 64)), ("spirals", (10, 2)),
])
def test_load_embedded(name, shape, capsys):
    data = ck.data.load(name, n=10, source="embedded")
    assert tuple(data.images.shape) == shape and len(data) == 10
    line = capsys.readouterr().out
    assert line.startswith(f"data · {name} · ") and len(line.strip().splitlines()) == 1
    assert data.images.min() >= (-2 if name == "spirals" else 0) and data.images.max() <= (2 if name == "spirals" else 1)
    item = data[0]
    assert isinstance(item, (tuple, torch.Tensor))


def test_load_train_and_test_differ():
    train = ck.data.load("scenes", n=4, source="embedded", verbose=False)
    test = ck.data.load("scenes", split="test", n=4, source="embedded", verbose=False)
    assert not torch.equal(train.images, test.images)


def test_imageset_feeds_a_dataloader():
    data = ck.data.load("digits", n=12, source="embedded", verbose=False)
    images, labels = next(iter(torch.utils.data.DataLoader(data, batch_size=4)))
    assert images.shape == (4, 1, 28, 28) and labels.shape == (4,)


def test_load_refuses_unknown_names_and_sources():
    with pytest.raises(ValueError, match="no dataset 'imagenet'"):
        ck.data.load("imagenet")
    with pytest.raises(ValueError, match="source must be"):
        ck.data.load("digits", source="internet")
    with pytest.raises(ValueError, match="no real dataset"):
        ck.data.load("scenes", source="real")
    with pytest.raises(ValueError, match="no embedded dataset"):
        ck.data.load("fashion", source="embedded")


@pytest.mark.timed
@pytest.mark.parametrize("kwargs, message", [
    (dict(name="photos", n=10**9), r"n=1,000,000,000 images of 64 px from photos would take 45,776.4 GiB; at most "
                                   r"87,381 fit"),
    (dict(name="digits", n=10**12), r"at most 1,369,568 fit in the 4 GiB one load may take"),
    (dict(name="spirals", n=10**9), r"n=1,000,000,000 points from spirals would take"),
    (dict(name="digits", n=0), "n must be a positive integer"),
    (dict(name="digits", n=2.5), "n must be a positive integer"),
    (dict(name="digits", seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(name="photos", size=0), "size must be a positive number of pixels, or None .* got 0"),
    (dict(name="photos", size=-8), "size must be a positive number of pixels, or None .* got -8"),
    (dict(name="digits", size=64), r"digits images are 28×28: size cannot change that"),
    (dict(name="fashion", size=32), r"fashion images are 28×28"),
    (dict(name="moons", size=16), "a set of 2-D points, not images"),
])
def test_load_refuses_arguments_it_cannot_honour_up_front(kwargs, message):
    """A billion photos used to allocate 8 GB for 26 s before a raw allocator error; size=0 meant the default."""
    import time

    start = time.monotonic()
    with pytest.raises(ValueError, match=message):
        ck.data.load(**kwargs, source="embedded" if kwargs["name"] != "fashion" else "auto")
    assert time.monotonic() - start < 1


def test_load_says_when_there_are_fewer_images_than_asked(capsys):
    data = ck.data.load("handwritten", n=5000)
    assert len(data) == 1797 and "(n=5,000 asked for; the set has 1,797)" in capsys.readouterr().out


def test_the_colorization_data_is_three_quarters_scenes():
    images, is_scene = ck.data.colorization_data(8, seed=3)
    assert images.shape == (8, 3, 64, 64) and is_scene.tolist() == [True] * 6 + [False] * 2
    test, _ = ck.data.colorization_data(8, seed=3, split="test")
    assert not torch.equal(images, test)


def test_render_digits_draws_the_same_digits_in_any_chunk_size(monkeypatch):
    """Every random number is drawn first and the images CHUNK at a time: the chunk size changes nothing."""
    labels = torch.arange(10).repeat(2)
    whole = [digits.render_digits(20, split, seed=3) for split in ("train", "test")] + [
        digits.render_digits(20, "test", seed=4, labels=labels)]
    monkeypatch.setattr(digits, "CHUNK", 7)
    chunked = [digits.render_digits(20, split, seed=3) for split in ("train", "test")] + [
        digits.render_digits(20, "test", seed=4, labels=labels)]
    for (a, la), (b, lb) in zip(whole, chunked):
        assert torch.equal(a, b) and torch.equal(la, lb)
