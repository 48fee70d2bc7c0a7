"""Checks of notebook 05's exercises: soft-encoding the true colours, the class-rebalancing weights, decoding a colour
distribution with the annealed mean, and the accuracy curve over ab distance."""

from __future__ import annotations

import functools

import torch

from coursekit import color as _color
from coursekit.checks.core import Check, Trial

__all__ = [  # the checks, exported by coursekit.checks
    "check_soft_encode", "check_rebalancing_weights", "check_annealed_mean", "check_accuracy_curve",
]

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: soft encoding
# ---------------------------------------------------------------------------------------------------------------

SOFT_ENCODE_HINTS = {
    "channels last": "soft_encode returns shape {got}, the bins on the last dimension. Return (N, Q, H, W), the Q "
                     "bins on dimension 1 like an image's channels: permute the dimensions back.",
    "flatten": "soft_encode pairs the wrong numbers as (a, b): ab.reshape(-1, 2) (or .view) on an (N, 2, H, W) tensor "
               "takes two neighbouring a values as one colour. Move the channels last first, "
               "ab.permute(0, 2, 3, 1).reshape(-1, 2), to get one row (a, b) per pixel.",
    "reshape": "soft_encode computes the right weights but puts them in the wrong places: a (N·H·W, Q) tensor "
               "reshaped straight to (N, Q, H, W) mixes pixels and bins. Reshape it to (N, H, W, Q), then permute "
               "to (N, Q, H, W).",
    "not normalised": "soft_encode does not normalise: after exp(−d²/2σ²) on the k nearest bins, divide by their sum, "
                      "so that each pixel's target is a probability distribution over the bins.",
    "sum": "soft_encode's target sums to {total:.3g} at some pixel; it must sum to 1 over the Q bins (dimension 1) "
           "at every pixel.",
    "all bins": "soft_encode spreads each colour over all Q bins. The paper keeps only the k nearest (k = {k} here): "
                "give every other bin exactly 0, and normalise over the k.",
    "one-hot": "soft_encode puts all of a pixel's weight on its nearest bin: that is the hard encoding. Spread it over "
               "the k = {k} nearest bins, with Gaussian weights.",
    "farthest": "soft_encode picks the k farthest bins: keep the k *smallest* distances (topk(k, largest=False), or "
                "the first k of an increasing sort).",
    "ignores k": "soft_encode(ab, bins, sigma, k={k}) spreads each colour over 5 bins: use the argument k, not the "
                 "number 5.",
    "ignores sigma": "soft_encode(ab, bins, sigma={sigma}, k) weights the bins with σ = 5: use the argument sigma, not "
                     "the number 5.",
    "not squared": "soft_encode weights the bins by exp(−d/2σ²), d the distance: the Gaussian takes the *squared* "
                   "distance, exp(−d²/2σ²) with d² = (a − a_q)² + (b − b_q)².",
    "sigma not squared": "soft_encode divides d² by 2σ (σ = {sigma}); the Gaussian divides it by 2σ²: "
                         "exp(−d² / (2 * sigma**2)).",
    "no 2": "soft_encode uses exp(−d²/σ²); the Gaussian of width σ is exp(−d²/(2σ²)): the 2 is missing.",
    "sign": "soft_encode gives the most weight to the farthest of the k bins: the exponent must be negative, "
            "exp(−d²/2σ²), so that the nearest bin weighs the most.",
    "uniform": "soft_encode gives the k nearest bins equal weights 1/k. Weight each by the Gaussian exp(−d²/2σ²) of "
               "its distance d to the colour, then normalise.",
    "nearest": "soft_encode gives weight to bins that are not the k = {k} nearest to the pixel's colour. Compute the "
               "distance from every pixel's (a, b) to every bin centre (torch.cdist), keep the k smallest, and put 0 "
               "everywhere else.",
    "differs": "soft_encode (sigma={sigma}, k={k}) puts its weight on the right bins, but the weights differ from "
               "exp(−d²/2σ²) / Σ exp(−d²/2σ²) by up to {error:.3g}.",
}


