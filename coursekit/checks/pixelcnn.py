"""Checks of notebook 04's exercises: the mask of a masked convolution, bits per dimension, and the sampling loop with
a temperature."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import pixelcnn as _pixelcnn
from coursekit.checks.core import Check, Trial

__all__ = ["check_causal_mask", "check_bits_per_dim", "check_sample_pixels"]  # the checks, exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the mask
# ---------------------------------------------------------------------------------------------------------------

CAUSAL_MASK_HINTS = {
    "ignores type": "causal_mask returns the same mask for mask_type 'A' and 'B' (kernel_size={k}): the two differ "
                    "only at the centre. Mask A hides the centre pixel (the first layer must not see the pixel it "
                    "predicts); mask B lets it through (later layers, whose centre already holds only the past).",
    "swapped": "causal_mask swaps A and B ({where}): mask A hides the centre pixel (the first layer must not see the "
               "pixel it predicts), mask B lets it through (later layers).",
    "rows below": "causal_mask lets rows below the centre through ({where}): they are the future.",
    "right of centre": "causal_mask lets pixels right of the centre, on the centre row, through ({where}): in raster "
                       "order they come later.",
    "rows above": "causal_mask hides some rows above the centre ({where}): all of them come earlier.",
    "left of centre": "causal_mask hides pixels left of the centre on its row ({where}): they come earlier.",
    "differs": "causal_mask {where} gave\n{got}\nexpected\n{expected}.",
}


def _check_causal_mask(t: Trial) -> None:
    """A student's ``causal_mask(kernel_size, mask_type)`` against ``coursekit.pixelcnn.causal_mask``."""
    for k in (3, 5, 7):
        masks = {}
        for mask_type in ("A", "B"):
            out = t.call(k, mask_type)
            expected = _pixelcnn.causal_mask(k, mask_type)
            t.expect_tensor(out, expected)
            masks[mask_type] = out.float()
        if torch.equal(masks["A"], masks["B"]):
            raise t.fail("ignores type", k=k)
        for mask_type, out in masks.items():
            expected = _pixelcnn.causal_mask(k, mask_type)
            if torch.equal(out, expected):
                continue
            other = _pixelcnn.causal_mask(k, "B" if mask_type == "A" else "A")
            c = k // 2
            where = t.text("case", k=k, mask_type=repr(mask_type))
            if torch.equal(out, other):
                raise t.fail("swapped", where=where)
            if out[c + 1:].any():
                raise t.fail("rows below", where=where)
            if out[c, c + 1:].any():
                raise t.fail("right of centre", where=where)
            if not out[:c].all():
                raise t.fail("rows above", where=where)
            if not out[c, :c].all():
                raise t.fail("left of centre", where=where)
            raise t.fail("differs", where=where, got=out, expected=expected)


check_causal_mask = Check("causal_mask", _check_causal_mask, CAUSAL_MASK_HINTS, reference=_pixelcnn.causal_mask,
                          texts={"case": "for kernel_size={k}, mask_type={mask_type}"})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: bits per dimension
# ---------------------------------------------------------------------------------------------------------------

BITS_PER_DIM_HINTS = {
    "one number": "bits_per_dim returns one number for the whole batch; return one per image, shape (N,): sum the "
                  "pixels of each image (dimensions 1, 2, 3), not the images.",
    "not finite": "bits_per_dim returns NaN or inf for ordinary logits (between −9 and 9). The model gives logits, "
                  "not probabilities: p(x_i = 1) = σ(logit_i), and the log of a negative logit is NaN.",
    "sign": "bits_per_dim is negative: it returns the log-likelihood. Return the negative log-likelihood, "
            "−Σ_i log p(x_i), which is ≥ 0 and smaller for a better model.",
    "swapped": "bits_per_dim uses log p where a pixel is 0 and log(1 − p) where it is 1. A pixel x_i = 1 has "
               "probability p_i = σ(logit_i), a pixel x_i = 0 has probability 1 − p_i.",
    "nats": "bits_per_dim returns nats per pixel (natural logarithm): divide by ln 2 to get bits "
            "(log₂ p = ln p / ln 2).",
    "per image": "bits_per_dim returns bits per image: divide by the number of pixels D = H·W of an image, "
                 "x[0].numel(), to get bits per dimension.",
    "784": "bits_per_dim divides by 784, the number of pixels of a 28×28 digit; the check's images are {h}×{w}. "
           "Take D from the images you are given, x[0].numel().",
    "factor": "bits_per_dim is {ratio:.4g} times the expected value. Check the two divisions: by ln 2 (nats to bits) "
              "and by the number of pixels of one image, D = x[0].numel() (not of the batch).",
    "unstable": "bits_per_dim gives {got} for confident logits (±30, ±120), where {expected} is expected. In float32 "
                "σ(30) rounds to exactly 1 and σ(−120) to exactly 0, so log(1 − σ(30)) and log σ(−120) are log 0 = "
                "−∞, and 0 · (−∞) is NaN; an ε added inside the log changes the answer. Compute both logs from the "
                "logit, without forming σ: log σ(l) = F.logsigmoid(l) and log(1 − σ(l)) = log σ(−l) = "
                "F.logsigmoid(−l).",
    "differs": "bits_per_dim gave {got} for images whose bits per dimension are {expected}: the sum over pixels of "
               "−(x_i log σ(logit_i) + (1 − x_i) log(1 − σ(logit_i))), divided by D ln 2.",
}

