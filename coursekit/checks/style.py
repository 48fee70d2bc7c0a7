"""Checks of notebook 06's exercises: the Gram matrix (warm-up), the style loss over layers, the total-variation
prior and the relative content loss. The notebook's texture syntheses and style transfers run on the answers that
pass (``coursekit.gram.LossTerms``)."""

from __future__ import annotations

import torch

from coursekit import gram as _gram
from coursekit.checks.core import Check, Trial

__all__ = [  # the checks, exported by coursekit.checks
    "check_gram_matrix", "check_style_loss", "check_total_variation", "check_content_loss",
]


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Two scalars equal up to float32 rounding, relative to their size."""
    return bool(torch.isclose(a.detach().double(), b.detach().double(), rtol=1e-4, atol=1e-9))


def _scalar(t: Trial, out) -> torch.Tensor:
    """``out`` as a float64 scalar, after the kind and shape checks every loss needs."""
    t.expect_tensor(out, ())
    if not out.requires_grad:
        raise t.fail("no gradient")
    return out.detach().double()

# ---------------------------------------------------------------------------------------------------------------
# Warm-up: the Gram matrix
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

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the style loss over layers
# ---------------------------------------------------------------------------------------------------------------

STYLE_LAYERS = {"relu1_1": (3, 6, 7), "relu2_1": (5, 4, 4), "relu3_1": (8, 3, 5)}  # layer: (C, h, w) of the check
CONTENT_LAYER = "relu4_2"  # in the features too, as in the style transfer's single forward pass; not a style layer

STYLE_LOSS_HINTS = {
    "per layer": "style_loss returns a {kind} of per-layer terms; the style loss is their weighted sum, one number: "
                 "E = Σ_l w_l · mean_ij (Ĝ^l_ij − G^l_ij)².",
    "no gradient": "style_loss's result is cut off from autograd (`.item()`, `float()` or `torch.tensor(...)` of a "
                   "number): return the tensor itself, so that L-BFGS gets ∂E/∂pixels through it.",
    "all feature layers": "style_loss raised {error}: it loops over the layers of `features`, which also holds "
                          f"{CONTENT_LAYER}, the content layer computed in the same forward pass. That is not a style "
                          "layer, so targets and weights do not have it: loop over the layers of `targets`.",
    "features, not Gram": "style_loss subtracts tensors of different shapes ({error}). Compare, layer by layer, the "
                          "Gram matrix of the image's features, gram_matrix(features[l]) of shape (N, C, C), with the "
                          "target Gram matrix targets[l]: not the features themselves.",
    "no weights": "style_loss forgets the layer weights: multiply each layer's term by weights[l] = w_l. Without them "
                  "the layer with the largest activations drowns the others.",
    "not normalised": "style_loss sums the squared differences, Σ_ij; take their mean, (1/C_l²) Σ_ij, so that a "
                      "layer with many channels does not count more than one with few.",
    "gram not divided": "style_loss compares an un-normalised Gram matrix F Fᵀ with the targets, which are divided by "
                        "M = h·w: use gram_matrix(features[l]) from the warm-up.",
    "one layer": "style_loss returns the term of the layer {layer} only: add up the terms of all the layers, "
                 "`total = total + …` in the loop, and return after the loop.",
    "averaged": "style_loss divides by the number of layers; the style loss is the sum over the layers, Σ_l w_l · …, "
                "as above (β then weighs the whole sum).",
    "not squared": "style_loss does not square the differences (an absolute value or a norm): E uses "
                   "(Ĝ^l_ij − G^l_ij)², smooth for L-BFGS, and averaged over i, j.",
    "differs": "style_loss gives {got:.6g} where E = Σ_l w_l · mean_ij (Ĝ^l_ij − G^l_ij)² is {expected:.6g} (3 "
               "layers, weights {weights}).",
}


def _is_content_layer_key(err: Exception) -> bool:
    return isinstance(err, KeyError) and err.args[:1] == (CONTENT_LAYER,)


def _is_shape_mismatch(err: Exception) -> bool:
    return isinstance(err, RuntimeError) and "must match the size of tensor" in str(err)


def style_problem(seed: int = 16) -> tuple[dict, dict, dict]:
    """(features, targets, weights) for checking a style loss: three style layers of different sizes, plus the
    content layer in ``features``; features require gradients."""
    g = torch.Generator().manual_seed(seed)
    features = {name: torch.randn(1, *shape, generator=g).relu().requires_grad_()
                for name, shape in STYLE_LAYERS.items()}
    features[CONTENT_LAYER] = torch.randn(1, 4, 2, 2, generator=g).relu().requires_grad_()
    targets = {name: _gram.gram_matrix(torch.randn(1, *shape, generator=g).relu())
               for name, shape in STYLE_LAYERS.items()}
    weights = {"relu1_1": 0.5, "relu2_1": 2.0, "relu3_1": 7.0}
    return features, targets, weights


def _check_style_loss(t: Trial) -> None:
    """A student's ``style_loss(features, targets, weights)`` against ``coursekit.gram.style_loss``."""
    features, targets, weights = style_problem()
    out = t.call(features, targets, weights)
    if isinstance(out, (list, tuple, dict)):
        raise t.fail("per layer", kind=type(out).__name__)
    got = _scalar(t, out)
    expected = _gram.style_loss(features, targets, weights).detach().double()
    if _close(got, expected):
        return
    with torch.no_grad():
        grams = {name: _gram.gram_matrix(features[name]).double() for name in targets}
        sizes = {name: features[name].shape[-2] * features[name].shape[-1] for name in targets}
        diff = {name: grams[name] - targets[name].double() for name in targets}
        terms = {name: weights[name] * diff[name].pow(2).mean() for name in targets}
        mistakes = {
            "no weights": sum(d.pow(2).mean() for d in diff.values()),
            "not normalised": sum(weights[n] * d.pow(2).sum() for n, d in diff.items()),
            "gram not divided": sum(weights[n] * (grams[n] * sizes[n] - targets[n]).pow(2).mean() for n in targets),
            "averaged": sum(terms.values()) / len(terms),
        }
        for key, wrong in mistakes.items():
            if _close(got, wrong):
                raise t.fail(key)
        for name, term in terms.items():
            if _close(got, term):
                raise t.fail("one layer", layer=name)
        for wrong in (sum(weights[n] * d.abs().mean() for n, d in diff.items()),
                      sum(weights[n] * d.norm() for n, d in diff.items())):
            if _close(got, wrong):
                raise t.fail("not squared")
    raise t.fail("differs", got=got.item(), expected=expected.item(), weights=weights)


