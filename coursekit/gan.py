"""Generative adversarial networks (Goodfellow et al. 2014) in two dimensions, and how mode collapse is measured.

«G essaie de tromper D»: a generator G maps noise z to samples G(z); a discriminator D scores how real a sample
looks. They play

    min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))],

so that, from G's point of view, D is a loss that is *learned* rather than written by hand. D's step
(``discriminator_step``, notebook 07's first exercise) is a classifier's step, real → 1 and G(z) → 0, on samples
detached from G. G minimises the non-saturating −log D(G(z)) instead of log(1 − D(G(z))): the same fixed point,
stronger gradients while D wins.

On a ring of 8 Gaussians the classic failure shows at once: **mode collapse**, G puts its samples on one mode (or a
thin streak) and hops from mode to mode as D catches up, because D only asks "is this sample real?", never "are all
the modes there?". ``modes_covered`` counts the modes that get at least 5% of the samples within 3σ.

Measured with these MLPs (3 hidden layers of 128, batch 256, Adam at 10⁻³, 3,000 steps): Adam's default momentum
β1 = 0.9 collapses (0 or 1 mode covered, on the two seeds tried), while β1 = 0.5, the DCGAN guideline, covers all 8
(on three seeds).
With heavy momentum G keeps moving in the direction that fooled D some steps ago, overshoots, and the pair chase
each other around the ring instead of settling; ``optimizers`` takes β1 as an argument so both can be shown.

``DCGAN`` applies the same game to 28×28 digits with the DCGAN guidelines (Radford, Metz & Chintala 2016):
strided (transposed) convolutions instead of pooling, BatchNorm, ReLU in G with Tanh at its output, LeakyReLU(0.2)
in D, Adam at 2·10⁻⁴ with β1 = 0.5. It has the same ``generator``, ``discriminator``, ``sample`` and ``score`` as
``GAN2D``, so ``optimizers`` and ``train_step`` serve both.

The two losses (``discriminator_loss``, ``non_saturating_loss``) and the [0, 1] ↔ [−1, 1] conversions of the networks'
range (``to_signed``, ``from_signed``) are written here once; pix2pix's conditional GAN uses them too.

Used in notebook 07.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import checkpoints
from coursekit.data import toy
from coursekit.data.toy import plane_grid
from coursekit.models import digit_classifier
from coursekit.runtime import device_of, normal


def to_signed(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] → [−1, 1] (a new tensor): the range of a Tanh output layer, in which the GANs' networks work."""
    return images * 2 - 1


def from_signed(images: torch.Tensor) -> torch.Tensor:
    """[−1, 1] → [0, 1] (a new tensor): back to the range in which the course passes images around."""
    return (images + 1) / 2


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss, a scalar tensor: the cross-entropy of a classifier of real (→ 1) against generated (→ 0) samples,

        L_D = −mean log D(x) − mean log(1 − D(G(z))),   D(·) = sigmoid(logit),

    from D's logits on real and generated samples (any shape: one per sample, or one per patch for a PatchGAN).
    Minimising it maximises the game's value over D."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))      # −log D(x)
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))  # −log(1 − D(G(z)))


def non_saturating_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's adversarial loss, a scalar tensor: −mean log D(G(z)) from D's logits on generated samples. The same fixed
    point as minimising log(1 − D(G(z))), whose gradient vanishes while D easily spots the fakes; this one is
    strongest exactly then."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


@dataclass(frozen=True)
class GAN2DConfig:
    """A 2-D GAN: noise of ``noise`` dimensions; G and D are MLPs of ``layers`` hidden layers of ``hidden`` units."""

    noise: int = 2
    hidden: int = 128
    layers: int = 3


def _mlp(n_in: int, hidden: int, layers: int, n_out: int, activation) -> nn.Sequential:
    blocks, width = [], n_in
    for _ in range(layers):
        blocks += [nn.Linear(width, hidden), activation()]
        width = hidden
    return nn.Sequential(*blocks, nn.Linear(width, n_out))


class GAN2D(nn.Module):
    """G (``generator``): noise (B, noise) → points (B, 2), ReLU MLP. D (``discriminator``): points (B, 2) → logits
    (B,), LeakyReLU(0.2) MLP; a logit > 0 says "real"."""

    def __init__(self, config: GAN2DConfig = GAN2DConfig()):
        super().__init__()
        self.config = config
        self.generator = _mlp(config.noise, config.hidden, config.layers, 2, nn.ReLU)
        self.discriminator = _mlp(2, config.hidden, config.layers, 1, lambda: nn.LeakyReLU(0.2))

    def extra_repr(self) -> str:
        c = self.config
        return f"2-D GAN: noise {c.noise}, G and D with {c.layers} hidden layers of {c.hidden}"

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n points G(z), z ~ N(0, I) drawn on the CPU (``generator``): (n, 2), on the model's device."""
        return self.generator(normal((n, self.config.noise), generator, device_of(self)))

    def score(self, points: torch.Tensor) -> torch.Tensor:
        """D's logits for (B, 2) points: (B,). On a grid of the plane it draws D's decision surface."""
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"D scores points shaped (B, 2), got {tuple(points.shape)}.")
        return self.discriminator(points).squeeze(1)


