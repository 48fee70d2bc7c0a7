"""Notebook 05's checks: the mistakes their hints name (fed to them in test_checks.py): soft encoding, the rebalancing
weights, the annealed mean and the accuracy curve."""

import torch

from coursekit.checks.color import (
    check_accuracy_curve,
    check_annealed_mean,
    check_rebalancing_weights,
    check_soft_encode,
)

# ---------------------------------------------------------------------------------------------------------------
# Soft encoding: one function with switchable mistakes (the defaults are right)
# ---------------------------------------------------------------------------------------------------------------


def _encode(ab, bins, sigma, k, flatten=False, channels_last=False, scramble=False, normalise=True, every_bin=False,
            largest=False, weight=None, fixed_k=None, fixed_sigma=None):
    n, _, h, w = ab.shape
    k = fixed_k or k
    sigma = fixed_sigma or sigma
    flat = ab.reshape(-1, 2) if flatten else ab.permute(0, 2, 3, 1).reshape(-1, 2)  # (P, 2)
    d2 = ((flat[:, None, :] - bins[None]) ** 2).sum(-1)  # (P, Q)
    if every_bin:
        z = torch.softmax(-d2 / (2 * sigma**2), 1)
    else:
        near_d2, near = d2.topk(k, dim=1, largest=largest)
        g = torch.exp(-near_d2 / (2 * sigma**2)) if weight is None else weight(near_d2, sigma)
        if normalise:
            g = g / g.sum(1, keepdim=True)
        z = torch.zeros_like(d2).scatter(1, near, g)
    if scramble:
        return z.reshape(n, -1, h, w)
    z = z.reshape(n, h, w, -1)
    return z if channels_last else z.permute(0, 3, 1, 2)


def _one_hot(ab, bins, sigma, k):
    return _encode(ab, bins, sigma, 1)


def _nearest_by_grid(ab, bins, sigma, k):
    """The k bins that come first in the list of bins, instead of the k nearest."""
    z = _encode(ab, bins, sigma, k)
    return z.sum(1, keepdim=True) * torch.cat([torch.full((1, k, 1, 1), 1 / k), torch.zeros(1, len(bins) - k, 1, 1)], 1)


def _wrong_sum(ab, bins, sigma, k):
    return 2 * _encode(ab, bins, sigma, k, weight=lambda d2, s: torch.exp(-d2 / (2 * s**2)) * (1 + d2 / 100))


SOFT_ENCODE = {
    "channels last": lambda ab, bins, s, k: _encode(ab, bins, s, k, channels_last=True),
    "flatten": lambda ab, bins, s, k: _encode(ab, bins, s, k, flatten=True),
    "reshape": lambda ab, bins, s, k: _encode(ab, bins, s, k, scramble=True),
    "not normalised": lambda ab, bins, s, k: _encode(ab, bins, s, k, normalise=False),
    "sum": _wrong_sum,
    "all bins": lambda ab, bins, s, k: _encode(ab, bins, s, k, every_bin=True),
    "one-hot": _one_hot,
    "farthest": lambda ab, bins, s, k: _encode(ab, bins, s, k, largest=True),
    "ignores k": lambda ab, bins, s, k: _encode(ab, bins, s, k, fixed_k=5),
    "ignores sigma": lambda ab, bins, s, k: _encode(ab, bins, s, k, fixed_sigma=5.0),
    "not squared": lambda ab, bins, s, k: _encode(ab, bins, s, k,
                                                  weight=lambda d2, s: torch.exp(-d2.sqrt() / (2 * s**2))),
    "sigma not squared": lambda ab, bins, s, k: _encode(ab, bins, s, k, weight=lambda d2, s: torch.exp(-d2 / (2 * s))),
    "no 2": lambda ab, bins, s, k: _encode(ab, bins, s, k, weight=lambda d2, s: torch.exp(-d2 / s**2)),
    "sign": lambda ab, bins, s, k: _encode(ab, bins, s, k, weight=lambda d2, s: torch.exp(d2 / (2 * s**2))),
    "uniform": lambda ab, bins, s, k: _encode(ab, bins, s, k, weight=lambda d2, s: torch.ones_like(d2)),
    "nearest": _nearest_by_grid,
    "differs": lambda ab, bins, s, k: _encode(ab, bins, s, k, weight=lambda d2, s: torch.exp(-d2 / (2 * (s + 1) ** 2))),
}

