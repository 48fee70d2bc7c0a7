"""The classifiers, their training loop and their checkpoints."""

from dataclasses import asdict

import pytest
import torch

from coursekit import checkpoints, models, training, visualize
from coursekit.checkpoints import CheckpointError


def test_model_shapes_and_features():
    digit = models.DigitCNN()
    out = digit.features(torch.rand(3, 1, 28, 28))
    assert out["conv1"].shape == (3, 32, 28, 28) and out["conv2"].shape == (3, 64, 14, 14)
    assert out["logits"].shape == (3, 10)
    natural = models.NaturalCNN()
    feats = natural.features(torch.rand(2, 3, 32, 32))
    assert feats["conv1"].shape == (2, 32, 32, 32) and feats["conv3"].shape == (2, 128, 8, 8)
    assert natural(torch.rand(2, 3, 32, 32)).shape == (2, 17)
    with pytest.raises(ValueError, match="digits shaped"):
        digit(torch.rand(2, 3, 28, 28))


def test_train_step_returns_numbers_and_changes_the_model():
    torch.manual_seed(0)
    model = models.DigitCNN()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    metrics = training.train_step(model, optimizer, torch.rand(8, 1, 28, 28), torch.randint(0, 10, (8,)))
    assert set(metrics) == {"loss", "accuracy"} and all(isinstance(v, float) for v in metrics.values())
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_fit_learns_a_separable_toy_task():
    torch.manual_seed(0)
    images = torch.zeros(200, 1, 28, 28)
    labels = torch.arange(200) % 2
    images[labels == 1, :, :14] = 1.0  # class 1: a bright top half
    model = models.DigitCNN()
    calls = []
    history = training.fit(model, images, labels, steps=30, batch_size=16, every=10,
                        callback=lambda step, h: calls.append(step))
    assert calls == [10, 20, 30] and history["step"] == [10, 20, 30]
    assert training.evaluate(model, images, labels)["accuracy"] == 1.0


def test_evaluate_and_confusion_matrix():
    model = models.DigitCNN().eval()
    images, labels = torch.rand(20, 1, 28, 28), torch.randint(0, 10, (20,))
    result = training.evaluate(model, images, labels, batch_size=7)
    assert result["predictions"].shape == (20,) and result["probabilities"].shape == (20, 10)
    torch.testing.assert_close(result["probabilities"].sum(1), torch.ones(20))
    cm = training.confusion_matrix(result["predictions"], labels, 10)
    assert cm.sum() == 20 and cm.diagonal().sum() == (result["predictions"] == labels).sum()


def test_checkpoint_round_trip_and_refusals(tmp_path):
    model = models.DigitCNN()
    config = asdict(model.config)
    path = checkpoints.save(tmp_path / "d.pt", model, "digit_cnn", config, {"acc": 0.5}, {"steps": 1})
    payload = checkpoints.load(path, "digit_cnn", config)
    assert payload["metrics"] == {"acc": 0.5}
    assert not list(tmp_path.glob("*.partial"))
    with pytest.raises(CheckpointError, match="holds the model 'digit_cnn'"):
        checkpoints.load(path, "natural_cnn")
    with pytest.raises(CheckpointError, match=r"another configuration \(hidden: 128 in the file, 64 asked for\)"):
        checkpoints.load(path, "digit_cnn", {**config, "hidden": 64})
    # a field added to the configuration after the checkpoint was made: read as the value it was made with
    assert checkpoints.load(path, "digit_cnn", {**config, "new": "old way"}, added={"new": "old way"})
    with pytest.raises(CheckpointError, match=r"new: 'old way' in the file, 'new way' asked for"):
        checkpoints.load(path, "digit_cnn", {**config, "new": "new way"}, added={"new": "old way"})
    old = torch.load(path, weights_only=True)
    old["format_version"] = 0
    torch.save(old, tmp_path / "old.pt")
    with pytest.raises(CheckpointError, match="another version of coursekit"):
        checkpoints.load(tmp_path / "old.pt", "digit_cnn", config)
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="not a coursekit checkpoint"):
        checkpoints.load(tmp_path / "bare.pt", "digit_cnn")
    (tmp_path / "junk.pt").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="not a readable coursekit checkpoint"):
        checkpoints.load(tmp_path / "junk.pt", "digit_cnn")
    with pytest.raises(CheckpointError, match="python -m coursekit.train digit_cnn"):
        checkpoints.load(tmp_path / "missing.pt", "digit_cnn")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty, 0 bytes"):  # was an IndexError from the error handler
        checkpoints.load(tmp_path / "empty.pt", "digit_cnn")


class _Payload:  # an object a pickle would build, and could run code while building
    pass


def test_a_checkpoint_holding_other_objects_is_refused_without_suggesting_to_unpickle_it(tmp_path):
    torch.save({"format": checkpoints.FORMAT, "trap": _Payload()}, tmp_path / "trap.pt")
    with pytest.raises(CheckpointError, match=r"holds Python objects \(.*_Payload\) .* does not unpickle") as err:
        checkpoints.load(tmp_path / "trap.pt", "digit_cnn")
    assert "weights_only" not in str(err.value) and err.value.__cause__ is None and err.value.__suppress_context__


