"""Notebook 04's checks: the mistakes their hints name (fed to them in test_checks.py): the causal mask, bits per
dimension, the sampling loop."""

import math
import time

import pytest
import torch
import torch.nn.functional as F

from coursekit import pixelcnn as P
from coursekit.checks import CheckFailed
from coursekit.checks.pixelcnn import check_bits_per_dim, check_causal_mask, check_sample_pixels


def _mask(k, mask_type):
    """The causal mask, written again for the mistakes below: rows above, and left of the centre (A) or up to it (B)."""
    m = torch.zeros(k, k)
    c = k // 2
    m[:c] = 1
    m[c, :c + (mask_type == "B")] = 1
    return m


def _changed(k, mask_type, rows=None, value=1.0):
    m = _mask(k, mask_type)
    m[rows] = value
    return m


CAUSAL_MASK = {
    "ignores type": lambda k, mask_type: _mask(k, "B"),
    "swapped": lambda k, mask_type: _mask(k, "B" if mask_type == "A" else "A"),
    "rows below": lambda k, mask_type: _changed(k, mask_type, slice(k // 2 + 1, None)),
    "right of centre": lambda k, mask_type: _changed(k, mask_type, (k // 2, slice(k // 2 + 1, None))),
    "rows above": lambda k, mask_type: _changed(k, mask_type, (0, 0), 0.0),
    "left of centre": lambda k, mask_type: _changed(k, mask_type, (k // 2, 0), 0.0),
    "differs": lambda k, mask_type: 2 * _mask(k, mask_type),
}


def _bits(logits, x, naive=False, ones_of=None, scale=1.0, pixels=None):
    """Bits per dimension with switchable mistakes (the defaults are right)."""
    if naive:  # the textbook formula with σ itself: fine for small logits, −∞ or NaN for confident ones
        p = torch.sigmoid(logits)
        log_likelihood = x * torch.log(p) + (1 - x) * torch.log(1 - p)
    else:
        target = x if ones_of is None else ones_of
        log_likelihood = target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)
    nats = -log_likelihood.flatten(1).sum(1)
    return scale * nats / ((pixels or x[0].numel()) * math.log(2))


BITS_PER_DIM = {
    "one number": lambda logits, x: _bits(logits, x).mean(),
    "not finite": lambda logits, x: _bits(logits, x) * torch.log(logits).flatten(1).sum(1),  # the log of a logit
    "sign": lambda logits, x: -_bits(logits, x),
    "swapped": lambda logits, x: _bits(logits, x, ones_of=1 - x),
    "nats": lambda logits, x: _bits(logits, x, scale=math.log(2)),
    "per image": lambda logits, x: _bits(logits, x, pixels=1),
    "784": lambda logits, x: _bits(logits, x, pixels=784),
    "factor": lambda logits, x: _bits(logits, x, scale=math.log(2), pixels=1),  # nats per image
    "unstable": lambda logits, x: _bits(logits, x, naive=True),
    "differs": lambda logits, x: _bits(logits, x) + 0.1 * x.flatten(1).mean(1),
}


@torch.no_grad()
def _sampler(model, x, known, temperature, u, rule=None, columns=False, skip=None, inplace=False, once=False,
             own_random=False, as_bool=False, probabilities=False):
    """The sampling loop with switchable mistakes (the defaults are right)."""
    canvas = x if inplace else x.clone()
    size = x.shape[-1]
    positions = [(i, j) for j in range(size) for i in range(size)] if columns else \
        [(i, j) for i in range(size) for j in range(size)]
    logits = model(canvas) if once else None
    for i, j in positions:
        here = known[:, 0, i, j]
        if (skip or (lambda h: h.all()))(here):
            continue
        logit = (logits if once else model(canvas))[:, 0, i, j]
        v = torch.rand(len(x)) if own_random else u[:, 0, i, j]
        p = torch.sigmoid(logit / temperature)
        drawn = rule(logit, v) if rule else (p if probabilities else v < p)
        canvas[:, 0, i, j] = torch.where(here, canvas[:, 0, i, j], drawn.float())
    return canvas.bool() if as_bool else canvas


def _overwrites(model, x, known, temperature, u):
    return _sampler(model, torch.zeros_like(x), torch.zeros_like(known), temperature, u)


SAMPLE_PIXELS = {
    "changed its input": lambda m, x, k, t, u: _sampler(m, x, k, t, u, inplace=True),
    "dtype": lambda m, x, k, t, u: _sampler(m, x, k, t, u, as_bool=True),
    "not binary": lambda m, x, k, t, u: _sampler(m, x, k, t, u, probabilities=True),
    "known overwritten": _overwrites,
    "ignores u": lambda m, x, k, t, u: _sampler(m, x, k, t, u, own_random=True),
    "all at once": lambda m, x, k, t, u: _sampler(m, x, k, t, u, once=True),
    "temperature multiplied": lambda m, x, k, t, u: _sampler(m, x, k, t, u,
                                                             rule=lambda lg, v: v < torch.sigmoid(lg * t)),
    "no temperature": lambda m, x, k, t, u: _sampler(m, x, k, t, u, rule=lambda lg, v: v < torch.sigmoid(lg)),
    "no sigmoid": lambda m, x, k, t, u: _sampler(m, x, k, t, u, rule=lambda lg, v: v < lg / t),
    "flipped": lambda m, x, k, t, u: _sampler(m, x, k, t, u, rule=lambda lg, v: v > torch.sigmoid(lg / t)),
    "column order": lambda m, x, k, t, u: _sampler(m, x, k, t, u, columns=True),
    "skipped unknown": lambda m, x, k, t, u: _sampler(m, x, k, t, u, skip=lambda h: h.any()),
    "wasted passes": lambda m, x, k, t, u: _sampler(m, x, k, t, u, skip=lambda h: False),
    "differs": lambda m, x, k, t, u: _sampler(m, x, k, t, u, rule=lambda lg, v: v < torch.sigmoid(lg / t + 0.5)),
}

MISTAKES = {check_causal_mask: CAUSAL_MASK, check_bits_per_dim: BITS_PER_DIM, check_sample_pixels: SAMPLE_PIXELS}


@pytest.mark.timed
def test_the_right_loop_passes_quickly(capsys):
    start = time.perf_counter()
    check_sample_pixels(lambda m, x, k, t, u: _sampler(m, x, k, t, u))
    assert "passes" in capsys.readouterr().out
    assert time.perf_counter() - start < 3, "a check should take well under 3 s"


@pytest.mark.parametrize("library", [F.binary_cross_entropy_with_logits, P.nll])
def test_bits_per_dim_by_the_library_is_refused(library):
    def by_library(logits, x):
        return library(logits, x, reduction="none").flatten(1).sum(1) / (x[0].numel() * math.log(2)) \
            if library is not P.nll else library(logits, x) / (x[0].numel() * math.log(2))

    with pytest.raises(CheckFailed) as err:
        check_bits_per_dim(by_library)
    assert err.value.key == "forbidden"


def test_the_course_sampler_is_refused():
    def by_the_course(model, x, known, temperature, u):
        return P.sample(model, len(x), x.shape[-1], None, temperature, uniforms=u, known=x, known_mask=known)[0]

    with pytest.raises(CheckFailed, match="coursekit.pixelcnn.sample") as err:
        check_sample_pixels(by_the_course)
    assert err.value.key == "forbidden"


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "bits_per_dim": '''def bits_per_dim(logits, x):
    p = torch.sigmoid(logits)
    log_p = x * torch.log(p) + (1 - x) * torch.log(1 - p)      # fine until σ rounds to 0 or 1
    return -log_p.flatten(1).sum(1) / (x[0].numel() * math.log(2))''',
    "sample_pixels": '''def sample_pixels(model, x, known, temperature, u):
    x = x.clone()
    with torch.no_grad():
        logits = model(x)                      # one forward pass for the whole image
    p = torch.sigmoid(logits / temperature)
    return torch.where(known, x, (u < p).float())''',
    "answer_temperature": "At T close to 0 the samples are the same every time; at T = 2 they get noisier.",
}