check_style_loss = Check("style_loss", _check_style_loss, STYLE_LOSS_HINTS, reference=_gram.style_loss,
                         errors={"all feature layers": _is_content_layer_key,
                                 "features, not Gram": _is_shape_mismatch})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: the total-variation prior
# ---------------------------------------------------------------------------------------------------------------

TOTAL_VARIATION_HINTS = {
    "no gradient": "total_variation's result is cut off from autograd (`.item()`, `float()`, NumPy): return the "
                   "tensor itself, so that the prior can push the pixels.",
    "absolute": "total_variation takes absolute differences |x[i+1, j] − x[i, j]|. That is a prior too (it keeps "
                "sharp edges), but its derivative jumps from −1 to +1 where two neighbours are equal, and L-BFGS "
                "builds its model of the curvature from the gradients it has seen: the jumps spoil it. Square the "
                "differences instead: d² has a derivative, 2d, that is smooth everywhere.",
    "signed": "total_variation averages the signed differences x[i+1, j] − x[i, j], which cancel out (a ramp up and a "
              "ramp down give opposite values, noise gives about 0). Penalise each difference d by a function that is "
              "0 for equal neighbours and grows with the size of d either way, the one the statement asks you to "
              "choose for L-BFGS.",
    "sum": "total_variation sums the squared differences; take the mean of each set of differences, so that the "
           "prior's weight means the same at any image size.",
    "one direction": "total_variation measures only the {direction} differences: add the other direction's, "
                     "vertical x[i+1, j] − x[i, j] (along H, dim −2) and horizontal x[i, j+1] − x[i, j] (along W, "
                     "dim −1). Noise in one direction only would otherwise go unpunished.",
    "channels": "total_variation takes differences along dimension 1, the colour channels, as if the images were "
                "(C, H, W); they are (N, C, H, W), and a pixel's neighbours are along H (dim −2) and W (dim −1): "
                "x[..., 1:, :] − x[..., :-1, :] and x[..., :, 1:] − x[..., :, :-1].",
    "wraps around": "total_variation also compares the last row (or column) with the first, as `torch.roll` does: "
                    "those are not neighbours, and the seam would pull the image's opposite borders together. Slice "
                    "instead: x[..., 1:, :] − x[..., :-1, :].",
    "pixel count": "total_variation divides both sums by the number of pixels N·C·H·W, but there are N·C·(H−1)·W "
                   "vertical differences and N·C·H·(W−1) horizontal ones: take the mean of each set, then add.",
    "differs": "total_variation of images of shape {shape} gives {got:.6g} where {expected:.6g} was expected: the "
               "mean penalty of the vertical differences x[i+1, j] − x[i, j] plus the mean penalty of the horizontal "
               "ones x[i, j+1] − x[i, j], with the penalty that suits L-BFGS.",
}


