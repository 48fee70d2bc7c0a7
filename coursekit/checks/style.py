"""Checks of notebook 06's exercises: the Gram matrix."""

from __future__ import annotations

import torch

from coursekit import gram as _gram
from coursekit.checks.core import Check, Trial

__all__ = ["check_gram_matrix"]  # the checks, exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise: the Gram matrix
# ---------------------------------------------------------------------------------------------------------------

GRAM_MATRIX_HINTS = {
    "positions": "gram_matrix returns (N, H·W, H·W) = {got}: that compares positions, Fᵀ F. The Gram matrix compares "
                 "channels: with F reshaped to (N, C, H·W), compute F Fᵀ, shape (N, C, C).",
    "no batch": "gram_matrix drops the batch dimension: return (N, C, C), one matrix per image.",
    "not normalised": "gram_matrix is not normalised: divide F Fᵀ by M = H·W, the number of positions, so that the "
                      "same texture gives the same Gram matrix at any image size.",
    "divides by C": "gram_matrix divides by C·H·W; this course divides by H·W only (the number of positions), as its "
                    "docstring says: a mean over positions of F_i · F_j.",
    "differs": "gram_matrix for features of shape {shape} differs from the expected matrix by up to {error:.3g}.",
}


def _check_gram_matrix(t: Trial) -> None:
    """A student's ``gram_matrix(features)`` against ``coursekit.gram.gram_matrix``."""
    g = torch.Generator().manual_seed(6)
    for shape in ((1, 3, 4, 5), (2, 4, 6, 6), (1, 8, 3, 7)):
        f = torch.randn(*shape, generator=g)
        out = t.call(f)
        n, c, h, w = shape
        expected = _gram.gram_matrix(f)
        if torch.is_tensor(out) and out.shape == (n, h * w, h * w):
            raise t.fail("positions", got=tuple(out.shape))
        if torch.is_tensor(out) and out.shape == (c, c) and n == 1:
            raise t.fail("no batch")
        t.expect_tensor(out, expected)
        if torch.allclose(out, expected, atol=1e-4):
            continue
        if torch.allclose(out, expected * h * w, atol=1e-3):
            raise t.fail("not normalised")
        if torch.allclose(out, expected / c, atol=1e-5):
            raise t.fail("divides by C")
        raise t.fail("differs", shape=shape, error=(out - expected).abs().max().item())


check_gram_matrix = Check("gram_matrix", _check_gram_matrix, GRAM_MATRIX_HINTS, reference=_gram.gram_matrix)