def test_orientation_selectivity_tells_gabors_from_noise():
    from coursekit import conv

    gabors = conv.gabor_bank(8, size=7, wavelength=4.0, sigma=2.0).repeat(1, 3, 1, 1)
    assert (visualize.orientation_selectivity(gabors) > 5).all()
    torch.manual_seed(0)
    random = torch.nn.Conv2d(3, 64, 7).weight.detach()
    assert (visualize.orientation_selectivity(random) >= 3).float().mean() < 0.15
    blob = torch.exp(-((torch.arange(7.0) - 3) ** 2)[:, None] / 4 - ((torch.arange(7.0) - 3) ** 2)[None] / 4)
    assert visualize.orientation_selectivity(blob.expand(1, 3, 7, 7)).item() < 1.5


def test_maximize_activation_raises_the_activation():
    torch.manual_seed(0)
    model = models.NaturalCNN().eval()
    image, history = visualize.maximize_activation(model, "conv2", unit=3, size=32, steps=30)
    assert image.shape == (3, 32, 32) and image.min() >= 0 and image.max() <= 1
    assert history[-1] > history[0]


def test_half_checkpoint_gives_back_the_halved_weights(tmp_path):
    torch.manual_seed(0)
    model = models.DigitCNN()
    config = asdict(model.config)
    full = checkpoints.save(tmp_path / "full.pt", model, "digit_cnn", config, {}, {"steps": 1})
    half = checkpoints.save(tmp_path / "half.pt", model, "digit_cnn", config, {}, {"steps": 1}, half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    stored = checkpoints.load(half, "digit_cnn", config)["state_dict"]
    assert stored["conv1.weight"].dtype == torch.float16
    reloaded = models.DigitCNN()
    reloaded.load_state_dict(stored)  # cast back to float32 by load_state_dict
    assert reloaded.conv1.weight.dtype == torch.float32
    checkpoints.halved(model)  # what the recipe measures its metrics on
    for a, b in zip(model.state_dict().values(), reloaded.state_dict().values()):
        assert torch.equal(a, b)


def test_train_loop_is_plain_minibatch_descent():
    """train_loop against the update written out by hand: SGD on the mean cross-entropy of the batches that the same
    generator draws, each step in training mode even after a callback that evaluates the model."""
    images, labels = torch.randn(30, 1, 2, 2), torch.arange(30) % 3
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.0), torch.nn.Linear(4, 3))
    w, b = (p.detach().clone() for p in model[2].parameters())
    modes, calls = [], []
    model[1].register_forward_hook(lambda module, args, out: modes.append(module.training))

    def evaluate(step, losses):
        calls.append((step, list(losses)))
        model.eval()

    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = training.train_loop(model, optimizer, images, labels, steps=4, batch_size=5,
                              generator=torch.Generator().manual_seed(1), callback=evaluate)
    g = torch.Generator().manual_seed(1)
    expected = []
    for _ in range(4):
        idx = torch.randint(0, 30, (5,), generator=g)
        w_, b_ = w.clone().requires_grad_(), b.clone().requires_grad_()
        loss = torch.nn.functional.cross_entropy(images[idx].flatten(1) @ w_.T + b_, labels[idx])
        gw, gb = torch.autograd.grad(loss, [w_, b_])
        w, b = w - 0.5 * gw, b - 0.5 * gb  # w ← w − η ∂L/∂w
        expected.append(loss.item())
    torch.testing.assert_close(model[2].weight, w)
    torch.testing.assert_close(model[2].bias, b)
    assert losses == pytest.approx(expected) and all(isinstance(v, float) for v in losses)
    assert modes == [True] * 4 and [step for step, _ in calls] == [1, 2, 3, 4]
    assert [len(seen) for _, seen in calls] == [1, 2, 3, 4]


def test_the_cosine_schedule_is_the_half_cosine():
    import math

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    schedule = training.cosine_schedule(optimizer, 8)
    rates = []
    for _ in range(8):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates == pytest.approx([0.05 * (1 + math.cos(math.pi * t / 8)) for t in range(8)])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_random_flips_flip_the_same_items_of_every_tensor():
    images = torch.arange(2 * 3 * 4.0).reshape(2, 1, 3, 4).repeat(8, 1, 1, 1)
    maps = images[:, 0].long()
    flipped, flipped_maps = training.random_flips([images, maps], torch.Generator().manual_seed(0))
    was_flipped = (flipped != images).flatten(1).any(1)
    assert 0 < was_flipped.sum() < len(images)
    assert torch.equal(flipped[was_flipped], images[was_flipped].flip(-1))
    assert torch.equal(flipped_maps, flipped[:, 0].long())



def test_hog_features_are_scikit_images_per_image():
    from skimage.feature import hog

    images = torch.rand(3, 1, 28, 28)
    features = training.hog_features(images)
    assert features.shape == (3, 324) and features.dtype == torch.float32
    expected = hog(images[1, 0].numpy(), orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2))
    torch.testing.assert_close(features[1], torch.from_numpy(expected).float())
    with pytest.raises(ValueError, match="gray images"):
        training.hog_features(torch.rand(2, 3, 28, 28))


def test_hog_features_see_an_edge_direction():
    vertical = torch.zeros(1, 1, 28, 28)
    vertical[..., 14:] = 1.0  # a vertical edge: its gradient points along x
    horizontal = vertical.transpose(-1, -2)
    assert not torch.allclose(training.hog_features(vertical), training.hog_features(horizontal))


def test_linear_classifier_separates_separable_classes_and_standardises():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]) * 1000  # large raw scale: standardised away
    labels = torch.arange(3).repeat(50)
    features = centres[labels] + 300 * torch.randn(150, 2, generator=g)
    predict = training.linear_classifier(features, labels, steps=200)
    assert (predict(features) == labels).float().mean() > 0.97
    assert predict(centres).tolist() == [0, 1, 2]