@functools.lru_cache(maxsize=1)
def _soft_encode_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """(ab (2, 2, 3, 4), bins (Q, 2)): 24 colours, none near a tie for the 3rd or the 5th nearest bin (so that a
    right answer cannot pick a different bin by rounding)."""
    g = torch.Generator().manual_seed(5)
    bins = _color.ab_bins()
    candidates = (torch.rand(400, 2, generator=g) * 2 - 1) * 60  # a, b in [−60, 60]
    d = torch.cdist(candidates, bins).sort(1).values
    clear = ((d[:, 3] - d[:, 2]) > 0.2) & ((d[:, 5] - d[:, 4]) > 0.2)
    ab = candidates[clear][:24].reshape(2, 3, 4, 2).permute(0, 3, 1, 2).contiguous()  # (N, 2, H, W)
    return ab, bins


def _spread(weights: torch.Tensor, index: torch.Tensor, shape) -> torch.Tensor:
    """(P, k) weights on bins ``index`` (P, k) → (N, Q, H, W), zero elsewhere."""
    n, q, h, w = shape
    z = torch.zeros(weights.shape[0], q).scatter_(1, index, weights)
    return z.view(n, h, w, q).permute(0, 3, 1, 2)


def _check_soft_encode(t: Trial) -> None:
    """A student's ``soft_encode(ab, bins, sigma, k)`` against ``coursekit.color``'s."""
    ab, bins = _soft_encode_inputs()
    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)  # (P, 2)
    d2 = torch.cdist(flat, bins).pow(2)  # (P, Q)
    for sigma, k in ((5.0, 5), (8.0, 3)):
        out = t.call(ab.clone(), bins.clone(), sigma, k)
        expected = _color.soft_encode(ab, bins, sigma, k)
        if torch.is_tensor(out) and tuple(out.shape) == (n, h, w, len(bins)):
            raise t.fail("channels last", got=tuple(out.shape))
        t.expect_tensor(out, expected)
        out = out.float()
        if torch.allclose(out, expected, atol=1e-4):
            continue
        near_d2, near = d2.topk(k, dim=1, largest=False)  # (P, k)
        far_d2, far = d2.topk(k, dim=1)  # the k farthest
        support = out != 0  # NaN counts as weight: exp(−d²/2σ²) of far bins underflows to 0, and 0/0 is NaN
        if torch.equal(support, _spread(torch.ones_like(far_d2), far, out.shape) != 0):
            raise t.fail("farthest")
        mistakes = {  # key: what that mistake returns
            "flatten": _color.soft_encode(ab.reshape(-1, 2).T.reshape(2, n, h, w).permute(1, 0, 2, 3), bins, sigma,
                                          k),
            "reshape": expected.permute(0, 2, 3, 1).reshape(n, len(bins), h, w),
            "not normalised": _spread(torch.exp(-near_d2 / (2 * sigma**2)), near, out.shape),
            "all bins": torch.softmax(-d2 / (2 * sigma**2), 1).view(n, h, w, -1).permute(0, 3, 1, 2),
            "one-hot": _spread(torch.ones(len(flat), 1), near[:, :1], out.shape),
            "not squared": _spread(torch.softmax(-near_d2.sqrt() / (2 * sigma**2), 1), near, out.shape),
            "sigma not squared": _spread(torch.softmax(-near_d2 / (2 * sigma), 1), near, out.shape),
            "no 2": _spread(torch.softmax(-near_d2 / sigma**2, 1), near, out.shape),
            "sign": _spread(torch.softmax(near_d2 / (2 * sigma**2), 1), near, out.shape),
            "uniform": _spread(torch.full_like(near_d2, 1 / k), near, out.shape),
        }
        if k != _color.NEIGHBOURS:  # the numbers of the paper written in place of the arguments
            mistakes["ignores k"] = [_color.soft_encode(ab, bins, s, _color.NEIGHBOURS) for s in (sigma, _color.SIGMA)]
        if sigma != _color.SIGMA:
            mistakes["ignores sigma"] = _color.soft_encode(ab, bins, _color.SIGMA, k)
        for key, wrong in mistakes.items():
            if any(torch.allclose(out, one, atol=1e-4) for one in (wrong if isinstance(wrong, list) else [wrong])):
                raise t.fail(key, k=k, sigma=sigma)
        totals = out.sum(1)
        if not torch.allclose(totals, torch.ones_like(totals), atol=1e-3):
            raise t.fail("sum", total=totals.flatten()[(totals - 1).abs().argmax()].item())
        if not torch.equal(support, _spread(torch.ones_like(near_d2), near, out.shape) != 0):
            raise t.fail("nearest", k=k)
        raise t.fail("differs", sigma=sigma, k=k, error=(out - expected).abs().max().item())