# ---------------------------------------------------------------------------------------------------------------
# The rebalancing weights
# ---------------------------------------------------------------------------------------------------------------


def _weights(prior, lam, mix=None, normalise="prior"):
    q = len(prior)
    u = 1 / ((1 - lam) * prior + lam / q) if mix is None else mix(prior, lam, q)
    if normalise == "prior":
        return u / (prior * u).sum()
    if normalise == "sum":
        return u / u.sum()
    if normalise == "mean":
        return u / u.mean()
    if normalise == "twice":
        return 2 * u / (prior * u).sum()
    return u


REBALANCING_WEIGHTS = {
    "not normalised": lambda prior, lam: _weights(prior, lam, normalise=None),
    "sum to one": lambda prior, lam: _weights(prior, lam, normalise="sum"),
    "mean one": lambda prior, lam: _weights(prior, lam, normalise="mean"),
    "normalisation": lambda prior, lam: _weights(prior, lam, normalise="twice"),
    "no inverse": lambda prior, lam: _weights(prior, lam, mix=lambda p, lam, q: (1 - lam) * p + lam / q),
    "lambda swapped": lambda prior, lam: _weights(prior, lam, mix=lambda p, lam, q: 1 / (lam * p + (1 - lam) / q)),
    "uniform term": lambda prior, lam: _weights(prior, lam, mix=lambda p, lam, q: 1 / ((1 - lam) * p + lam)),
    "ignores lam": lambda prior, lam: _weights(prior, 0.5),
    "differs": lambda prior, lam: _weights(prior, lam, mix=lambda p, lam, q: 1 / ((1 - lam) * p + lam / q) ** 0.5),
}

# ---------------------------------------------------------------------------------------------------------------
# The annealed mean
# ---------------------------------------------------------------------------------------------------------------


def _mean(w, bins):
    return torch.einsum("nqhw,qc->nchw", w, bins)


ANNEALED_MEAN = {
    "plain mean": lambda p, bins, t: _mean(p, bins),
    "power T": lambda p, bins, t: _mean(p**t, bins) / (p**t).sum(1, keepdim=True),
    "softmax of probabilities": lambda p, bins, t: _mean(torch.softmax(p / t, 1), bins),
    "not renormalised": lambda p, bins, t: _mean(p ** (1 / t), bins),
    "wrong dimension": lambda p, bins, t: _mean(p ** (1 / t) / (p ** (1 / t)).sum(0, keepdim=True), bins),
    # right at T = 1, 0.38, 0.1 and 2 over 5 bins; at T = 0.01 over hundreds of bins z^(1/T) is 0 everywhere: NaN
    "underflow": lambda p, bins, t: _mean(p ** (1 / t) / (p ** (1 / t)).sum(1, keepdim=True), bins),
    "differs": lambda p, bins, t: _mean(torch.softmax(torch.log(p) / t, 1), bins) + 1.0,
}

# ---------------------------------------------------------------------------------------------------------------
# The accuracy curve
# ---------------------------------------------------------------------------------------------------------------


def _accuracy(ab_hat, ab, weights, thresholds, distance=None, within=None, normalise="weights", fixed=False,
              use_weights=True):
    delta = ab_hat - ab
    d = (delta**2).sum(1).sqrt() if distance is None else distance(delta)  # (N, H, W)
    if fixed:
        thresholds = torch.arange(0, 151)
    w = torch.ones_like(d) if weights is None or not use_weights else weights
    inside = (d[None] <= thresholds[:, None, None, None]) if within is None else within(d[None],
                                                                                      thresholds[:, None, None, None])
    count = (inside * w).sum((1, 2, 3))
    if normalise == "weights":
        return count / w.sum()
    if normalise == "pixels":
        return count / d.numel()
    return count