def _differences(x: torch.Tensor, dim: int, wrap: bool = False) -> torch.Tensor:
    """x[k+1] − x[k] along ``dim``; with ``wrap``, x[0] − x[−1] too (what torch.roll gives)."""
    if wrap:
        return torch.roll(x, -1, dims=dim) - x
    n = x.shape[dim]
    return x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)


def _tv_forms(x: torch.Tensor, penalty) -> dict[str, torch.Tensor]:
    """TV of ``x`` with the penalty ``penalty(d)`` of each difference, in the right form ("right") and in the forms
    of the mistakes the hints name."""
    down, right = penalty(_differences(x, 2)), penalty(_differences(x, 3))
    channels = penalty(_differences(x, 1)).mean()  # differences along the channels, as if x were (C, H, W)
    return {
        "right": down.mean() + right.mean(),
        "sum": down.sum() + right.sum(),
        "wraps around": penalty(_differences(x, 2, True)).mean() + penalty(_differences(x, 3, True)).mean(),
        "pixel count": (down.sum() + right.sum()) / x.numel(),
        "vertical": down.mean(),
        "horizontal": right.mean(),
        "channels": channels + down.mean(),
        "channels, W": channels + penalty(_differences(x, 3)).mean(),
    }


def _check_total_variation(t: Trial) -> None:
    """A student's ``total_variation(images)`` against ``coursekit.gram.total_variation``. The penalty of a
    difference is the exercise's choice: the absolute value, in any of the forms, gets the hint that explains it."""
    g = torch.Generator().manual_seed(26)
    for shape in ((1, 3, 5, 7), (2, 3, 8, 4)):
        x = torch.rand(*shape, generator=g).requires_grad_()
        out = t.call(x)
        got = _scalar(t, out)
        expected = _gram.total_variation(x).detach().double()
        if _close(got, expected):
            continue
        with torch.no_grad():
            xd = x.detach().double()
            if any(_close(got, wrong) for wrong in _tv_forms(xd, torch.abs).values()):
                raise t.fail("absolute")
            if _close(got, _differences(xd, 2).mean() + _differences(xd, 3).mean()):
                raise t.fail("signed")
            squared = _tv_forms(xd, torch.square)
            for key in ("sum", "wraps around", "pixel count"):
                if _close(got, squared[key]):
                    raise t.fail(key)
            for direction in ("vertical", "horizontal"):
                if _close(got, squared[direction]):
                    raise t.fail("one direction", direction=t.text(direction))
            if _close(got, squared["channels"]) or _close(got, squared["channels, W"]):
                raise t.fail("channels")
        raise t.fail("differs", shape=shape, got=got.item(), expected=expected.item())


check_total_variation = Check("total_variation", _check_total_variation, TOTAL_VARIATION_HINTS,
                              reference=_gram.total_variation,
                              texts={"vertical": "vertical", "horizontal": "horizontal"})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the relative content loss
# ---------------------------------------------------------------------------------------------------------------

