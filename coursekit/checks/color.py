"""Checks of notebook 05's exercises: decoding a colour distribution with the annealed mean."""

from __future__ import annotations

import torch

from coursekit import color as _color
from coursekit.checks.core import Check, Trial

__all__ = ["check_annealed_mean"]  # the checks, exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise: the annealed mean
# ---------------------------------------------------------------------------------------------------------------

ANNEALED_MEAN_HINTS = {
    "plain mean": "annealed_mean at T = {t} returns the plain mean E_z[c]: sharpen the distribution first, "
                  "f_T(z) ∝ exp(log z / T), then take the mean under f_T(z).",
    "power T": "annealed_mean raises z to the power T (T = {t}); it is z^(1/T) = exp(log z / T): a small T must sharpen "
               "the distribution towards its mode.",
    "softmax of probabilities": "annealed_mean divides the probabilities by T inside a softmax; divide their "
                                "*logarithm*: f_T(z) = softmax(log z / T).",
    "not renormalised": "annealed_mean does not renormalise (T = {t}): after z^(1/T) divide by Σ_q z_q^(1/T) so that "
                        "f_T(z) sums to 1 over the bins.",
    "wrong dimension": "annealed_mean normalises over dimension {dim} (T = {t}); the distribution of each pixel runs "
                       "over the Q bins, dimension 1 of (N, Q, H, W): sum over dim=1 so that f_T(z) sums to 1 for "
                       "every pixel.",
    "differs": "annealed_mean at T = {t} differs from the expected colours by up to {error:.3g} ab units.",
}


def _check_annealed_mean(t: Trial) -> None:
    """A student's ``annealed_mean(probabilities, bins, temperature)`` against ``coursekit.color``'s."""
    g = torch.Generator().manual_seed(5)
    bins = torch.tensor([[-40.0, 10.0], [0.0, 0.0], [30.0, 30.0], [50.0, -20.0], [10.0, 60.0]])
    p = torch.softmax(2 * torch.randn(2, len(bins), 3, 4, generator=g), dim=1)  # (N, Q, H, W)

    def mean(weights):  # Σ_q weights_q c_q, for every pixel
        return torch.einsum("nqhw,qc->nchw", weights, bins)

    for temperature in (1.0, 0.38, 0.1, 2.0):
        out = t.call(p, bins, temperature)
        expected = _color.annealed_mean(p, bins, temperature)
        t.expect_tensor(out, expected)
        if torch.allclose(out, expected, atol=1e-3):
            continue
        sharpened = p ** (1 / temperature)
        mistakes = {
            "plain mean": mean(p),
            "power T": mean(p ** temperature) / (p ** temperature).sum(1, keepdim=True),
            "softmax of probabilities": mean(torch.softmax(p / temperature, dim=1)),
            "not renormalised": mean(sharpened),
        }
        for key, wrong in mistakes.items():
            if torch.allclose(out, wrong, atol=1e-3):
                raise t.fail(key, t=temperature)
        for dim in (0, 2, 3):
            if torch.allclose(out, mean(sharpened / sharpened.sum(dim, keepdim=True)), atol=1e-3):
                raise t.fail("wrong dimension", dim=dim, t=temperature)
        raise t.fail("differs", t=temperature, error=(out - expected).abs().max().item())


check_annealed_mean = Check("annealed_mean", _check_annealed_mean, ANNEALED_MEAN_HINTS,
                            reference=_color.annealed_mean)
