"""Checks of notebook 07's exercises: the pix2pix generator's loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit import pix2pix as _pix2pix
from coursekit.checks.core import Check, Trial

__all__ = ["check_generator_loss"]  # the checks, exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise: the pix2pix generator's loss
# ---------------------------------------------------------------------------------------------------------------

GENERATOR_LOSS_HINTS = {
    "not a scalar": "generator_loss should return one number as a tensor (a scalar to call .backward() on), got "
                    "{got}.",
    "saturating": "generator_loss: G minimises log(1 − D(G(x))), the saturating loss: its gradient vanishes when D "
                  "spots the fakes easily, which is how training starts. Minimise −log D(G(x)) instead: binary "
                  "cross-entropy of the fake logits against the label 1 (real).",
    "label zero": "generator_loss scores the fakes against the label 0, which is D's target for them: G would then "
                  "help D. G wants D to call its images real: binary cross-entropy of the fake logits against the "
                  "label 1.",
    "no lambda": "generator_loss: the L1 term is not weighted: multiply it by lam (λ = 100 in the paper), otherwise "
                 "the GAN term drowns it and the colours drift.",
    "L2": "generator_loss: the reconstruction term is squared (L2); pix2pix uses L1, the mean of |y − G(x)|, which "
          "blurs less.",
    "mean probability": "generator_loss: the log is taken of D's *mean* probability; take the mean of −log D over the "
                        "patches: binary cross-entropy of each logit against 1, then the mean.",
    "L1 sum": "generator_loss: the L1 term sums over pixels; take the mean of |y − G(x)| so that λ = 100 means the "
              "same at any size.",
    "differs": "generator_loss returns {got:.4g}, expected {expected:.4g} for logits of shape {logits}, images of "
               "shape {images} and λ = {lam:g}.",
}


def _check_generator_loss(t: Trial) -> None:
    """A student's ``generator_loss(fake_logits, fake, target, lam)`` against ``coursekit.pix2pix``'s."""
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(2, 1, 6, 6, generator=g) * 2
    fake, target = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 16, 16, generator=g)
    lam = 100.0
    out = t.call(logits, fake, target, lam)
    if out is None:
        raise t.fail("returns None")
    if not torch.is_tensor(out) or out.numel() != 1:
        raise t.fail("not a scalar", got=f"{type(out).__name__} {tuple(out.shape) if torch.is_tensor(out) else ''}")
    out = out.reshape(())
    expected = _pix2pix.generator_loss(logits, fake, target, lam)
    if torch.allclose(out, expected, rtol=1e-4, atol=1e-5):
        return
    gan = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    l1 = (fake - target).abs().mean()
    mistakes = {
        "saturating": torch.log1p(-torch.sigmoid(logits)).mean() + lam * l1,
        "label zero": F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)) + lam * l1,
        "no lambda": gan + l1,
        "L2": gan + lam * ((fake - target) ** 2).mean(),
        "mean probability": -torch.log(torch.sigmoid(logits).mean()) + lam * l1,
        "L1 sum": gan + lam * (fake - target).abs().sum(),
    }
    for key, wrong in mistakes.items():
        if torch.allclose(out, wrong, rtol=1e-4, atol=1e-5):
            raise t.fail(key)
    raise t.fail("differs", got=out.item(), expected=expected.item(), logits=tuple(logits.shape),
                 images=tuple(fake.shape), lam=lam)


check_generator_loss = Check("generator_loss", _check_generator_loss, GENERATOR_LOSS_HINTS,
                             reference=_pix2pix.generator_loss)
