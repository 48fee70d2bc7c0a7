"""Training classifiers by minibatch gradient descent, and the commands that make the shipped checkpoints.

«Descente du gradient»: w ← w − η ∂L/∂w, with L the cross-entropy of a minibatch (a random handful of examples, an
unbiased estimate of the whole dataset's loss that costs a handful of forward passes). ``train_step`` takes one step
and returns its numbers; ``fit`` repeats it with a progress bar; ``train_loop`` is the plain loop written out in full
(notebook 02's exercise); ``evaluate`` measures a model.

The shipped checkpoints are made by documented, reproducible commands (seeded; a few minutes on a laptop CPU):

    python -m coursekit.train digit_cnn      # data/checkpoints/digit_cnn.pt   (notebooks 02, 04, 07)
    python -m coursekit.train natural_cnn    # data/checkpoints/natural_cnn.pt (notebook 03)
    python -m coursekit.train gated_pixelcnn # data/checkpoints/gated_pixelcnn.pt (notebook 04)
    python -m coursekit.train colorize_l2    # data/checkpoints/colorize_l2.pt (notebook 05)
    python -m coursekit.train colorize_classes # data/checkpoints/colorize_classes.pt (notebook 05)
    python -m coursekit.train dcgan_digits   # data/checkpoints/dcgan_digits.pt (notebook 07)
    python -m coursekit.train facade_segmenter # data/checkpoints/facade_segmenter.pt (notebook 07; make it first)
    python -m coursekit.train pix2pix_facades_l1 / pix2pix_facades_gan / pix2pix_edges_l1 / pix2pix_edges_gan

Each stores its configuration, its training data and steps, the time it took and the metrics measured at the end.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import asdict

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import checkpoints
from coursekit.runtime import progress, seed_everything


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
               labels: torch.Tensor) -> dict[str, float]:
    """One minibatch step: loss L = cross-entropy, ∂L/∂w by autograd, w updated by ``optimizer``.

    images: (B, C, H, W) in [0, 1]; labels: (B,). Returns {"loss": L, "accuracy": on this batch} before the step.
    """
    model.train()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {"loss": loss.item(), "accuracy": (logits.argmax(1) == labels).float().mean().item()}


def train_loop(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor, labels: torch.Tensor,
               steps: int, batch_size: int, generator: torch.Generator, callback=None) -> list[float]:
    """The minibatch training loop written out, step by step (notebook 02's exercise writes it).

    images: (N, C, H, W) in [0, 1]; labels: (N,). Each of the ``steps`` steps draws ``batch_size`` random examples
    with ``generator`` (so that a run can be repeated), computes their mean cross-entropy L, clears the gradients,
    fills them with ∂L/∂w and lets ``optimizer`` update the weights. callback: called after every step as
    ``callback(step, losses)``, step counting from 1; it may evaluate the model, so every step puts the model back in
    training mode. Returns the loss of every step (floats), measured on its batch before its update.
    """
    device = next(model.parameters()).device
    losses: list[float] = []
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(images), (batch_size,), generator=generator)  # a random minibatch B
        # the mean cross-entropy of B, ∂L/∂w, one update; train_step puts the model in training mode every time (a
        # callback that evaluated the model left it in evaluation mode) and clears the gradients before backward()
        losses.append(train_step(model, optimizer, images[idx].to(device), labels[idx].to(device))["loss"])
        if callback is not None:
            callback(step, losses)
    return losses


def fit(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int, batch_size: int = 128,
        lr: float = 1e-3, seed: int = 0, augment=None, callback=None, every: int = 25, optimizer: str = "adam",
        weight_decay: float = 0.0) -> dict[str, list[float]]:
    """Train ``model`` for ``steps`` minibatches drawn at random from (images, labels), the learning rate decaying
    along a half cosine from ``lr`` to 0.

    optimizer: "adam" (Adam, the default), or "sgd" (plain SGD with momentum 0.9, whose first-layer filters come out
    smoother). augment: optional function (batch (B, C, H, W), generator) → augmented batch. callback: called every
    ``every`` steps with (step, history) — a notebook draws its live plot there. Returns the history
    {"step": [...], "loss": [...], "accuracy": [...]}, one entry per ``every`` steps (the mean over those steps).
    """
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}.")
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    history: dict[str, list[float]] = {"step": [], "loss": [], "accuracy": []}
    window: list[dict[str, float]] = []
    for step in progress(range(1, steps + 1), desc="training"):
        idx = torch.randint(0, len(images), (batch_size,), generator=g)
        batch = images[idx]
        if augment is not None:
            batch = augment(batch, g)
        window.append(train_step(model, opt, batch.to(device), labels[idx].to(device)))
        schedule.step()
        if step % every == 0 or step == steps:
            history["step"].append(step)
            history["loss"].append(sum(m["loss"] for m in window) / len(window))
            history["accuracy"].append(sum(m["accuracy"] for m in window) / len(window))
            window = []
            if callback is not None:
                callback(step, history)
    return history


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500) -> dict:
    """Accuracy of ``model`` on (images, labels), with every prediction and its confidence max_c p(c | x).

    Returns {"accuracy": float, "predictions": (N,) int64, "confidences": (N,) float, "probabilities": (N, C)}.
    """
    model.eval()
    device = next(model.parameters()).device
    probabilities = torch.cat([torch.softmax(model(images[i:i + batch_size].to(device)), dim=1).cpu()
                               for i in range(0, len(images), batch_size)])
    confidences, predictions = probabilities.max(dim=1)
    return {"accuracy": (predictions == labels).float().mean().item(), "predictions": predictions,
            "confidences": confidences, "probabilities": probabilities}


def confusion_matrix(predictions: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.Tensor:
    """(classes, classes) counts: entry [t, p] is how many examples of true class t were predicted as p."""
    return torch.bincount(labels * classes + predictions, minlength=classes * classes).reshape(classes, classes)


def colour_jitter(batch: torch.Tensor, g: torch.Generator, grey: float = 0.5) -> torch.Tensor:
    """Augmentation for natural images: left–right flips, a fraction ``grey`` turned grey, contrast and brightness
    jitter. With colour unreliable, a network must look at edges and textures, and its first-layer filters become
    oriented edges rather than only colour blobs."""
    n = len(batch)
    batch = torch.where(torch.rand(n, 1, 1, 1, generator=g) < 0.5, batch.flip(-1), batch)
    batch = torch.where(torch.rand(n, 1, 1, 1, generator=g) < grey, batch.mean(1, keepdim=True).expand_as(batch), batch)
    contrast = 0.6 + 0.8 * torch.rand(n, 1, 1, 1, generator=g)
    brightness = 0.2 * (torch.rand(n, 1, 1, 1, generator=g) - 0.5)
    mean = batch.mean(dim=(1, 2, 3), keepdim=True)
    return ((batch - mean) * contrast + mean + brightness).clamp(0, 1)


def low_resolution(batch: torch.Tensor, g: torch.Generator, p: float = 0.3) -> torch.Tensor:
    """Augmentation: a fraction ``p`` of the images is shrunk to 8–16 px and enlarged back (blurry, like scans)."""
    out = batch.clone()
    pick = torch.rand(len(batch), generator=g) < p
    if pick.any():
        side = int(torch.randint(8, 17, (1,), generator=g))
        small = F.interpolate(batch[pick], size=(side, side), mode="area")
        out[pick] = F.interpolate(small, size=batch.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)
    return out


# ---------------------------------------------------------------------------------------------------------------
# The commands that make the shipped checkpoints
# ---------------------------------------------------------------------------------------------------------------


def _record(name: str, steps: int, batch_size: int, data: str, test_data: str, start: float) -> dict:
    """The training record stored in a checkpoint: how to remake it, on what, and how long it took."""
    return {"command": f"python -m coursekit.train {name}", "steps": steps, "batch_size": batch_size, "data": data,
            "test_data": test_data, "seconds": round(time.perf_counter() - start, 1), "torch": str(torch.__version__)}


def train_digit_cnn(steps: int = 6000, rounds: int = 6, seed: int = 0) -> tuple[nn.Module, dict, dict]:
    """Train the shipped ``DigitCNN`` on rendered digits (fresh ones every round); return (model, metrics, training)."""
    from coursekit.data import digits
    from coursekit.models import DigitCNN, DigitCNNConfig

    seed_everything(seed)
    model = DigitCNN(DigitCNNConfig())
    per_round = steps // rounds
    start = time.perf_counter()
    for r in range(rounds):
        images, labels = digits.render_digits(30_000, "train", seed=1000 + r)
        fit(model, images, labels, steps=per_round, lr=1e-3 * 0.5**r, seed=seed + r, augment=low_resolution)
    test_images, test_labels = digits.render_digits(5000, "test", seed=0)
    hand_images, hand_labels = digits.handwritten()
    metrics = {
        "test_accuracy_heldout_fonts": evaluate(model, test_images, test_labels)["accuracy"],
        "test_accuracy_handwritten": evaluate(model, hand_images, hand_labels)["accuracy"],
    }
    training = _record("digit_cnn", steps, 128,
                       f"{rounds} × 30,000 rendered digits (training fonts, seeds 1000–{1000 + rounds - 1}), "
                       "30% shown at low resolution",
                       "5,000 rendered digits of the held-out fonts (seed 0); scikit-learn's 1,797 digits", start)
    return model, metrics, training


def train_natural_cnn(steps: int = 6000, rounds: int = 6, seed: int = 0) -> tuple[nn.Module, dict, dict]:
    """Train the shipped ``NaturalCNN`` on crops of the shipped photos and textures; return (model, metrics,
    training)."""
    from coursekit.data import load
    from coursekit.models import NaturalCNN, NaturalCNNConfig
    from coursekit.visualize import orientation_selectivity

    seed_everything(seed)
    model = NaturalCNN(NaturalCNNConfig())
    with torch.no_grad():
        model.conv1.weight.mul_(0.1)  # start the first layer near zero: what it learns is not hidden under init noise
    per_round = steps // rounds
    start = time.perf_counter()
    for r in range(rounds):
        data = load("natural", n=20_000, size=32, source="embedded", seed=1000 + r, verbose=False)
        fit(model, data.images, data.labels, steps=per_round, lr=0.02 * 0.6**r, seed=seed + r, augment=colour_jitter,
            optimizer="sgd", weight_decay=5e-4)
    test = load("natural", split="test", n=4000, size=32, source="embedded", seed=0, verbose=False)
    selectivity = orientation_selectivity(model.conv1.weight.detach())
    metrics = {"test_accuracy": evaluate(model, test.images, test.labels)["accuracy"],
               "orientation_selective_fraction": (selectivity >= 3).float().mean().item()}
    training = _record("natural_cnn", steps, 128,
                       f"{rounds} × 20,000 crops (32 px) of the shipped photos and textures, labelled by source; "
                       "flips, half of them grey, contrast and brightness jitter; SGD with momentum 0.9",
                       "4,000 crops of the test split (seed 0)", start)
    return model, metrics, training


def train_gated_pixelcnn(steps: int = 4200, rounds: int = 6, seed: int = 0, batch_size: int = 32):
    """Train the shipped ``GatedPixelCNN`` on binarised rendered digits; return (model, metrics, training)."""
    from coursekit import pixelcnn
    from coursekit.data import digits

    seed_everything(seed)
    model = pixelcnn.GatedPixelCNN(pixelcnn.GatedPixelCNNConfig())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    g = torch.Generator().manual_seed(seed)
    per_round = steps // rounds
    start = time.perf_counter()
    train_images = None
    for r in range(rounds):
        images, labels = digits.render_digits(30_000, "train", seed=2000 + r)
        train_images = pixelcnn.binarize(images)
        for _ in progress(range(per_round), desc=f"round {r + 1}/{rounds}"):
            idx = torch.randint(0, len(train_images), (batch_size,), generator=g)
            pixelcnn.train_step(model, optimizer, train_images[idx], labels[idx], generator=g)
            schedule.step()
    test_images, test_labels = digits.render_digits(2000, "test", seed=0)
    test_x = pixelcnn.binarize(test_images)
    unconditional = pixelcnn.test_nll(model, test_x).mean().item()
    metrics = {
        "test_nll_nats": unconditional,
        "test_bits_per_dim": unconditional / (784 * math.log(2)),
        "test_nll_nats_given_class": pixelcnn.test_nll(model, test_x, test_labels).mean().item(),
        "baseline_independent_bernoulli_nats": pixelcnn.independent_bernoulli_nll(train_images, test_x).mean().item(),
    }
    training = _record("gated_pixelcnn", steps, batch_size,
                       f"{rounds} × 30,000 rendered digits (training fonts, seeds 2000–{2000 + rounds - 1}), "
                       "binarised at ½; a fifth of the labels dropped (unconditional)",
                       "2,000 rendered digits of the held-out fonts (seed 0), binarised", start)
    return model, metrics, training


def colorization_data(n: int, seed: int, split: str = "train", size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Images for the colorization models: ¾ multimodal scenes, ¼ crops of the shipped photos (the test split uses
    held-out scene seeds and held-out photographs). Returns (images (n, 3, size, size), is_scene (n,) bool)."""
    from coursekit.data import photos, scenes

    n_scenes = n - n // 4
    scene_images, _, _ = scenes.render_scenes(n_scenes, size, seed=2 * seed + (split == "test"))
    photo_images, _ = photos.patches(n - n_scenes, size, split, seed=seed)
    is_scene = torch.cat([torch.ones(n_scenes, dtype=torch.bool), torch.zeros(n - n_scenes, dtype=torch.bool)])
    return torch.cat([scene_images, photo_images]), is_scene


def train_colorize(kind: str, steps: int = 3000, rounds: int = 5, seed: int = 0, batch_size: int = 32):
    """Train a shipped colorization ``ColorNet`` (``kind`` "l2" or "classes"); return (model, metrics, training)."""
    from coursekit import color

    seed_everything(seed)
    bins = color.ab_bins()
    model = color.ColorNet(color.ColorNetConfig(bins=0 if kind == "l2" else len(bins)))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    g = torch.Generator().manual_seed(seed)
    weights = None
    per_round = steps // rounds
    start = time.perf_counter()
    for r in range(rounds):
        images, _ = colorization_data(8000, seed=100 + r)
        if kind == "classes" and weights is None:  # the prior p̃ of the training colours, then w, once
            _, ab = color.split_lab(images[:2000])
            weights = color.rebalancing_weights(color.empirical_prior(color.target_ab(ab), bins))
        for _ in progress(range(per_round), desc=f"round {r + 1}/{rounds}"):
            batch = images[torch.randint(0, len(images), (batch_size,), generator=g)]
            batch = torch.where(torch.rand(batch_size, 1, 1, 1, generator=g) < 0.5, batch, batch.flip(-1))
            color.train_step(model, optimizer, batch, bins if kind == "classes" else None, weights)
            schedule.step()
    metrics = colorization_metrics(model.eval())
    training = _record(f"colorize_{kind}", steps, batch_size,
                       f"{rounds} × 8,000 images of 64 px: 6,000 scenes (seeds 200, 202, …) and 2,000 crops of the "
                       "training photos; random flips" + ("; rebalanced with λ = ½" if kind == "classes" else ""),
                       "1,000 held-out scenes (seed 1)", start)
    return model, metrics, training


def colorization_metrics(model: nn.Module) -> dict[str, float]:
    """The measures stored in a colorization checkpoint, on 1,000 held-out scenes (seed 1): on the ambiguous objects,
    chroma and the fraction of pixels in one of their colours (``color.multimodal_scores``), and the raw AuC. The
    classification model is decoded at T = 0.38 (no suffix), T = 1 (``_mean``) and T = 0.01 (``_mode``)."""
    from coursekit import color
    from coursekit.data import scenes

    images, classes, _ = scenes.render_scenes(1000, 64, seed=1)  # held-out: the training seeds are even
    _, ab = color.split_lab(images)
    metrics = {}
    decodings = (("", color.T_PAPER), ("_mean", 1.0), ("_mode", 0.01)) if model.config.bins else (("", None),)
    for label, temperature in decodings:
        ab_hat = color.colorize(model, images, temperature or color.T_PAPER)
        scores = color.multimodal_scores(ab_hat, ab, classes)
        metrics[f"chroma_ratio{label}"] = scores["chroma_ratio"]
        metrics[f"right_mode{label}"] = scores["right_mode"]
        metrics[f"auc{label}"] = color.area_under_curve(color.accuracy_curve(ab_hat, ab))
    return metrics


def train_colorize_l2(steps: int = 3000, seed: int = 0):
    """The L2 (regression) colorization model of notebook 05."""
    return train_colorize("l2", steps=steps, seed=seed)


def train_colorize_classes(steps: int = 3000, seed: int = 0):
    """The classification colorization model of notebook 05 (rebalanced cross-entropy over the ab bins)."""
    return train_colorize("classes", steps=steps, seed=seed)


def train_dcgan_digits(steps: int = 6000, rounds: int = 2, seed: int = 0, batch_size: int = 64):
    """The DCGAN of notebook 07 on rendered digits (DCGAN's Adam: 2·10⁻⁴, β1 = 0.5); return (model, metrics,
    training). Metrics: how notebook 02's digit classifier reads 1,000 samples (noise seed 1)."""
    from coursekit import gan
    from coursekit.data import digits

    seed_everything(seed)
    model = gan.DCGAN(gan.DCGANConfig())
    g_optimizer, d_optimizer = gan.optimizers(model, lr=2e-4, beta1=0.5)
    g = torch.Generator().manual_seed(seed)
    per_round = steps // rounds
    start = time.perf_counter()
    for r in range(rounds):
        images, _ = digits.render_digits(30_000, "train", seed=2000 + r)
        for _ in progress(range(per_round), desc=f"round {r + 1}/{rounds}"):
            gan.train_step(model, g_optimizer, d_optimizer, images[torch.randint(0, len(images), (batch_size,),
                                                                                  generator=g)])
    metrics = dcgan_metrics(model.eval())
    training = _record("dcgan_digits", steps, batch_size,
                       f"{rounds} × 30,000 rendered digits (training fonts, seeds 2000–{2000 + rounds - 1})",
                       "1,000 samples (noise seed 1) read by the shipped digit_cnn", start)
    return model, metrics, training


@torch.no_grad()
def dcgan_metrics(model: nn.Module, n: int = 1000, seed: int = 1) -> dict[str, float]:
    """How the shipped digit classifier reads ``n`` DCGAN samples: the share it reads with confidence ≥ 0.9, how
    many of the ten classes appear among its readings, and the smallest class's share."""
    from coursekit.models import digit_classifier

    samples = model.eval().sample(n, torch.Generator().manual_seed(seed))
    confidence, digit = digit_classifier()(samples).softmax(1).max(1)
    counts = torch.bincount(digit, minlength=10)
    return {"confident_share": (confidence >= 0.9).float().mean().item(), "classes": int((counts > 0).sum()),
            "rarest_class_share": (counts.min() / n).item()}


def pix2pix_data(task: str, n: int, split: str = "train", seed: int = 0):
    """(sources, targets) of ``pix2pix.SIZE`` = 128 px for a pix2pix task; "facades" also returns the label maps
    (n, H, W) as third element. The test split uses held-out façade seeds (odd) and the held-out photographs."""
    from coursekit import pix2pix
    from coursekit.data import facades, photos

    if task == "facades":
        images, labels = facades.render_facades(n, pix2pix.SIZE, seed=2 * seed + (split == "test"))
        return facades.labels_to_rgb(labels), images, labels
    if task == "edges":
        return photos.edges2photos(n, pix2pix.SIZE, split, seed)
    raise ValueError(f"task must be 'facades' or 'edges', got {task!r}.")


def _flips(batch: list[torch.Tensor], g: torch.Generator) -> list[torch.Tensor]:
    """The same random left-right flip for every tensor of a batch (sources, targets, labels)."""
    flip = torch.rand(len(batch[0]), generator=g) < 0.5
    return [torch.where(flip.view(-1, *[1] * (t.ndim - 1)), t.flip(-1), t) for t in batch]


def train_facade_segmenter(steps: int = 3000, seed: int = 0, batch_size: int = 8):
    """The FCN-score's segmentation network: the U-Net with 12 class logits, trained on real (rendered) façade
    photos to recover their label maps; return (model, metrics, training)."""
    from coursekit import pix2pix

    seed_everything(seed)
    model = pix2pix.UNetGenerator(pix2pix.pretrained_config("segmenter"))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    _, photos_, labels = pix2pix_data("facades", 3000, seed=50)
    for _ in progress(range(steps), desc="segmenter"):
        pick = torch.randint(0, len(photos_), (batch_size,), generator=g)
        x, y = _flips([photos_[pick], labels[pick]], g)
        loss = F.cross_entropy(model.train()(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    checkpoints.halved(model)
    _, test_photos, test_labels = pix2pix_data("facades", 300, "test", seed=0)
    metrics = {"pixel_accuracy": pix2pix.fcn_score(model, test_photos, test_labels)}
    training = _record("facade_segmenter", steps, batch_size, "3,000 rendered façades of 128 px (seed 100); flips",
                       "300 held-out façades (seed 1)", start)
    return model, metrics, training


D_NORM, D_WIDTH, D_LAYERS = "instance", 32, 3  # the PatchGAN of the shipped cGAN generators: 70×70 patches


def train_pix2pix(task: str, adversarial: bool, steps: int = 4000, seed: int = 0, batch_size: int = 8,
                  from_l1: bool = True, ema: float = 0.0, monitor: int = 0):
    """A shipped pix2pix generator: ``task`` "facades" or "edges", trained on L1 alone or on cGAN + 100·L1 with a
    70×70 PatchGAN (Adam 2·10⁻⁴, β1 = 0.5, constant for the first half then decayed linearly to 0, as in the
    paper); return (generator, metrics, training).

    The cGAN generator starts from the shipped L1 one (``from_l1``; make ``pix2pix_TASK_l1`` first), as GANs for
    image restoration often do: on this CPU budget a cGAN trained from scratch was still drawing grid-like artefacts
    after 4,000 steps. Its PatchGAN normalises each image alone (InstanceNorm): with BatchNorm, D sees a batch of
    real pairs and a batch of generated ones and can tell them apart by their batch statistics.

    ``ema`` > 0 returns the running average of G's weights (``pix2pix.weight_average`` with decay ``ema``) instead
    of G's last weights. The façade cGAN ships such an average (decay 0.9995): G's weights of the moment scored
    below L1 alone on the FCN-score at every step measured, their average above it after about 1,500 steps.
    ``monitor`` > 0 measures both every ``monitor`` steps on the held-out pairs (``pix2pix_metrics``) and stores
    the rows in the training record under "curve"; the time includes it.
    """
    from coursekit import pix2pix

    seed_everything(seed)
    name = f"pix2pix_{task}_{'gan' if adversarial else 'l1'}"
    config = pix2pix.pretrained_config(task)
    generator = pix2pix.UNetGenerator(config)
    if adversarial and from_l1:  # start from the shipped L1 generator: the cGAN term then only adds what L1 misses
        generator.load_state_dict(pix2pix.pretrained(task, "l1").state_dict())
    discriminator = (pix2pix.PatchDiscriminator(pix2pix.PatchDiscriminatorConfig(config.in_channels, 3, layers=D_LAYERS,
                                                                                  width=D_WIDTH, norm=D_NORM))
                     if adversarial else None)
    g_optimizer, d_optimizer = pix2pix.optimizers(generator, discriminator)

    def lr_factor(step: int) -> float:  # constant, then linear to 0
        return min(1.0, 2 * (1 - step / steps))

    schedules = [torch.optim.lr_scheduler.LambdaLR(o, lr_factor) for o in (g_optimizer, d_optimizer) if o is not None]
    averaged = pix2pix.weight_average(generator, ema) if ema else None
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    sources, targets = pix2pix_data(task, 3000, seed=50)[:2]
    held_out = pix2pix_data(task, 300, "test", seed=0) if monitor else None
    curve = []
    for step in progress(range(steps), desc=name):
        pick = torch.randint(0, len(sources), (batch_size,), generator=g)
        x, y = _flips([sources[pick], targets[pick]], g)
        pix2pix.train_step(generator, discriminator, g_optimizer, d_optimizer, x, y)
        for schedule in schedules:
            schedule.step()
        if averaged is not None:
            averaged.update_parameters(generator)
        if monitor and (step + 1) % monitor == 0:
            row = {"step": step + 1, "last": pix2pix_metrics(generator, task, held_out)}
            if averaged is not None:
                row["average"] = pix2pix_metrics(averaged.module, task, held_out)
            curve.append(row)
    if averaged is not None:
        generator = averaged.module
    checkpoints.halved(generator)
    metrics = pix2pix_metrics(generator, task)
    data = ("3,000 rendered façades of 128 px (seed 100), label images → photos" if task == "facades" else
            "3,000 crops of 128 px of the training photos (seed 50), Canny edges → crops")
    test = ("300 held-out façades (seed 1); FCN-score by the shipped facade_segmenter" if task == "facades" else
            "300 crops of the held-out photos (seed 0)")
    loss = (f"cGAN + 100·L1, from pix2pix_{task}_l1" if adversarial and from_l1 else
            "cGAN + 100·L1" if adversarial else "L1") + (f"; EMA of G's weights, decay {ema}" if ema else "")
    training = _record(name, steps, batch_size, f"{data}; flips; {loss}", test, start)
    if curve:
        training["curve"] = curve
    return generator, metrics, training


def pix2pix_metrics(generator: nn.Module, task: str, data=None) -> dict[str, float]:
    """A generator's measures on held-out pairs: mean L1 error, high-frequency energy relative to the truth's, and
    for façades the FCN-score (the shipped segmenter's per-pixel accuracy on the generated photos). ``data``: the
    300 held-out pairs ``pix2pix_data(task, 300, "test", seed=0)``, made here when not given."""
    from coursekit import pix2pix

    data = pix2pix_data(task, 300, "test", seed=0) if data is None else data
    fake = pix2pix.translate(generator, data[0])
    metrics = {"l1": (fake - data[1]).abs().mean().item(),
               "high_frequency_ratio": pix2pix.high_frequency_energy(fake) / pix2pix.high_frequency_energy(data[1])}
    if task == "facades":
        metrics["fcn_score"] = pix2pix.fcn_score(pix2pix.segmenter(), fake, data[2])
    return metrics


RECIPES = {"digit_cnn": train_digit_cnn, "natural_cnn": train_natural_cnn, "gated_pixelcnn": train_gated_pixelcnn,
           "colorize_l2": train_colorize_l2, "colorize_classes": train_colorize_classes,
           "dcgan_digits": train_dcgan_digits, "facade_segmenter": train_facade_segmenter,
           "pix2pix_facades_l1": lambda steps=4000: train_pix2pix("facades", False, steps),
           "pix2pix_facades_gan": lambda steps=4000: train_pix2pix("facades", True, steps, ema=0.9995, monitor=500),
           "pix2pix_edges_l1": lambda steps=4000: train_pix2pix("edges", False, steps),
           "pix2pix_edges_gan": lambda steps=2000: train_pix2pix("edges", True, steps)}  # from the L1 one
HALF = {"facade_segmenter", "pix2pix_facades_l1", "pix2pix_facades_gan", "pix2pix_edges_l1", "pix2pix_edges_gan"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.train",
                                     description="Train a shipped checkpoint of the course, reproducibly.")
    parser.add_argument("name", choices=sorted(RECIPES), help="which checkpoint to make")
    parser.add_argument("--steps", type=int, default=None, help="minibatch steps (default: the shipped recipe's)")
    parser.add_argument("--out", default=None, help="where to write it (default: data/checkpoints/NAME.pt)")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.name]
    model, metrics, training = recipe() if args.steps is None else recipe(steps=args.steps)
    out = args.out or checkpoints.checkpoint_path(args.name)
    checkpoints.save(out, model, args.name, asdict(model.config), metrics, training, half=args.name in HALF)
    print(f"wrote {out}: {metrics} in {training['seconds']} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