_BY_HAND_NLL = "the exercise is to write the log-likelihood of the pixels yourself; it is the oracle of the check."


def _rounded(values: torch.Tensor) -> list[float]:
    return [round(v, 4) for v in values.tolist()]


_BITS_TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}  # float32 sums of 20 pixels' logs


def _check_bits_per_dim(t: Trial) -> None:
    """A student's ``bits_per_dim(logits, x)`` against ``coursekit.pixelcnn.bits_per_dim``, on 4×5 images."""
    g = torch.Generator().manual_seed(4)
    n, h, w = 3, 4, 5
    logits = 3 * torch.randn(n, 1, h, w, generator=g)
    x = (torch.rand(n, 1, h, w, generator=g) < torch.sigmoid(logits)).float()  # images the model rather expects
    out = t.call(logits.clone(), x.clone())
    expected = _pixelcnn.bits_per_dim(logits, x)
    if torch.is_tensor(out) and out.numel() == 1:
        raise t.fail("one number")
    t.expect_tensor(out, expected)
    if not torch.isfinite(out).all():
        raise t.fail("not finite")
    if not torch.allclose(out, expected, **_BITS_TOLERANCE):
        ln2 = math.log(2)
        mistakes = {
            "sign": -expected,
            "swapped": _pixelcnn.bits_per_dim(logits, 1 - x),
            "nats": expected * ln2,
            "per image": expected * h * w,
            "784": expected * h * w / 784,
        }
        for key, wrong in mistakes.items():
            if torch.allclose(out, wrong, **_BITS_TOLERANCE):
                raise t.fail(key, h=h, w=w)
        ratio = out.double() / expected.double()
        if torch.allclose(ratio, ratio[0].expand_as(ratio), rtol=1e-4):
            raise t.fail("factor", ratio=ratio[0].item())
        raise t.fail("differs", got=_rounded(out), expected=_rounded(expected))
    # confident logits: σ rounds to exactly 0 or 1 in float32; one image predicted right, one wrong
    big = torch.tensor([[30.0, -30.0], [120.0, -120.0]])[None, None].repeat(2, 1, 1, 1)
    x_big = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]], [[[0.0, 1.0], [0.0, 1.0]]]])
    out = t.call(big.clone(), x_big.clone())
    expected = _pixelcnn.bits_per_dim(big, x_big)
    t.expect_tensor(out, expected)
    if not torch.allclose(out, expected, **_BITS_TOLERANCE):
        raise t.fail("unstable", got=_rounded(out), expected=_rounded(expected))


check_bits_per_dim = Check("bits_per_dim", _check_bits_per_dim, BITS_PER_DIM_HINTS, reference=_pixelcnn.bits_per_dim,
                           forbidden={F.binary_cross_entropy_with_logits: _BY_HAND_NLL,
                                      torch.binary_cross_entropy_with_logits: _BY_HAND_NLL,
                                      F.binary_cross_entropy: _BY_HAND_NLL, _pixelcnn.nll: _BY_HAND_NLL})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the sampling loop with a temperature
# ---------------------------------------------------------------------------------------------------------------