ACCURACY_CURVE = {
    "one number": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th).mean().item(),
    "ignores thresholds": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, fixed=True),
    "strict": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, within=lambda d, t: d < t),
    "squared": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, distance=lambda x: (x**2).sum(1)),
    "city block": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, distance=lambda x: x.abs().sum(1)),
    "complement": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, within=lambda d, t: d > t),
    "counts": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, normalise=None),
    "ignores weights": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, use_weights=False),
    "weights not normalised": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, normalise="pixels"),
    "differs": lambda ab_hat, ab, w, th: _accuracy(ab_hat, ab, w, th, distance=lambda x: x.abs().amax(1)),
}

MISTAKES = {check_soft_encode: SOFT_ENCODE, check_rebalancing_weights: REBALANCING_WEIGHTS,
            check_annealed_mean: ANNEALED_MEAN, check_accuracy_curve: ACCURACY_CURVE}


def test_a_soft_encoding_that_loops_over_pixels_passes():
    """The check compares values, not the way they are computed: a slow, explicit answer is right too."""

    def by_loops(ab, bins, sigma, k):
        n, _, h, w = ab.shape
        z = torch.zeros(n, len(bins), h, w)
        for i in range(n):
            for y in range(h):
                for x in range(w):
                    d2 = ((bins - ab[i, :, y, x]) ** 2).sum(1)
                    order = d2.argsort()[:k]
                    g = torch.exp(-d2[order] / (2 * sigma**2))
                    z[i, order, y, x] = g / g.sum()
        return z

    assert check_soft_encode.passes(by_loops)


def test_an_accuracy_curve_in_a_loop_over_thresholds_passes():
    def by_loop(ab_hat, ab, weights=None, thresholds=torch.arange(0, 151)):
        d = torch.linalg.vector_norm(ab_hat - ab, dim=1)
        w = torch.ones_like(d) if weights is None else weights
        return torch.stack([(w * (d <= t)).sum() / w.sum() for t in thresholds])

    assert check_accuracy_curve.passes(by_loop)


def test_an_annealed_mean_that_divides_zeros_by_epsilon_is_told_it_underflows():
    """z^(1/T) / (Σ z^(1/T) + ε) gives no NaN but 0, the gray centre, for every colour: the same underflow."""

    def plus_epsilon(p, bins, t):
        z = p ** (1 / t)
        return _mean(z / (z.sum(1, keepdim=True) + 1e-12), bins)

    result = check_annealed_mean.outcome(plus_epsilon)
    assert result is not None and result.key == "underflow", result


def test_annealed_means_that_survive_a_small_temperature_pass():
    """Any form that never computes z^(1/T) itself is right: the largest probability divided out, or logsumexp."""

    def by_the_largest(p, bins, t):
        z = (p / p.amax(1, keepdim=True)) ** (1 / t)  # the largest term is 1: no underflow
        return _mean(z / z.sum(1, keepdim=True), bins)

    def by_logsumexp(p, bins, t):
        s = torch.log(p) / t
        return _mean(torch.exp(s - s.logsumexp(1, keepdim=True)), bins)

    assert check_annealed_mean.passes(by_the_largest) and check_annealed_mean.passes(by_logsumexp)


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "soft_encode": '''def soft_encode(ab, bins, sigma, k):
    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    d2 = torch.cdist(flat, bins) ** 2
    z = torch.softmax(-d2 / (2 * sigma**2), dim=1)
    return z.reshape(n, h, w, -1).permute(0, 3, 1, 2)''',
    "annealed_mean": '''def annealed_mean(probabilities, bins, temperature):
    sharpened = probabilities ** (1 / temperature)
    sharpened = sharpened / sharpened.sum(1, keepdim=True)
    return torch.einsum("nqhw,qc->nchw", sharpened, bins)''',
    "answer_l2_balloon": "Red or teal: the network will pick one of the two colours for each balloon, whichever it "
                         "saw more often during training.",
}
