"""Generative adversarial networks (Goodfellow et al. 2014) in two dimensions, and how mode collapse is measured.

«G essaie de tromper D»: a generator G maps noise z to samples G(z); a discriminator D scores how real a sample
looks. They play

    min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))],

so that, from G's point of view, D is a loss that is *learned* rather than written by hand. G minimises the
non-saturating −log D(G(z)) instead of log(1 − D(G(z))): the same fixed point, stronger gradients while D wins.

On a ring of 8 Gaussians the classic failure shows at once: **mode collapse**, G puts its samples on one mode (or a
thin streak) and hops from mode to mode as D catches up, because D only asks "is this sample real?", never "are all
the modes there?". ``modes_covered`` counts the modes that get at least 5% of the samples within 3σ.

Measured with these MLPs (3 hidden layers of 128, batch 256, Adam at 10⁻³, 3,000 steps): Adam's default momentum
β1 = 0.9 collapses (0 or 1 mode covered, on the two seeds tried), while β1 = 0.5, the DCGAN guideline, covers all 8
(on three seeds).
With heavy momentum G keeps moving in the direction that fooled D some steps ago, overshoots, and the pair chase
each other around the ring instead of settling; ``optimizers`` takes β1 as an argument so both can be shown.

Used in notebook 07.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


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
        """n points G(z), z ~ N(0, I): (n, 2)."""
        return self.generator(torch.randn(n, self.config.noise, generator=generator))

    def score(self, points: torch.Tensor) -> torch.Tensor:
        """D's logits for (B, 2) points: (B,). On a grid of the plane it draws D's decision surface."""
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"D scores points shaped (B, 2), got {tuple(points.shape)}.")
        return self.discriminator(points).squeeze(1)


def optimizers(gan: GAN2D, lr: float = 1e-3, beta1: float = 0.5):
    """Adam for G and for D with momentum ``beta1``: 0.5 trains (DCGAN's guideline); Adam's default 0.9 collapses."""
    g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=(beta1, 0.999))
    d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(beta1, 0.999))
    return g, d


def train_step(gan: GAN2D, g_optimizer, d_optimizer, real: torch.Tensor,
               generator: torch.Generator | None = None) -> dict[str, float]:
    """One step of D, then one of G, on a batch of real points (B, 2). Returns the losses and D's mean
    probabilities before the steps: {"d", "g", "d_real" = mean D(x), "d_fake" = mean D(G(z))}."""
    fake = gan.sample(len(real), generator)
    real_logits, fake_logits = gan.score(real), gan.score(fake.detach())  # D's step must not reach into G
    d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))      # −log D(x)
              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))  # −log(1 − D(G(z)))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    fooled = gan.score(fake)
    g_loss = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))  # −log D(G(z)), non-saturating
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return {"d": d_loss.item(), "g": g_loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}


def modes_covered(points: torch.Tensor, centres: torch.Tensor, std: float, share: float = 0.05,
                  radius: float = 3.0) -> tuple[int, torch.Tensor]:
    """How many modes (K, 2) ``centres`` the (N, 2) ``points`` cover: a mode counts when at least ``share`` of the
    points lie within ``radius``·``std`` of it. Returns (count, each mode's share of the points (K,))."""
    shares = (torch.cdist(points, centres) <= radius * std).float().mean(0)
    return int((shares >= share).sum()), shares