check_soft_encode = Check("soft_encode", _check_soft_encode, SOFT_ENCODE_HINTS, reference=_color.soft_encode)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: the rebalancing weights
# ---------------------------------------------------------------------------------------------------------------

REBALANCING_WEIGHTS_HINTS = {
    "not normalised": "rebalancing_weights returns ((1 − λ) p̃ + λ/Q)^(−1) as it is: its expectation under the prior, "
                      "Σ_q p̃_q w_q, is {expectation:.3g}, and it must be 1. Find the constant c that makes "
                      "Σ_q p̃_q · c · ((1 − λ) p̃_q + λ/Q)^(−1) = 1, and multiply by it.",
    "sum to one": "rebalancing_weights scales the weights so that Σ_q w_q = 1. The condition is on their expectation "
                  "under the prior, Σ_q p̃_q w_q = 1: a training pixel weighs 1 on average, so the loss keeps its "
                  "scale.",
    "mean one": "rebalancing_weights scales the weights so that their plain mean over the Q bins is 1. The mean must "
                "be taken under the prior, Σ_q p̃_q w_q = 1: common bins count more in it than rare ones.",
    "normalisation": "rebalancing_weights has the right proportions, but Σ_q p̃_q w_q = {expectation:.3g} instead of 1 "
                     "(λ = {lam}). Derive the constant c in w = c · ((1 − λ) p̃ + λ/Q)^(−1) from that condition.",
    "no inverse": "rebalancing_weights gives the common colours the largest weights. w is the *inverse* of "
                  "(1 − λ) p̃ + λ/Q, so that rare colours weigh more.",
    "lambda swapped": "rebalancing_weights mixes λ p̃ + (1 − λ)/Q (λ = {lam}). λ weighs the uniform part: "
                      "(1 − λ) p̃ + λ/Q, so that λ = 1 gives every bin the same weight.",
    "uniform term": "rebalancing_weights adds λ instead of λ/Q. The prior is mixed with the uniform distribution over "
                    "the Q bins (Q = len(prior)), whose probability is 1/Q for every bin.",
    "ignores lam": "rebalancing_weights(prior, lam={lam}) gives the weights for λ = 0.5: use the argument lam, not "
                   "the number 0.5.",
    "differs": "rebalancing_weights(prior, lam={lam}) differs from the expected weights by up to {error:.3g} "
               "(relative), and Σ_q p̃_q w_q = {expectation:.3g}. The weights are w = c · ((1 − λ) p̃ + λ/Q)^(−1), "
               "with c such that Σ_q p̃_q w_q = 1.",
}


def _proportional(a: torch.Tensor, b: torch.Tensor) -> bool:
    """a = c · b for some constant c > 0 (entries of b are > 0)."""
    ratio = a / b
    return bool(torch.isfinite(ratio).all() and ratio.mean() > 0 and torch.allclose(ratio, ratio.mean(), rtol=1e-4))


def _check_rebalancing_weights(t: Trial) -> None:
    """A student's ``rebalancing_weights(prior, lam)`` against ``coursekit.color``'s."""
    g = torch.Generator().manual_seed(7)
    prior = torch.softmax(3 * torch.randn(12, generator=g), 0)
    prior[4] = 0.0  # a colour never seen
    prior = prior / prior.sum()
    q = len(prior)
    for lam in (0.5, 0.2, 1.0):
        out = t.call(prior.clone(), lam)
        expected = _color.rebalancing_weights(prior, lam)
        t.expect_tensor(out, expected)
        out = out.float()
        if torch.allclose(out, expected, rtol=1e-4, atol=1e-6):
            continue
        unnormalised = 1 / ((1 - lam) * prior + lam / q)
        expectation = (prior * out).sum().item()
        if _proportional(out, expected):
            for key, wrong in (("not normalised", unnormalised), ("sum to one", unnormalised / unnormalised.sum()),
                               ("mean one", unnormalised / unnormalised.mean())):
                if torch.allclose(out, wrong, rtol=1e-4):
                    raise t.fail(key, expectation=expectation)
            raise t.fail("normalisation", expectation=expectation, lam=lam)
        if out[prior.argmax()] > out[prior.argmin()]:
            raise t.fail("no inverse")
        if _proportional(out, 1 / (lam * prior + (1 - lam) / q)):
            raise t.fail("lambda swapped", lam=lam)
        if _proportional(out, 1 / ((1 - lam) * prior + lam)):
            raise t.fail("uniform term")
        if lam != _color.LAMBDA and _proportional(out, _color.rebalancing_weights(prior, _color.LAMBDA)):
            raise t.fail("ignores lam", lam=lam)
        raise t.fail("differs", lam=lam, expectation=expectation,
                     error=((out - expected).abs() / expected).max().item())


