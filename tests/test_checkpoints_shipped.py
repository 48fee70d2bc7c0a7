"""The shipped checkpoints load with weights_only=True and reproduce the accuracy stored in them."""

import math

import pytest
import torch

import coursekit as ck
from coursekit import checkpoints


@pytest.mark.parametrize("name", ["digit_cnn", "natural_cnn", "gated_pixelcnn", "colorize_l2", "colorize_classes",
                                  "colorize_gan", "dcgan_digits", "facade_segmenter", "pix2pix_facades_l1",
                                  "pix2pix_facades_gan", "pix2pix_edges_l1", "pix2pix_edges_gan"])
def test_shipped_checkpoint_is_small_and_self_describing(name):
    path = checkpoints.checkpoint_path(name)
    assert path.stat().st_size < 5 * 2**20
    payload = torch.load(path, map_location="cpu", weights_only=True)  # never unpickles arbitrary objects
    assert payload["training"]["command"] == f"python -m coursekit.train {name}"
    assert payload["training"]["steps"] > 0 and payload["metrics"]


def test_digit_checkpoint_reproduces_its_accuracy():
    model = ck.models.digit_classifier(pretrained=True)
    images, labels = ck.data.digits.render_digits(5000, "test", seed=0)  # the test data named in the checkpoint
    accuracy = ck.training.evaluate(model, images, labels)["accuracy"]
    assert accuracy == pytest.approx(model.metrics["test_accuracy_heldout_fonts"], abs=1e-3)
    assert accuracy >= 0.98
    hand_images, hand_labels = ck.data.digits.handwritten()
    hand = ck.training.evaluate(model, hand_images, hand_labels)["accuracy"]
    assert hand == pytest.approx(model.metrics["test_accuracy_handwritten"], abs=1e-3)


def test_natural_checkpoint_reproduces_its_accuracy_and_selectivity():
    model = ck.models.natural_classifier(pretrained=True)
    test = ck.data.load("natural", split="test", n=4000, size=32, source="embedded", seed=0, verbose=False)
    accuracy = ck.training.evaluate(model, test.images, test.labels)["accuracy"]
    assert accuracy == pytest.approx(model.metrics["test_accuracy"], abs=1e-3)
    selective = (ck.visualize.orientation_selectivity(model.conv1.weight.detach()) >= 3).float().mean().item()
    assert selective == pytest.approx(model.metrics["orientation_selective_fraction"], abs=1e-6)
    assert selective >= 0.25


def test_pixelcnn_checkpoint_reproduces_its_likelihood():
    model = ck.pixelcnn.gated_pixelcnn(pretrained=True)
    images, _ = ck.data.digits.render_digits(2000, "test", seed=0)
    nats = ck.pixelcnn.test_nll(model, ck.pixelcnn.binarize(images)).mean().item()
    assert nats == pytest.approx(model.metrics["test_nll_nats"], rel=1e-4)
    assert nats <= 0.5 * model.metrics["baseline_independent_bernoulli_nats"]


@pytest.fixture(scope="module")
def held_out_scenes():
    images, classes, _ = ck.data.scenes.render_scenes(1000, 64, seed=1)  # the test data named in the checkpoints
    return images, ck.color.split_lab(images)[1], classes


def test_l2_colorization_checkpoint_reproduces_its_dull_colours(held_out_scenes):
    images, ab, classes = held_out_scenes
    model = ck.color.colour_model("l2")
    scores = ck.color.multimodal_scores(ck.color.colorize(model, images), ab, classes)
    assert scores["chroma_ratio"] == pytest.approx(model.metrics["chroma_ratio"], abs=1e-3)
    assert scores["chroma_ratio"] <= 0.4


def test_classification_colorization_checkpoint_reproduces_its_vivid_colours(held_out_scenes):
    images, ab, classes = held_out_scenes
    model = ck.color.colour_model("classes")
    scores = ck.color.multimodal_scores(ck.color.colorize(model, images, temperature=0.01), ab, classes)
    assert scores["chroma_ratio"] == pytest.approx(model.metrics["chroma_ratio_mode"], abs=1e-3)
    assert scores["right_mode"] == pytest.approx(model.metrics["right_mode_mode"], abs=1e-3)
    assert scores["chroma_ratio"] >= 0.7 and scores["right_mode"] >= 0.8


def test_gan_colorization_checkpoint_reproduces_its_vivid_colours(held_out_scenes):
    images, ab, classes = held_out_scenes
    model = ck.color.colour_model("gan")
    assert model.config.bins == 0  # a regression network: one colour per pixel, no distribution to decode
    scores = ck.color.multimodal_scores(ck.color.colorize(model, images), ab, classes)
    assert scores["chroma_ratio"] == pytest.approx(model.metrics["chroma_ratio"], abs=1e-3)
    assert scores["right_mode"] == pytest.approx(model.metrics["right_mode"], abs=1e-3)
    assert scores["chroma_ratio"] >= 0.7 and scores["right_mode"] >= 0.6


def test_a_checkpoint_for_another_configuration_is_refused():
    with pytest.raises(checkpoints.CheckpointError, match="another configuration"):
        ck.models.digit_classifier(pretrained=True, config=ck.models.DigitCNNConfig(hidden=64))


def test_a_pixelcnn_of_another_configuration_is_refused():
    other = ck.pixelcnn.GatedPixelCNNConfig(channels=64)
    with pytest.raises(checkpoints.CheckpointError, match="channels: 32 in the file, 64 asked for"):
        ck.pixelcnn.gated_pixelcnn(pretrained=True, config=other)


def test_dcgan_checkpoint_reproduces_its_readings():
    model = ck.gan.dcgan()
    metrics = ck.gan.dcgan_metrics(model)  # 1,000 samples (noise seed 1) read by the shipped digit classifier
    assert metrics == pytest.approx(model.metrics, abs=2e-3)
    assert metrics["confident_share"] >= 0.6 and metrics["classes"] == 10


def test_facade_segmenter_reproduces_its_accuracy():
    model = ck.pix2pix.segmenter()
    pairs = ck.pix2pix.held_out_pairs("facades", 300)
    accuracy = ck.pix2pix.fcn_score(model, pairs.targets, pairs.labels)
    assert accuracy == pytest.approx(model.metrics["pixel_accuracy"], abs=1e-3)
    assert accuracy >= 0.8


@pytest.mark.parametrize("task", ["facades", "edges"])
def test_pix2pix_checkpoints_reproduce_their_measures(task):
    l1, gan = ck.pix2pix.pretrained(task, "l1"), ck.pix2pix.pretrained(task, "gan")
    measured = {loss: ck.pix2pix.pix2pix_metrics(model, task) for loss, model in (("l1", l1), ("gan", gan))}
    assert measured["l1"] == pytest.approx(l1.metrics, abs=2e-3)
    assert measured["gan"] == pytest.approx(gan.metrics, abs=2e-3)
    # the cGAN term restores high frequencies: closer to the truth's energy than L1 alone
    assert abs(math.log(measured["gan"]["high_frequency_ratio"])) < abs(math.log(measured["l1"]["high_frequency_ratio"]))
    if task == "facades":  # the segmenter recovers the label maps from L1 + cGAN's façades at least as well
        assert measured["gan"]["fcn_score"] >= measured["l1"]["fcn_score"] > 0.7
