"""The commands that make the shipped checkpoints: one recipe per checkpoint, seeded and reproducible.

    python -m coursekit.train digit_cnn        # data/checkpoints/digit_cnn.pt   (notebooks 02, 04, 07)
    python -m coursekit.train natural_cnn      # data/checkpoints/natural_cnn.pt (notebook 03)
    python -m coursekit.train gated_pixelcnn   # data/checkpoints/gated_pixelcnn.pt (notebook 04)
    python -m coursekit.train colorize_l2      # data/checkpoints/colorize_l2.pt (notebook 05)
    python -m coursekit.train colorize_classes # data/checkpoints/colorize_classes.pt (notebook 05)
    python -m coursekit.train colorize_gan     # data/checkpoints/colorize_gan.pt (notebook 07; after colorize_l2)
    python -m coursekit.train dcgan_digits     # data/checkpoints/dcgan_digits.pt (notebook 07)
    python -m coursekit.train facade_segmenter # data/checkpoints/facade_segmenter.pt (notebook 07; make it first)
    python -m coursekit.train pix2pix_facades_l1 / pix2pix_facades_gan / pix2pix_edges_l1 / pix2pix_edges_gan

Each takes minutes to half an hour on a laptop CPU and stores its configuration, its training data and steps, the
time it took and the metrics measured at the end. ``--dry-run`` runs a recipe end to end on tiny data for two steps
and writes its checkpoint to a temporary folder only, then reads it back: a minute's proof that the recipe still
works, which the tests take for every recipe.

The building blocks live with their concepts: the classifier's loop in ``coursekit.training``, the data in
``coursekit.data``, each model's measures beside it (``color.colorization_metrics``, ``gan.dcgan_metrics``,
``pix2pix.pix2pix_metrics``).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import checkpoints, color, gan, pix2pix, pixelcnn
from coursekit.data import colorization_data, digits, load
from coursekit.models import DigitCNN, DigitCNNConfig, NaturalCNN, NaturalCNNConfig
from coursekit.runtime import progress, seed_everything
from coursekit.training import colour_jitter, cosine_schedule, evaluate, fit, low_resolution, random_flips
from coursekit.visualize import orientation_selectivity


@dataclass(frozen=True)
class Scale:
    """How big a recipe's run is: ``steps`` and ``rounds`` of training, and ``n``, which caps every set the recipe
    draws (training, test, samples) when not None. The shipped recipes use their own steps and n = None; a dry run
    uses ``DRY_RUN``."""

    steps: int
    rounds: int = 1
    n: int | None = None

    def size(self, full: int) -> int:
        """How many items to draw of a set whose full size is ``full``."""
        return full if self.n is None else min(full, self.n)

    def per_round(self) -> int:
        return max(1, self.steps // self.rounds)


DRY_RUN = Scale(steps=2, rounds=1, n=16)


def _record(name: str, steps: int, batch_size: int, data: str, test_data: str, start: float) -> dict:
    """The training record stored in a checkpoint: how to remake it, on what, and how long it took."""
    return {"command": f"python -m coursekit.train {name}", "steps": steps, "batch_size": batch_size, "data": data,
            "test_data": test_data, "seconds": round(time.perf_counter() - start, 1), "torch": str(torch.__version__)}


def train_digit_cnn(scale: Scale = Scale(6000, rounds=6), seed: int = 0) -> tuple[nn.Module, dict, dict]:
    """Train the shipped ``DigitCNN`` on rendered digits (fresh ones every round); return (model, metrics, training)."""
    seed_everything(seed)
    model = DigitCNN(DigitCNNConfig())
    start = time.perf_counter()
    for r in range(scale.rounds):
        images, labels = digits.render_digits(scale.size(30_000), "train", seed=1000 + r)
        fit(model, images, labels, steps=scale.per_round(), lr=1e-3 * 0.5**r, seed=seed + r, augment=low_resolution)
    test_images, test_labels = digits.render_digits(scale.size(5000), "test", seed=0)
    hand_images, hand_labels = digits.handwritten()
    metrics = {
        "test_accuracy_heldout_fonts": evaluate(model, test_images, test_labels)["accuracy"],
        "test_accuracy_handwritten": evaluate(model, hand_images, hand_labels)["accuracy"],
    }
    training = _record("digit_cnn", scale.steps, 128,
                       f"{scale.rounds} × 30,000 rendered digits (training fonts, seeds 1000–"
                       f"{1000 + scale.rounds - 1}), 30% shown at low resolution",
                       "5,000 rendered digits of the held-out fonts (seed 0); scikit-learn's 1,797 digits", start)
    return model, metrics, training


def train_natural_cnn(scale: Scale = Scale(6000, rounds=6), seed: int = 0) -> tuple[nn.Module, dict, dict]:
    """Train the shipped ``NaturalCNN`` on crops of the shipped photos and textures; return (model, metrics,
    training)."""
    seed_everything(seed)
    model = NaturalCNN(NaturalCNNConfig())
    with torch.no_grad():
        model.conv1.weight.mul_(0.1)  # start the first layer near zero: what it learns is not hidden under init noise
    start = time.perf_counter()
    for r in range(scale.rounds):
        data = load("natural", n=scale.size(20_000), size=32, source="embedded", seed=1000 + r, verbose=False)
        fit(model, data.images, data.labels, steps=scale.per_round(), lr=0.02 * 0.6**r, seed=seed + r,
            augment=colour_jitter, optimizer="sgd", weight_decay=5e-4)
    test = load("natural", split="test", n=scale.size(4000), size=32, source="embedded", seed=0, verbose=False)
    selectivity = orientation_selectivity(model.conv1.weight.detach())
    metrics = {"test_accuracy": evaluate(model, test.images, test.labels)["accuracy"],
               "orientation_selective_fraction": (selectivity >= 3).float().mean().item()}
    training = _record("natural_cnn", scale.steps, 128,
                       f"{scale.rounds} × 20,000 crops (32 px) of the shipped photos and textures, labelled by "
                       "source; flips, half of them grey, contrast and brightness jitter; SGD with momentum 0.9",
                       "4,000 crops of the test split (seed 0)", start)
    return model, metrics, training


def train_gated_pixelcnn(scale: Scale = Scale(4200, rounds=6), seed: int = 0,
                         batch_size: int = 32) -> tuple[nn.Module, dict, dict]:
    """Train the shipped ``GatedPixelCNN`` on binarised rendered digits; return (model, metrics, training)."""
    seed_everything(seed)
    model = pixelcnn.GatedPixelCNN(pixelcnn.GatedPixelCNNConfig())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = cosine_schedule(optimizer, scale.steps)
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    train_images = None
    for r in range(scale.rounds):
        images, labels = digits.render_digits(scale.size(30_000), "train", seed=2000 + r)
        train_images = pixelcnn.binarize(images)
        for _ in progress(range(scale.per_round()), desc=f"round {r + 1}/{scale.rounds}"):
            idx = torch.randint(0, len(train_images), (batch_size,), generator=g)
            pixelcnn.train_step(model, optimizer, train_images[idx], labels[idx], generator=g)
            schedule.step()
    test_images, test_labels = digits.render_digits(scale.size(2000), "test", seed=0)
    test_x = pixelcnn.binarize(test_images)
    unconditional = pixelcnn.test_nll(model, test_x).mean().item()
    metrics = {
        "test_nll_nats": unconditional,
        "test_bits_per_dim": unconditional / (784 * math.log(2)),
        "test_nll_nats_given_class": pixelcnn.test_nll(model, test_x, test_labels).mean().item(),
        "baseline_independent_bernoulli_nats": pixelcnn.independent_bernoulli_nll(train_images, test_x).mean().item(),
    }
    training = _record("gated_pixelcnn", scale.steps, batch_size,
                       f"{scale.rounds} × 30,000 rendered digits (training fonts, seeds 2000–"
                       f"{2000 + scale.rounds - 1}), binarised at ½; a fifth of the labels dropped (unconditional)",
                       "2,000 rendered digits of the held-out fonts (seed 0), binarised", start)
    return model, metrics, training


def train_colorize(kind: str, scale: Scale = Scale(3000, rounds=5), seed: int = 0,
                   batch_size: int = 32) -> tuple[nn.Module, dict, dict]:
    """Train a shipped colorization ``ColorNet`` (``kind`` "l2" or "classes"); return (model, metrics, training)."""
    seed_everything(seed)
    bins = color.ab_bins()
    model = color.ColorNet(color.ColorNetConfig(bins=0 if kind == "l2" else len(bins)))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = cosine_schedule(optimizer, scale.steps)
    g = torch.Generator().manual_seed(seed)
    weights = None
    start = time.perf_counter()
    for r in range(scale.rounds):
        images, _ = colorization_data(scale.size(8000), seed=100 + r)
        if kind == "classes" and weights is None:  # the prior p̃ of the training colours, then w, once
            _, ab = color.split_lab(images[:2000])
            weights = color.rebalancing_weights(color.empirical_prior(color.target_ab(ab), bins))
        color.fit(model, optimizer, images, scale.per_round(), g, bins if kind == "classes" else None, weights,
                  batch_size=batch_size, augment=lambda batch, g: random_flips([batch], g)[0], schedule=schedule,
                  desc=f"round {r + 1}/{scale.rounds}")
    metrics = color.colorization_metrics(model.eval(), n=scale.size(1000))
    training = _record(f"colorize_{kind}", scale.steps, batch_size,
                       f"{scale.rounds} × 8,000 images of 64 px: 6,000 scenes (seeds 200, 202, …) and 2,000 crops of "
                       "the training photos; random flips" + ("; rebalanced with λ = ½" if kind == "classes" else ""),
                       "1,000 held-out scenes (seed 1)", start)
    return model, metrics, training


def _pix2pix_schedules(optimizers: list, steps: int) -> list:
    """pix2pix's learning rates: constant for the first half of ``steps``, then linearly down to 0."""
    return [torch.optim.lr_scheduler.LambdaLR(o, lambda step: min(1.0, 2 * (1 - step / steps))) for o in optimizers]