check_rebalancing_weights = Check("rebalancing_weights", _check_rebalancing_weights, REBALANCING_WEIGHTS_HINTS,
                                  reference=_color.rebalancing_weights)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the annealed mean
# ---------------------------------------------------------------------------------------------------------------

ANNEALED_MEAN_HINTS = {
    "plain mean": "annealed_mean at T = {t} returns the plain mean Σ_q z_q c_q: sharpen the distribution first, "
                  "f_T(z) ∝ z^(1/T) normalised over the bins of each pixel, then take the mean of the bin centres "
                  "under f_T(z).",
    "power T": "annealed_mean raises z to the power T (T = {t}); the sharpened distribution is ∝ z^(1/T), so that a "
               "small T sharpens it towards its mode.",
    "softmax of probabilities": "annealed_mean divides the probabilities themselves by T inside a softmax: "
                                "softmax(z / T) is ∝ exp(z_q / T), not z_q^(1/T). Write z_q^(1/T) as an exponential "
                                "first, and take the softmax of its exponent.",
    "not renormalised": "annealed_mean does not renormalise (T = {t}): after z^(1/T) divide by Σ_q z_q^(1/T) so that "
                        "f_T(z) sums to 1 over the bins.",
    "wrong dimension": "annealed_mean normalises over dimension {dim} (T = {t}); the distribution of each pixel runs "
                       "over the Q bins, dimension 1 of (N, Q, H, W): sum over dim=1 so that f_T(z) sums to 1 for "
                       "every pixel.",
    "underflow": "annealed_mean gives {what} at T = {t} over {q} bins whose largest probability is about {top:.2f}: "
                 "z^(1/T) = {top:.2f}^{power:g} ≈ 1e{exponent} is below the smallest float32 (about 1e-45), so every "
                 "z_q^(1/T) of the pixel underflows to 0, and no normalisation can get the distribution back from "
                 "zeros. The notebook decodes at T = 0.01 distributions as spread as these. Compute in log space: "
                 "log z / T does not underflow, and softmax(log z / T) over the bins is z^(1/T) / Σ_q z_q^(1/T) "
                 "(softmax subtracts the largest exponent before exp).",
    "differs": "annealed_mean at T = {t} differs from the expected colours by up to {error:.3g} ab units.",
}