@dataclass(frozen=True)
class DCGANConfig:
    """A DCGAN for (1, 28, 28) images: noise of ``noise`` dimensions; ``width`` channels at 14×14, 2·width at 7×7."""

    noise: int = 64
    width: int = 64


class DCGAN(nn.Module):
    """G (``generator``): noise (B, noise) → images (B, 1, 28, 28) in [−1, 1]:
    Linear → 2w×7×7, BatchNorm, ReLU → ConvT 4×4/2 → w×14×14, BatchNorm, ReLU → ConvT 4×4/2 → 1×28×28, Tanh.
    D (``discriminator``): images (B, 1, 28, 28) in [−1, 1] → logits (B, 1):
    Conv 4×4/2 → w×14×14, LeakyReLU(0.2) → Conv 4×4/2 → 2w×7×7, BatchNorm, LeakyReLU(0.2) → Linear → 1.

    ``sample`` and ``images`` return [0, 1] images; ``score`` takes [0, 1] images, like the rest of the course.
    """

    def __init__(self, config: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.config = config
        w = config.width
        self.generator = nn.Sequential(
            nn.Linear(config.noise, 2 * w * 7 * 7, bias=False), nn.Unflatten(1, (2 * w, 7, 7)),
            nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),  # 7 → 14
            nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh())  # 14 → 28
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2),  # 28 → 14; no BatchNorm on D's input layer
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),  # 14 → 7
            nn.Flatten(), nn.Linear(2 * w * 7 * 7, 1))

    def extra_repr(self) -> str:
        c = self.config
        return f"DCGAN 28×28: noise {c.noise}, width {c.width}"

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images G(z), z ~ N(0, I) drawn on the CPU (``generator``): (n, 1, 28, 28) in [0, 1], on the model's
        device."""
        return self.images(normal((n, self.config.noise), generator, device_of(self)))

    def images(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) for given noise (B, noise): (B, 1, 28, 28) in [0, 1]."""
        return from_signed(self.generator(z))

    def score(self, images: torch.Tensor) -> torch.Tensor:
        """D's logits for (B, 1, 28, 28) images in [0, 1]: (B,)."""
        if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
            raise ValueError(f"DCGAN's D scores images shaped (B, 1, 28, 28), got {tuple(images.shape)}.")
        return self.discriminator(to_signed(images)).squeeze(1)


def optimizers(gan: GAN2D | DCGAN, lr: float = 1e-3, beta1: float = 0.5):
    """Adam for G and for D with momentum ``beta1``: 0.5 trains (DCGAN's guideline); Adam's default 0.9 collapses
    the 2-D GAN. DCGAN's learning rate is 2·10⁻⁴."""
    g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=(beta1, 0.999))
    d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(beta1, 0.999))
    return g, d