SAMPLE_PIXELS_HINTS = {
    "changed its input": "sample_pixels changed a tensor it was given ({which}): it wrote the drawn pixels into the "
                         "caller's canvas. Work on a copy, x = x.clone(), and leave x, known and u as they were.",
    "dtype": "sample_pixels returns dtype {got}; return images of x's dtype ({expected}), 0.0 and 1.0: write the "
             "drawn pixels into a copy of x, or convert with .float().",
    "not binary": "sample_pixels returns values other than 0 and 1 ({example}): return the drawn pixels, "
                  "x_ij = 1 when u_ij < p_ij and 0 otherwise, not the probabilities p_ij.",
    "known overwritten": "sample_pixels changed pixels that are known ({where}): keep x where known is True, for "
                         "example with torch.where(known[:, 0, i, j], x[:, 0, i, j], drawn).",
    "ignores u": "sample_pixels gives different images for the same u ({where}): it draws its own random numbers. "
                 "Use the u you are given: x_ij = 1 when u_ij < σ(logit_ij / T), with u_ij = u[:, 0, i, j].",
    "all at once": "sample_pixels runs the model {calls} time(s) for {needed} pixel positions ({where}): it draws "
                   "many pixels from one forward pass. Each pixel depends on the pixels drawn just before it, so run "
                   "the model again before every pixel, on the canvas that already holds them.",
    "temperature multiplied": "sample_pixels multiplies the logits by the temperature ({where}); divide them: "
                              "σ(logit / T), so that T < 1 sharpens and T > 1 flattens the distribution.",
    "no temperature": "sample_pixels ignores the temperature ({where}): draw with σ(logit / T).",
    "no sigmoid": "sample_pixels compares u with the logit itself ({where}); the probability of ink is "
                  "p = σ(logit / T), torch.sigmoid.",
    "flipped": "sample_pixels draws 1 when u ≥ p ({where}): that makes ink with probability 1 − p. Draw 1 when u < p.",
    "column order": "sample_pixels visits the pixels column by column ({where}). The model predicts each pixel from "
                    "the rows above and the pixels to its left: visit them in raster order, row by row, left to "
                    "right within a row.",
    "skipped unknown": "sample_pixels skips a position as soon as one image knows its pixel ({where}); the other "
                       "images still need theirs drawn. Skip a position only when every image knows it "
                       "(known[:, 0, i, j].all()).",
    "wasted passes": "sample_pixels draws the right images but runs the model {calls} times where {needed} passes "
                     "suffice ({where}): run it once per pixel position on the whole batch, and not at all for the "
                     "positions whose pixel is known in every image (completing half an image then costs half the "
                     "passes).",
    "differs": "sample_pixels {where} differs from the expected images at {count} of {total} pixels, first at image "
               "{first[0]}, row {first[1]}, column {first[2]}. Each pixel: one forward pass on the canvas that holds "
               "every earlier pixel, logit = model(canvas)[:, 0, i, j], then x_ij = 1 when u_ij < σ(logit / T).",
}

_LOOP = "the exercise is to write the sampling loop; the course's samplers are the oracle of the check."