CONTENT_LOSS_HINTS = {
    "no gradient": "content_loss's result is cut off from autograd (`.item()`, `float()`, NumPy): return the tensor "
                   "itself, so that L-BFGS gets ∂L/∂pixels through it.",
    "not relative": "content_loss is the lecture's Σ (F̂ − P)² as it is: multiply the features by 10 and it grows "
                    "100 times. Divide it by a constant that makes it relative (the two conditions above).",
    "mean": "content_loss is mean (F̂ − P)²: averaging does not make it relative (multiply both features by 10 and it "
            "grows 100 times). Divide by a measure of the target's own size instead.",
    "divides by the image": "content_loss divides by Σ F̂², the image's own features, which change during the "
                            "descent: the loss then falls just by making F̂ large, whatever it looks like. Divide by "
                            "a constant of the content photo.",
    "not squared": "content_loss returns a ratio of norms or of absolute values; the lecture's loss is a sum of "
                   "squares, Σ (c_i − ĉ_i)², kept as it is and divided by a constant (a square root has no "
                   "gradient at F̂ = P).",
    "entrywise": "content_loss divides entry by entry, (F̂ − P)² / P²: where P = 0, which ReLU features often are, "
                 "that is infinite. Divide the whole sum by one number.",
    "batch sum": "content_loss adds up one relative loss per image: for N images it is N, not 1, when the image's "
                 "features are all 0 (condition 2). Average the images' losses over the batch, or make one ratio for "
                 "the whole batch.",
    "differs": "content_loss gives {got:.6g} where {expected:.6g} was expected for features of shape {shape}. It "
               "should be Σ (F̂ − P)² divided by a constant of P, 0 at F̂ = P, 1 at F̂ = 0, and unchanged when F̂ and P "
               "are both multiplied by 10.",
}


def _per_image(loss, f: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``loss`` (of two (N, …) tensors, a scalar) of each image of the batch: (N,)."""
    return torch.stack([loss(f[i], p[i]) for i in range(len(f))])


def _content_forms(f: torch.Tensor, p: torch.Tensor) -> dict[str, torch.Tensor]:
    """The relative content loss ("right") and the mistakes the hints name, of features ``f`` and target ``p``."""
    return {
        "right": (f - p).pow(2).sum() / p.pow(2).sum(),
        "not relative": (f - p).pow(2).sum(),
        "mean": (f - p).pow(2).mean(),
        "divides by the image": (f - p).pow(2).sum() / f.pow(2).sum(),
        "not squared": (f - p).norm() / p.norm(),
        "not squared, absolute": (f - p).abs().sum() / p.abs().sum(),
    }


def _check_content_loss(t: Trial) -> None:
    """A student's ``content_loss(features, target)`` against ``coursekit.gram.content_loss``: one ratio for the
    whole batch, or the mean of the images' own ratios (the statement accepts both; they agree for one image)."""
    g = torch.Generator().manual_seed(36)
    for shape, scale in (((1, 8, 5, 6), 3.0), ((2, 4, 3, 3), 0.2)):
        image_scale = torch.linspace(1.0, 5.0, shape[0]).reshape(-1, 1, 1, 1)  # images of different sizes, so that
        target = scale * image_scale * torch.randn(*shape, generator=g).relu()  # per image ≠ the whole batch
        features = (scale * image_scale * torch.randn(*shape, generator=g).relu()).requires_grad_()
        out = t.call(features, target)
        got = _scalar(t, out)
        expected = _gram.content_loss(features, target).detach().double()
        if _close(got, expected):
            continue
        if not torch.isfinite(got):
            raise t.fail("entrywise")
        with torch.no_grad():
            f, p = features.detach().double(), target.double()
            batch = _content_forms(f, p)
            images = {key: _per_image(lambda a, b, k=key: _content_forms(a, b)[k], f, p) for key in batch}
            if _close(got, images["right"].mean()):
                continue  # the mean of the images' relative losses: right too
            if _close(got, images["right"].sum()):
                raise t.fail("batch sum")
            for key, wrong in batch.items():
                if key != "right" and (_close(got, wrong) or _close(got, images[key].mean())):
                    raise t.fail(key.split(",")[0])
        raise t.fail("differs", got=got.item(), expected=expected.item(), shape=shape)


check_content_loss = Check("content_loss", _check_content_loss, CONTENT_LOSS_HINTS, reference=_gram.content_loss)