def train_colorize_gan(scale: Scale = Scale(2000, rounds=2), seed: int = 0,
                       batch_size: int = 32) -> tuple[nn.Module, dict, dict]:
    """«Gris vers couleur»: the L2 colorizer's network trained on as a conditional GAN's generator (notebook 07):
    pix2pix's step (``pix2pix.train_step``: cGAN + 100·L1, Adam 2·10⁻⁴ with β1 = 0.5, constant for the first half
    then decayed linearly to 0) with a 70×70 PatchGAN that sees L and ab (``color.ColourGenerator``,
    ``color.gan_pair``), on the data of the other two colorizers. It starts from the shipped ``colorize_l2`` (make
    it first), as the pix2pix cGANs start from their L1 generators. Returns (network, metrics, training)."""
    seed_everything(seed)
    net = color.colour_model("l2")
    generator = color.ColourGenerator(net)
    discriminator = pix2pix.PatchDiscriminator(pix2pix.PatchDiscriminatorConfig(1, 2, layers=D_LAYERS, width=D_WIDTH,
                                                                                 norm=D_NORM))
    g_optimizer, d_optimizer = pix2pix.optimizers(generator, discriminator)
    schedules = _pix2pix_schedules([g_optimizer, d_optimizer], scale.steps)
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for r in range(scale.rounds):
        images, _ = colorization_data(scale.size(8000), seed=100 + r)
        for _ in progress(range(scale.per_round()), desc=f"round {r + 1}/{scale.rounds}"):
            batch = random_flips([images[torch.randint(0, len(images), (batch_size,), generator=g)]], g)[0]
            pix2pix.train_step(generator, discriminator, g_optimizer, d_optimizer, *color.gan_pair(batch))
            for schedule in schedules:
                schedule.step()
    metrics = color.colorization_metrics(net.eval(), n=scale.size(1000))
    training = _record("colorize_gan", scale.steps, batch_size,
                       f"{scale.rounds} × 8,000 images of 64 px: 6,000 scenes (seeds 200, 202, …) and 2,000 crops of "
                       "the training photos; random flips; cGAN + 100·L1 (ab / 220 + ½), from colorize_l2",
                       "1,000 held-out scenes (seed 1)", start)
    return net, metrics, training