def discriminator_step(gan: GAN2D | DCGAN, d_optimizer, real: torch.Tensor,
                       fake: torch.Tensor) -> dict[str, float]:
    """One step of D: real samples → 1, G's samples → 0. ``real`` and ``fake`` are points (B, 2) or images
    (B, 1, 28, 28); ``fake`` = G(z) is still attached to G's graph (G's step uses it next). Returns D's loss and its
    mean probabilities before the step: {"d", "d_real" = mean D(x), "d_fake" = mean D(G(z))}.

        L_D = −mean log D(x) − mean log(1 − D(G(z))),   D(·) = sigmoid(logit),

    the cross-entropy of a classifier of real against generated samples: minimising it maximises the game's value.
    """
    real_logits = gan.score(real)
    fake_logits = gan.score(fake.detach())  # D's step must not reach into G
    d_loss = discriminator_loss(real_logits, fake_logits)  # −mean log D(x) − mean log(1 − D(G(z)))
    d_optimizer.zero_grad()  # G's step backpropagates through D and leaves gradients in D's parameters
    d_loss.backward()
    d_optimizer.step()  # D's parameters only: d_optimizer holds nothing else
    return {"d": d_loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step(gan: GAN2D | DCGAN, g_optimizer, d_optimizer, real: torch.Tensor,
               generator: torch.Generator | None = None, d_step=None) -> dict[str, float]:
    """One step of D, then one of G, on a batch of real samples (points (B, 2) or images (B, 1, 28, 28)). Returns
    the losses and D's mean probabilities before the steps: {"d", "g", "d_real" = mean D(x), "d_fake" = mean
    D(G(z))}. ``d_step``: D's step function, ``discriminator_step`` by default (notebook 07 passes the student's
    own). ``real`` is moved to the model's device."""
    gan.train()
    real = real.to(device_of(gan))
    fake = gan.sample(len(real), generator)
    d_losses = (d_step or discriminator_step)(gan, d_optimizer, real, fake)
    fooled = gan.score(fake)
    g_loss = non_saturating_loss(fooled)  # −mean log D(G(z))
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return {"d": float(d_losses["d"]), "g": g_loss.item(), "d_real": float(d_losses["d_real"]),
            "d_fake": float(d_losses["d_fake"])}


def modes_covered(points: torch.Tensor, centres: torch.Tensor, std: float, share: float = 0.05,
                  radius: float = 3.0) -> tuple[int, torch.Tensor]:
    """How many modes (K, 2) ``centres`` the (N, 2) ``points`` cover: a mode counts when at least ``share`` of the
    points lie within ``radius``·``std`` of it. Returns (count, each mode's share of the points (K,))."""
    shares = (torch.cdist(points, centres) <= radius * std).float().mean(0)
    return int((shares >= share).sum()), shares


@dataclass(frozen=True)
class Snapshot:
    """The state of a 2-D GAN during training: ``points`` G(z) for a fixed noise (n, 2), D's probability
    ``surface`` (resolution², ) on ``coursekit.data.toy.plane_grid(extent, resolution)``, and the modes covered."""

    step: int
    points: torch.Tensor
    surface: torch.Tensor
    modes: int


def train_ring(beta1: float = 0.5, steps: int = 3000, batch_size: int = 256, lr: float = 1e-3, seed: int = 0,
               every: int = 250, extent: float = 1.6, resolution: int = 80, callback=None, d_step=None):
    """Train a ``GAN2D`` on the ring of 8 Gaussians (std 0.05) with Adam(lr, β1); return (gan, snapshots).

    A fresh batch of real points every step; a ``Snapshot`` every ``every`` steps (and at step 0), each also passed
    to ``callback`` (for a live figure). ``d_step``: D's step, ``discriminator_step`` by default (see
    ``train_step``). Seeded: the same arguments give the same run. On the CPU, whatever the notebook's device: these
    MLPs are so small that a GPU spends its time launching them.
    """
    torch.manual_seed(seed)
    with torch.device("cpu"):  # its parameters on the CPU, whatever the default device
        model = GAN2D()
    g_optimizer, d_optimizer = optimizers(model, lr=lr, beta1=beta1)
    centres = toy.ring_centres(8, 1.0)
    noise = normal((1000, model.config.noise), torch.Generator().manual_seed(seed + 1), "cpu")
    grid, _ = plane_grid(extent, resolution)
    snapshots = []

    def snap(step):
        with torch.no_grad():
            points = model.generator(noise)
            shot = Snapshot(step, points, torch.sigmoid(model.score(grid)),
                            modes_covered(points, centres, std=0.05)[0])
        snapshots.append(shot)
        if callback is not None:
            callback(shot)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these MLPs are tiny: one thread is faster, and far faster when the CPU is shared
    try:
        snap(0)
        for step in range(1, steps + 1):
            real, _ = toy.ring_of_gaussians(batch_size, seed=seed * 1_000_003 + step)
            train_step(model, g_optimizer, d_optimizer, real, d_step=d_step)
            if step % every == 0 or step == steps:
                snap(step)
    finally:
        torch.set_num_threads(threads)
    return model, snapshots


def dcgan(pretrained: bool = True) -> DCGAN:
    """The DCGAN of notebook 07 in eval mode: the shipped weights (``data/checkpoints/dcgan_digits.pt``, made by
    ``python -m coursekit.train dcgan_digits``) or random ones."""
    model = DCGAN()
    if pretrained:
        checkpoints.load_shipped(model, "dcgan_digits", asdict(model.config))
    return model.eval()


@torch.no_grad()
def dcgan_metrics(model: DCGAN, n: int = 1000, seed: int = 1) -> dict[str, float]:
    """How the shipped digit classifier (notebook 02's) reads ``n`` DCGAN samples (noise seed ``seed``): the share
    it reads with confidence ≥ 0.9, how many of the ten classes appear among its readings, and the smallest class's
    share. The measures stored in the DCGAN's checkpoint."""
    samples = model.eval().sample(n, torch.Generator().manual_seed(seed))
    with torch.device(samples.device):  # the judge on the samples' device
        judge = digit_classifier()
    confidence, digit = judge(samples).softmax(1).max(1)
    counts = torch.bincount(digit, minlength=10)
    return {"confident_share": (confidence >= 0.9).float().mean().item(), "classes": int((counts > 0).sum()),
            "rarest_class_share": (counts.min() / n).item()}
