"""Checks of notebook 02's exercises: the convolution and the cross-entropy written by hand."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit import conv as _conv
from coursekit import loss as _loss
from coursekit.checks.core import Check, Trial

__all__ = ["check_conv2d", "check_cross_entropy"]  # the checks, exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: convolution
# ---------------------------------------------------------------------------------------------------------------

CONV2D_HINTS = {
    "ignores stride": "conv2d ignores the stride: {where} the output should be {expected}, got {got}. Move the window "
                      "by `stride` pixels: x[…, i·s + u, j·s + v].",
    "ignores padding": "conv2d ignores the padding: {where} the output should be {expected}, got {got}. Pad x with "
                       "zeros first, e.g. F.pad(x, (p, p, p, p)).",
    "output shape": "conv2d {where} returns shape {got}; expected {expected} = (N, C_out, (H + 2p − K)//s + 1, "
                    "(W + 2p − K)//s + 1).",
    "flipped": "conv2d flips the kernel: that is the convolution of signal processing. Deep learning's 'convolution' "
               "is a cross-correlation: y[i, j] = Σ w[u, v] · x[i + u, j + v], with the kernel as it is.",
    "no bias": "conv2d forgets the bias: add b[o] to every pixel of output channel o.",
    "one channel": "conv2d uses only one input channel: sum over all input channels c as well.",
    "differs": "conv2d {where} differs from torch.nn.functional.conv2d by up to {error:.3g}. Check the sum "
               "y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[n, c, i·s + u, j·s + v].",
}

_WRITE_IT = "the exercise is to write the convolution; F.conv2d is the oracle the check compares with."


def _check_conv2d(t: Trial) -> None:
    """A student's ``conv2d(x, weight, bias, stride, padding)`` against ``F.conv2d`` (cross-correlation)."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 7, 8, generator=g)
    w = torch.randn(4, 3, 3, 3, generator=g)
    b = torch.randn(4, generator=g)
    for stride, padding in ((1, 0), (1, 1), (2, 1), (2, 0)):
        out = t.call(x, w, b, stride, padding)
        expected = F.conv2d(x, w, b, stride=stride, padding=padding)
        where = f"with stride={stride}, padding={padding}"
        if torch.is_tensor(out) and out.shape != expected.shape:
            shapes = {"expected": tuple(expected.shape), "got": tuple(out.shape), "where": where}
            if out.shape == F.conv2d(x, w, b, padding=padding).shape and stride > 1:
                raise t.fail("ignores stride", **shapes)
            if out.shape == F.conv2d(x, w, b, stride=stride).shape and padding > 0:
                raise t.fail("ignores padding", **shapes)
            raise t.fail("output shape", **shapes)
        t.expect_tensor(out, expected)
        if torch.allclose(out, F.conv2d(x, w.flip(-1, -2), b, stride=stride, padding=padding), atol=1e-4):
            raise t.fail("flipped")
        if torch.allclose(out, F.conv2d(x, w, None, stride=stride, padding=padding), atol=1e-4):
            raise t.fail("no bias")
        if not torch.allclose(out, expected, atol=1e-4):
            per_channel = [F.conv2d(x[:, c:c + 1], w[:, c:c + 1], None, stride=stride, padding=padding)
                           for c in range(3)]
            if any(torch.allclose(out - b[None, :, None, None], one, atol=1e-4) for one in per_channel):
                raise t.fail("one channel")
            raise t.fail("differs", where=where, error=(out - expected).abs().max().item())


check_conv2d = Check("conv2d", _check_conv2d, CONV2D_HINTS, reference=_conv.conv2d,
                     forbidden={F.conv2d: _WRITE_IT, F.conv1d: _WRITE_IT, F.conv3d: _WRITE_IT,
                                torch.nn.Conv2d.forward: _WRITE_IT})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: cross-entropy
# ---------------------------------------------------------------------------------------------------------------

CROSS_ENTROPY_HINTS = {
    "per example": "cross_entropy returns one value per example; the loss is their mean, a single number.",
    "raw scores": "cross_entropy uses the raw scores z_y without log-softmax: the loss is −log p(y | x), with "
                  "log p(y | x) = z_y − log Σ_k exp(z_k).",
    "no log": "cross_entropy uses the probability p(y | x) itself; the cross-entropy takes its logarithm: "
              "−log p(y | x).",
    "sum": "cross_entropy sums over the batch; take the mean, so that the loss does not grow with N.",
    "sign": "cross_entropy has the wrong sign: log p ≤ 0, so −log p(y | x) is positive and shrinks as p(y | x) → 1.",
    "batch softmax": "cross_entropy normalises over the batch (dim 0); the softmax runs over the classes, dim=1.",
    "differs": "cross_entropy gave {got:.4f}, expected {expected:.4f} = mean over n of −log softmax(z_n)[y_n].",
    "overflow": "cross_entropy overflows on large scores (logits (1000, 0, −1000) gave {got}): exp(1000) is inf in "
                "float32. Subtract max_k z_k from the scores before the exponential (log-sum-exp trick).",
}

_BY_HAND = "the exercise is to compute log p(y | x) yourself, with the log-sum-exp trick."


def _check_cross_entropy(t: Trial) -> None:
    """A student's ``cross_entropy(logits, target)`` against ``F.cross_entropy`` (mean over the batch)."""
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(6, 4, generator=g) * 2
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    out = t.call(logits, target)
    expected = F.cross_entropy(logits, target)
    if torch.is_tensor(out) and out.shape == (6,):
        raise t.fail("per example")
    t.expect_tensor(out, expected)
    picked = logits.gather(1, target[:, None])[:, 0]
    p = torch.softmax(logits, dim=1).gather(1, target[:, None])[:, 0]
    mistakes = {
        "raw scores": -picked.mean(),
        "no log": -p.mean(),
        "sum": expected * len(target),
        "sign": -expected,
        "batch softmax": -torch.log_softmax(logits, 0).gather(1, target[:, None]).mean(),
    }
    for key, wrong in mistakes.items():
        if torch.allclose(out.float(), wrong, atol=1e-4):
            raise t.fail(key)
    if not torch.allclose(out.float(), expected, atol=1e-4):
        raise t.fail("differs", got=out.item(), expected=expected.item())
    out_big = t.call(torch.tensor([[1000.0, 0.0, -1000.0]]), torch.tensor([0]))
    if not torch.isfinite(out_big).all() or abs(out_big.item()) > 1e-3:
        raise t.fail("overflow", got=out_big.item())


check_cross_entropy = Check("cross_entropy", _check_cross_entropy, CROSS_ENTROPY_HINTS, reference=_loss.cross_entropy,
                            forbidden={F.cross_entropy: _BY_HAND, F.log_softmax: _BY_HAND, torch.log_softmax: _BY_HAND,
                                       torch.Tensor.log_softmax: _BY_HAND, F.nll_loss: _BY_HAND})