def train_dcgan_digits(scale: Scale = Scale(6000, rounds=2), seed: int = 0,
                       batch_size: int = 64) -> tuple[nn.Module, dict, dict]:
    """The DCGAN of notebook 07 on rendered digits (DCGAN's Adam: 2·10⁻⁴, β1 = 0.5); return (model, metrics,
    training). Metrics: how notebook 02's digit classifier reads 1,000 samples (noise seed 1)."""
    seed_everything(seed)
    model = gan.DCGAN(gan.DCGANConfig())
    g_optimizer, d_optimizer = gan.optimizers(model, lr=2e-4, beta1=0.5)
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for r in range(scale.rounds):
        images, _ = digits.render_digits(scale.size(30_000), "train", seed=2000 + r)
        for _ in progress(range(scale.per_round()), desc=f"round {r + 1}/{scale.rounds}"):
            real = images[torch.randint(0, len(images), (batch_size,), generator=g)]
            gan.train_step(model, g_optimizer, d_optimizer, real)
    metrics = gan.dcgan_metrics(model.eval(), n=scale.size(1000))
    training = _record("dcgan_digits", scale.steps, batch_size,
                       f"{scale.rounds} × 30,000 rendered digits (training fonts, seeds 2000–"
                       f"{2000 + scale.rounds - 1})",
                       "1,000 samples (noise seed 1) read by the shipped digit_cnn", start)
    return model, metrics, training