def _mean_colour(weights: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """Σ_q weights_q c_q for every pixel: (N, Q, H, W), (Q, 2) → (N, 2, H, W)."""
    return torch.einsum("nqhw,qc->nchw", weights, bins)


@functools.lru_cache(maxsize=1)
def _spread_distributions() -> tuple[torch.Tensor, torch.Tensor]:
    """(probabilities (2, Q, 3, 4), bins (Q, 2)) over the course's Q bins, spread like the classification model's:
    at every pixel two near-equal bumps of about 0.13 (the larger is 1 to 1.1 times the other, so that T = 0.01
    still mixes them) over a low floor on every other bin. z^(1/0.01) underflows to 0 on every bin in float32."""
    g = torch.Generator().manual_seed(3)
    bins = _color.ab_bins()
    logits = 0.5 * torch.randn(2, len(bins), 3, 4, generator=g)
    first, second = torch.randperm(len(bins), generator=g)[:48].view(2, 2, 1, 3, 4).unbind(0)  # (N, 1, H, W) each
    logits.scatter_(1, first, torch.full(first.shape, 4.0))
    logits.scatter_(1, second, 4.0 - 0.1 * torch.rand(second.shape, generator=g))
    return torch.softmax(logits, dim=1), bins


def _check_annealed_mean(t: Trial) -> None:
    """A student's ``annealed_mean(probabilities, bins, temperature)`` against ``coursekit.color``'s: four
    temperatures over 5 bins, then T = 0.01 over the course's bins, where z^(1/T) underflows."""
    g = torch.Generator().manual_seed(5)
    bins = torch.tensor([[-40.0, 10.0], [0.0, 0.0], [30.0, 30.0], [50.0, -20.0], [10.0, 60.0]])
    p = torch.softmax(2 * torch.randn(2, len(bins), 3, 4, generator=g), dim=1)  # (N, Q, H, W)
    cases = [(p, bins, temperature) for temperature in (1.0, 0.38, 0.1, 2.0)] + [(*_spread_distributions(), 0.01)]
    for p, bins, temperature in cases:
        out = t.call(p.clone(), bins.clone(), temperature)
        expected = _color.annealed_mean(p, bins, temperature)
        t.expect_tensor(out, expected)
        # at T = 0.01 right answers computed another way ((z / max z)^(1/T), logsumexp) differ by up to 1e-3
        if torch.allclose(out, expected, atol=1e-2 if temperature < 0.05 else 1e-3):
            continue
        sharpened = p ** (1 / temperature)
        underflowed = sharpened.sum(1) == 0  # (N, H, W): every z_q^(1/T) is 0 in float32
        if underflowed.any():
            nan = not torch.isfinite(out).all()
            zero = bool((out.permute(0, 2, 3, 1)[underflowed].abs() < 1e-6).all())  # 0 / (0 + ε)
            if nan or zero:
                top = p.amax(1)[underflowed].max().item()
                raise t.fail("underflow", what=t.text("nan" if nan else "zero"), t=temperature, q=len(bins),
                             top=top, power=1 / temperature,
                             exponent=int(torch.tensor(top).log10().mul(1 / temperature).floor()))
        mistakes = {
            "plain mean": _mean_colour(p, bins),
            "power T": _mean_colour(p**temperature, bins) / (p**temperature).sum(1, keepdim=True),
            "softmax of probabilities": _mean_colour(torch.softmax(p / temperature, dim=1), bins),
            "not renormalised": _mean_colour(sharpened, bins),
        }
        for key, wrong in mistakes.items():
            if torch.allclose(out, wrong, atol=1e-3):
                raise t.fail(key, t=temperature)
        for dim in (0, 2, 3):
            if torch.allclose(out, _mean_colour(sharpened / sharpened.sum(dim, keepdim=True), bins), atol=1e-3):
                raise t.fail("wrong dimension", dim=dim, t=temperature)
        raise t.fail("differs", t=temperature, error=(out - expected).abs().max().item())


check_annealed_mean = Check("annealed_mean", _check_annealed_mean, ANNEALED_MEAN_HINTS,
                            reference=_color.annealed_mean, texts={"nan": "NaN", "zero": "0 for every colour"})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 4: the accuracy curve
# ---------------------------------------------------------------------------------------------------------------

ACCURACY_CURVE_HINTS = {
    "one number": "accuracy_curve returns one number ({got}); return the whole curve, one fraction per threshold, "
                  "shape (len(thresholds),). Its area is computed from it afterwards (C.area_under_curve).",
    "ignores thresholds": "accuracy_curve returns {got} values for {expected} thresholds: compute one fraction for "
                          "each entry of the argument thresholds, not for 0, 1, …, 150 whatever it holds.",
    "strict": "accuracy_curve counts a pixel whose error is exactly t as outside: 'within t' is ‖ab̂ − ab‖ ≤ t, so at "
              "t = 0 the pixels predicted exactly count.",
    "squared": "accuracy_curve compares the squared distance with t: take its square root, "
               "‖ab̂ − ab‖ = √((â − a)² + (b̂ − b)²).",
    "city block": "accuracy_curve measures the error as |â − a| + |b̂ − b|; the distance in the ab plane is Euclidean, "
                  "√((â − a)² + (b̂ − b)²).",
    "complement": "accuracy_curve counts the pixels *farther* than t. The curve is the fraction of pixels *within* t: "
                  "it rises from the exact pixels at t = 0 to 1.",
    "counts": "accuracy_curve returns numbers of pixels (up to {top:g}); divide by the number of pixels, or by the sum "
              "of the weights when there are weights, to get fractions in [0, 1].",
    "ignores weights": "accuracy_curve gives the same curve with and without weights. With weights, pixel i counts as "
                       "w_i pixels, as if it appeared w_i times: in the pixels within t and in the total alike.",
    "weights not normalised": "accuracy_curve divides the weighted count by the number of pixels. If pixel i counts as "
                              "w_i pixels, the total counts it w_i times too: divide by the weighted total, so that "
                              "the curve still ends at 1.",
    "differs": "accuracy_curve ({case}) differs from the expected curve by up to {error:.3g}. At threshold t it is the "
               "fraction of pixels with √((â − a)² + (b̂ − b)²) ≤ t.",
}


@functools.lru_cache(maxsize=1)
def _accuracy_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(ab_hat, ab (2, 2, 3, 4), weights (2, 3, 4)): a quarter of the pixels exact, the others at distances n + ½
    (never near an integer threshold, so that no rounding decides a pixel)."""
    g = torch.Generator().manual_seed(11)
    ab = torch.randint(-60, 61, (2, 2, 3, 4), generator=g).float()
    distance = torch.randint(0, 120, (2, 1, 3, 4), generator=g).float() + 0.5
    distance[torch.rand(2, 1, 3, 4, generator=g) < 0.25] = 0.0
    angle = torch.rand(2, 1, 3, 4, generator=g) * 6.283
    offset = distance * torch.cat([angle.cos(), angle.sin()], 1)
    ab_hat = torch.where(distance == 0, ab, ab + offset)  # the exact pixels equal ab bit for bit
    weights = 0.5 + 2.5 * torch.rand(2, 3, 4, generator=g)
    return ab_hat, ab, weights


def _curve(distance: torch.Tensor, thresholds: torch.Tensor, weights: torch.Tensor | None = None, strict=False):
    """Σ w [d ≤ t] / Σ w for every threshold (d < t if strict); d (P,), weights (P,) or None."""
    w = torch.ones_like(distance) if weights is None else weights
    within = distance[None] < thresholds[:, None] if strict else distance[None] <= thresholds[:, None]
    return (within * w).sum(1) / w.sum()


def _check_accuracy_curve(t: Trial) -> None:
    """A student's ``accuracy_curve(ab_hat, ab, weights, thresholds)`` against ``coursekit.color``'s."""
    ab_hat, ab, pixel_weights = _accuracy_inputs()
    delta = (ab_hat - ab).permute(0, 2, 3, 1).reshape(-1, 2)  # (P, 2)
    distance = delta.norm(dim=1)
    some = torch.tensor([0.0, 5, 10, 13, 29, 100])
    for weights, thresholds, case in ((None, _color.THRESHOLDS, "no weights"),
                                      (pixel_weights, _color.THRESHOLDS, "with weights"),
                                      (None, some, "other thresholds")):
        out = t.call(ab_hat.clone(), ab.clone(), None if weights is None else weights.clone(), thresholds.clone())
        expected = _color.accuracy_curve(ab_hat, ab, weights, thresholds)
        if isinstance(out, (int, float)) or (torch.is_tensor(out) and out.numel() == 1 and len(thresholds) > 1):
            raise t.fail("one number", got=f"{float(out):.3g}")
        if torch.is_tensor(out) and out.shape == (len(_color.THRESHOLDS),) and len(thresholds) != out.shape[0]:
            raise t.fail("ignores thresholds", got=out.shape[0], expected=len(thresholds))
        t.expect_tensor(out, expected)
        out = out.float()
        if torch.allclose(out, expected, atol=1e-5):
            continue
        th = thresholds.float()
        w = None if weights is None else weights.flatten()
        mistakes = {
            "strict": _curve(distance, th, w, strict=True),
            "squared": _curve(distance**2, th, w),
            "city block": _curve(delta.abs().sum(1), th, w),
            "complement": 1 - expected,
            "counts": [expected * len(distance), expected * (len(distance) if w is None else w.sum())],
        }
        if w is not None:
            mistakes["ignores weights"] = _curve(distance, th)
            mistakes["weights not normalised"] = _curve(distance, th, w) * w.sum() / len(distance)
        for key, wrong in mistakes.items():
            if any(torch.allclose(out, one, atol=1e-5) for one in (wrong if isinstance(wrong, list) else [wrong])):
                raise t.fail(key, top=out.max().item())
        raise t.fail("differs", case=t.text(case), error=(out - expected).abs().max().item())


check_accuracy_curve = Check("accuracy_curve", _check_accuracy_curve, ACCURACY_CURVE_HINTS,
                             reference=_color.accuracy_curve,
                             texts={"no weights": "no weights", "with weights": "with weights",
                                    "other thresholds": "thresholds 0, 5, 10, 13, 29, 100"})