class _CountedModel(nn.Module):
    """A tiny causal model that counts its forward passes: one mask-A 3×3 convolution with weights set by hand, so
    that every pixel's probability depends strongly on the pixels drawn before it."""

    def __init__(self):
        super().__init__()
        self.conv = _pixelcnn.MaskedConv2d(1, 1, 3, "A")
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([[1.5, -2.5, 2.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
            self.conv.bias.fill_(-1.0)  # p = σ(−1) ≈ 0.27 with no ink around: the first pixel of a blank canvas
        self.calls = 0

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self.calls += 1
        return self.conv(x)


_MODEL: list[_CountedModel] = []  # built once, on first use


@torch.no_grad()
def _draw(model, x, known, temperature, u, rule=None, columns=False, skip_any=False):
    """The sampling loop with a switchable mistake (the defaults are right): the images each mistake gives."""
    x = x.clone()
    size = x.shape[-1]
    positions = [(i, j) for j in range(size) for i in range(size)] if columns else \
        [(i, j) for i in range(size) for j in range(size)]
    for i, j in positions:
        here = known[:, 0, i, j]
        if here.all() or (skip_any and here.any()):
            continue
        logit = model(x)[:, 0, i, j]
        drawn = rule(logit, u[:, 0, i, j]) if rule else u[:, 0, i, j] < torch.sigmoid(logit / temperature)
        x[:, 0, i, j] = torch.where(here, x[:, 0, i, j], drawn.float())
    return x


def _cases():
    """(where, canvas, known, temperature, u): from scratch at T = 1 and T = 0.5, then a completion at T = 2 whose
    images do not all know the same pixels."""
    g = torch.Generator().manual_seed(5)
    n, s = 3, 5
    blank = torch.zeros(n, 1, s, s)
    none = torch.zeros(n, 1, s, s, dtype=torch.bool)
    canvas = (torch.rand(n, 1, s, s, generator=g) < 0.4).float()
    known = none.clone()
    known[:, :, :2] = True  # the two top rows of every image
    known[1, :, 3] = True  # and row 3 of the second image
    return [("blank", blank, none, 1.0, torch.rand(n, 1, s, s, generator=g)),
            ("blank", blank, none, 0.5, torch.rand(n, 1, s, s, generator=g)),
            ("completing", canvas, known, 2.0, torch.rand(n, 1, s, s, generator=g))]


def _check_sample_pixels(t: Trial) -> None:
    """A student's ``sample_pixels(model, x, known, temperature, u)`` against ``coursekit.pixelcnn.sample_pixels`` on
    a tiny model, with the same uniform numbers u."""
    if not _MODEL:
        _MODEL.append(_CountedModel())
    model = _MODEL[0]
    for case, x, known, temperature, u in _cases():
        where = t.text(case, t=temperature)
        given = {"x": x.clone(), "known": known.clone(), "u": u.clone()}
        before = model.calls
        out = t.call(model, given["x"], given["known"], temperature, given["u"])
        calls = model.calls - before
        changed = [name for name, value in (("x", x), ("known", known), ("u", u))
                   if not torch.equal(given[name], value)]
        if changed:
            raise t.fail("changed its input", which=", ".join(changed))
        t.expect_tensor(out, x)
        if out.dtype != x.dtype:
            raise t.fail("dtype", got=out.dtype, expected=x.dtype)
        values = out[(out != 0) & (out != 1)]
        if len(values):
            raise t.fail("not binary", example=f"{values[0].item():.3g}")
        if not torch.equal(out[known], x[known]):
            raise t.fail("known overwritten", where=where)
        expected = _pixelcnn.sample_pixels(model, x, known, temperature, u)
        needed = int((~known[:, 0].all(0)).sum())  # positions where some image has a pixel to draw
        if torch.equal(out, expected):
            if calls > needed + 1:
                raise t.fail("wasted passes", calls=calls, needed=needed, where=where)
            continue
        again = t.call(model, x.clone(), known.clone(), temperature, u.clone())
        if not torch.equal(again, out):
            raise t.fail("ignores u", where=where)
        if calls <= x.shape[-2]:
            raise t.fail("all at once", calls=calls, needed=needed, where=where)
        mistakes = {
            "temperature multiplied": dict(rule=lambda logit, v: v < torch.sigmoid(logit * temperature)),
            "no temperature": dict(rule=lambda logit, v: v < torch.sigmoid(logit)),
            "no sigmoid": dict(rule=lambda logit, v: v < logit / temperature),
            "flipped": dict(rule=lambda logit, v: v >= torch.sigmoid(logit / temperature)),
            "column order": dict(columns=True),
            "skipped unknown": dict(skip_any=True),
        }
        for key, mistake in mistakes.items():
            if torch.equal(out, _draw(model, x, known, temperature, u, **mistake)):
                raise t.fail(key, where=where)
        wrong = (out != expected).nonzero()[0].tolist()
        raise t.fail("differs", where=where, count=int((out != expected).sum()), total=out.numel(),
                     first=(wrong[0], wrong[2], wrong[3]))


check_sample_pixels = Check("sample_pixels", _check_sample_pixels, SAMPLE_PIXELS_HINTS,
                            reference=_pixelcnn.sample_pixels,
                            forbidden={_pixelcnn.sample: _LOOP, _pixelcnn.sample_cached: _LOOP},
                            texts={"blank": "from a blank 5×5 canvas at T = {t:g}",
                                   "completing": "completing 5×5 images at T = {t:g}"})