def _pairs(task: str, scale: Scale):
    """The training pairs of a pix2pix recipe: 3,000 of 128 px (seed 50; "facades" with their label maps)."""
    return load("facades" if task == "facades" else "edges2photos", n=scale.size(3000), size=pix2pix.SIZE,
                source="embedded", seed=50, verbose=False)


def train_facade_segmenter(scale: Scale = Scale(3000), seed: int = 0,
                           batch_size: int = 8) -> tuple[nn.Module, dict, dict]:
    """The FCN-score's segmentation network: the U-Net with 12 class logits, trained on real (rendered) façade
    photos to recover their label maps; return (model, metrics, training)."""
    seed_everything(seed)
    model = pix2pix.UNetGenerator(pix2pix.pretrained_config("segmenter"))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = cosine_schedule(optimizer, scale.steps)
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    pairs = _pairs("facades", scale)
    for _ in progress(range(scale.steps), desc="segmenter"):
        pick = torch.randint(0, len(pairs), (batch_size,), generator=g)
        x, y = random_flips([pairs.targets[pick], pairs.labels[pick]], g)  # photos → their label maps
        loss = F.cross_entropy(model.train()(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    checkpoints.halved(model)
    test = pix2pix.held_out_pairs("facades", scale.size(300))
    metrics = {"pixel_accuracy": pix2pix.fcn_score(model, test.targets, test.labels)}
    training = _record("facade_segmenter", scale.steps, batch_size,
                       "3,000 rendered façades of 128 px (seed 100); flips", "300 held-out façades (seed 1)", start)
    return model, metrics, training


D_NORM, D_WIDTH, D_LAYERS = "instance", 32, 3  # the PatchGAN of the shipped cGAN generators: 70×70 patches


def train_pix2pix(task: str, adversarial: bool, scale: Scale = Scale(4000), seed: int = 0, batch_size: int = 8,
                  from_l1: bool = True, ema: float = 0.0, monitor: int = 0) -> tuple[nn.Module, dict, dict]:
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
    ``monitor`` > 0 measures both every ``monitor`` steps on the held-out pairs (``pix2pix.pix2pix_metrics``) and
    stores the rows in the training record under "curve"; the time includes it.
    """
    seed_everything(seed)
    steps = scale.steps
    name = f"pix2pix_{task}_{'gan' if adversarial else 'l1'}"
    config = pix2pix.pretrained_config(task)
    generator = pix2pix.UNetGenerator(config)
    if adversarial and from_l1:  # start from the shipped L1 generator: the cGAN term then only adds what L1 misses
        generator.load_state_dict(pix2pix.pretrained(task, "l1").state_dict())
    discriminator = (pix2pix.PatchDiscriminator(pix2pix.PatchDiscriminatorConfig(config.in_channels, 3, layers=D_LAYERS,
                                                                                  width=D_WIDTH, norm=D_NORM))
                     if adversarial else None)
    g_optimizer, d_optimizer = pix2pix.optimizers(generator, discriminator)

    schedules = _pix2pix_schedules([o for o in (g_optimizer, d_optimizer) if o is not None], steps)
    averaged = pix2pix.weight_average(generator, ema) if ema else None
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    pairs = _pairs(task, scale)
    held_out = pix2pix.held_out_pairs(task, scale.size(300)) if monitor else None
    curve = []
    for step in progress(range(steps), desc=name):
        pick = torch.randint(0, len(pairs), (batch_size,), generator=g)
        x, y = random_flips([pairs.images[pick], pairs.targets[pick]], g)
        pix2pix.train_step(generator, discriminator, g_optimizer, d_optimizer, x, y)
        for schedule in schedules:
            schedule.step()
        if averaged is not None:
            averaged.update_parameters(generator)
        if monitor and (step + 1) % min(monitor, steps) == 0:
            row = {"step": step + 1, "last": pix2pix.pix2pix_metrics(generator, task, held_out)}
            if averaged is not None:
                row["average"] = pix2pix.pix2pix_metrics(averaged.module, task, held_out)
            curve.append(row)
    if averaged is not None:
        generator = averaged.module
    checkpoints.halved(generator)
    metrics = pix2pix.pix2pix_metrics(generator, task, pix2pix.held_out_pairs(task, scale.size(300)))
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


@dataclass(frozen=True)
class Recipe:
    """A shipped checkpoint's recipe: ``make(scale)`` → (model, metrics, training), its full ``scale``, and whether
    the checkpoint stores float16 weights (``half``)."""

    make: Callable[[Scale], tuple[nn.Module, dict, dict]]
    scale: Scale
    half: bool = False


RECIPES = {
    "digit_cnn": Recipe(train_digit_cnn, Scale(6000, rounds=6)),
    "natural_cnn": Recipe(train_natural_cnn, Scale(6000, rounds=6)),
    "gated_pixelcnn": Recipe(train_gated_pixelcnn, Scale(4200, rounds=6)),
    "colorize_l2": Recipe(lambda scale: train_colorize("l2", scale), Scale(3000, rounds=5)),
    "colorize_classes": Recipe(lambda scale: train_colorize("classes", scale), Scale(3000, rounds=5)),
    "colorize_gan": Recipe(train_colorize_gan, Scale(2000, rounds=2)),
    "dcgan_digits": Recipe(train_dcgan_digits, Scale(6000, rounds=2)),
    "facade_segmenter": Recipe(train_facade_segmenter, Scale(3000), half=True),
    "pix2pix_facades_l1": Recipe(lambda scale: train_pix2pix("facades", False, scale), Scale(4000), half=True),
    "pix2pix_facades_gan": Recipe(lambda scale: train_pix2pix("facades", True, scale, ema=0.9995, monitor=500),
                                  Scale(4000), half=True),
    "pix2pix_edges_l1": Recipe(lambda scale: train_pix2pix("edges", False, scale), Scale(4000), half=True),
    "pix2pix_edges_gan": Recipe(lambda scale: train_pix2pix("edges", True, scale), Scale(2000), half=True),  # from L1
}


def make(name: str, out: Path, scale: Scale | None = None) -> tuple[Path, dict]:
    """Run the recipe ``name`` at ``scale`` (its own when None), save the checkpoint at ``out`` and read it back;
    return (out, the checkpoint's dict)."""
    recipe = RECIPES[name]
    model, metrics, training = recipe.make(scale or recipe.scale)
    checkpoints.save(out, model, name, asdict(model.config), metrics, training, half=recipe.half)
    return out, checkpoints.load(out, name, asdict(model.config))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.train",
                                     description="Train a shipped checkpoint of the course, reproducibly.")
    parser.add_argument("name", choices=sorted(RECIPES), help="which checkpoint to make")
    parser.add_argument("--steps", type=int, default=None, help="minibatch steps (default: the shipped recipe's)")
    parser.add_argument("--out", type=Path, default=None, help="where to write it (default: data/checkpoints/NAME.pt)")
    parser.add_argument("--dry-run", action="store_true",
                        help=f"tiny data ({DRY_RUN.n} items a set), {DRY_RUN.steps} steps, the checkpoint written to "
                             "a temporary folder (or --out) and read back: proof that the recipe runs")
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be a positive number of steps, got {args.steps}")
    recipe = RECIPES[args.name]
    scale = DRY_RUN if args.dry_run else recipe.scale
    if args.steps is not None:
        scale = Scale(args.steps, min(scale.rounds, args.steps), scale.n)
    with tempfile.TemporaryDirectory(prefix="coursekit-dry-run-") as scratch:
        out = args.out or (Path(scratch) / f"{args.name}.pt" if args.dry_run
                           else checkpoints.checkpoint_path(args.name))
        out, payload = make(args.name, out, scale)
        print(f"{'dry run: ' if args.dry_run else ''}wrote {out} and read it back: {payload['metrics']} "
              f"in {payload['training']['seconds']} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
