"""Notebook 06's checks: the mistakes their hints name (fed to them in test_checks.py): the Gram matrix (warm-up), the
style loss over layers, the total-variation prior and the relative content loss."""

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks.style import (
    check_content_loss,
    check_gram_matrix,
    check_style_loss,
    check_total_variation,
)


def _flat(f):
    return f.reshape(f.shape[0], f.shape[1], -1)


def _gram(f):
    return _flat(f) @ _flat(f).transpose(1, 2) / (f.shape[-1] * f.shape[-2])


GRAM_MATRIX = {
    "positions": lambda f: _flat(f).transpose(1, 2) @ _flat(f) / f.shape[-1] / f.shape[-2],
    "no batch": lambda f: _flat(f)[0] @ _flat(f)[0].T / f.shape[-1] / f.shape[-2],
    "not normalised": lambda f: _flat(f) @ _flat(f).transpose(1, 2),
    "divides by C": lambda f: _flat(f) @ _flat(f).transpose(1, 2) / f[0].numel(),
    "differs": lambda f: _flat(f) @ _flat(f).transpose(1, 2) / f.shape[-1],
}


def _style(features, targets, weights, layers=None, gram=_gram, term=lambda d: d.pow(2).mean(), weighted=True):
    """A style loss with switchable mistakes (the defaults are right)."""
    total = 0.0
    for name in layers or targets:
        total = total + (weights[name] if weighted else 1.0) * term(gram(features[name]) - targets[name])
    return total


def _style_over_features(features, targets, weights):
    return _style(features, targets, weights, layers=list(features))


def _style_of_features(features, targets, weights):
    return sum(weights[n] * (features[n] - targets[n]).pow(2).mean() for n in targets)


def _style_last_layer(features, targets, weights):
    for name, target in targets.items():
        total = weights[name] * (_gram(features[name]) - target).pow(2).mean()  # = instead of +=
    return total


STYLE_LOSS = {
    "per layer": lambda f, t, w: [w[n] * (_gram(f[n]) - t[n]).pow(2).mean() for n in t],
    "no gradient": lambda f, t, w: torch.tensor(_style(f, t, w).item()),
    "all feature layers": _style_over_features,
    "features, not Gram": _style_of_features,
    "no weights": lambda f, t, w: _style(f, t, w, weighted=False),
    "not normalised": lambda f, t, w: _style(f, t, w, term=lambda d: d.pow(2).sum()),
    "gram not divided": lambda f, t, w: _style(f, t, w, gram=lambda x: _flat(x) @ _flat(x).transpose(1, 2)),
    "one layer": _style_last_layer,
    "averaged": lambda f, t, w: _style(f, t, w) / len(t),
    "not squared": lambda f, t, w: _style(f, t, w, term=lambda d: d.abs().mean()),
    "differs": lambda f, t, w: _style(f, t, w, term=lambda d: d.pow(2).mean() / 4),  # Gatys et al.'s ¼
}


def _down(x):
    return x[..., 1:, :] - x[..., :-1, :]


def _right(x):
    return x[..., :, 1:] - x[..., :, :-1]


def _tv_by_roll(x):
    return (x.roll(-1, dims=2) - x).pow(2).mean() + (x.roll(-1, dims=3) - x).pow(2).mean()


def _tv_on_channels(x):
    return (x[:, 1:] - x[:, :-1]).pow(2).mean() + (x[:, :, 1:] - x[:, :, :-1]).pow(2).mean()


TOTAL_VARIATION = {
    "no gradient": lambda x: torch.tensor(float(_down(x).pow(2).mean() + _right(x).pow(2).mean())),
    "absolute": lambda x: _down(x).abs().mean() + _right(x).abs().mean(),
    "signed": lambda x: _down(x).mean() + _right(x).mean(),
    "sum": lambda x: _down(x).pow(2).sum() + _right(x).pow(2).sum(),
    "one direction": lambda x: _down(x).pow(2).mean(),
    "channels": _tv_on_channels,
    "wraps around": _tv_by_roll,
    "pixel count": lambda x: (_down(x).pow(2).sum() + _right(x).pow(2).sum()) / x.numel(),
    "differs": lambda x: _down(x).pow(2).mean() + _right(x).pow(2).mean() + (x[..., 1:, 1:] - x[..., :-1, :-1]).pow(
        2).mean(),  # adds the diagonal neighbours
}

CONTENT_LOSS = {
    "no gradient": lambda f, p: torch.tensor(((f - p).pow(2).sum() / p.pow(2).sum()).item()),
    "not relative": lambda f, p: (f - p).pow(2).sum(),
    "mean": lambda f, p: (f - p).pow(2).mean(),
    "divides by the image": lambda f, p: (f - p).pow(2).sum() / f.pow(2).sum(),
    "not squared": lambda f, p: (f - p).norm() / p.norm(),
    "entrywise": lambda f, p: ((f - p).pow(2) / p.pow(2)).mean(),
    "batch sum": lambda f, p: ((f - p).pow(2).flatten(1).sum(1) / p.pow(2).flatten(1).sum(1)).sum(),
    "differs": lambda f, p: (f - p).pow(2).sum() / (p.pow(2).sum() + f.pow(2).sum()),
}

MISTAKES = {check_gram_matrix: GRAM_MATRIX, check_style_loss: STYLE_LOSS, check_total_variation: TOTAL_VARIATION,
            check_content_loss: CONTENT_LOSS}


def test_the_other_not_squared_content_loss_and_horizontal_tv_get_their_hints():
    with pytest.raises(CheckFailed) as err:
        check_content_loss(lambda f, p: (f - p).abs().sum() / p.abs().sum())
    assert err.value.key == "not squared"
    with pytest.raises(CheckFailed, match="horizontal") as err:
        check_total_variation(lambda x: _right(x).pow(2).mean())
    assert err.value.key == "one direction"


def _per_image(numerator, denominator):
    return (numerator.flatten(1).sum(1) / denominator.flatten(1).sum(1)).mean()


def test_the_content_loss_made_relative_image_by_image_passes():
    check_content_loss(lambda f, p: _per_image((f - p) ** 2, p**2))


def test_the_per_image_forms_of_the_content_loss_mistakes_get_their_hints():
    with pytest.raises(CheckFailed) as err:
        check_content_loss(lambda f, p: _per_image((f - p) ** 2, f**2))
    assert err.value.key == "divides by the image"
    with pytest.raises(CheckFailed) as err:
        check_content_loss(lambda f, p: _per_image((f - p).abs(), p.abs()))
    assert err.value.key == "not squared"


def test_an_absolute_tv_gets_its_hint_in_the_other_forms_too():
    for wrong in (lambda x: _down(x).abs().sum() + _right(x).abs().sum(),
                  lambda x: (x.roll(-1, dims=2) - x).abs().mean() + (x.roll(-1, dims=3) - x).abs().mean(),
                  lambda x: _right(x).abs().mean()):
        with pytest.raises(CheckFailed) as err:
            check_total_variation(wrong)
        assert err.value.key == "absolute"


def test_a_style_loss_that_skips_the_other_layers_of_features_passes():
    def skipping(features, targets, weights):
        total = 0.0
        for name, f in features.items():
            if name in targets:
                total = total + weights[name] * (_gram(f) - targets[name]).pow(2).mean()
        return total

    check_style_loss(skipping)


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "style_loss": '''def style_loss(features, targets, weights):
    total = 0.0
    for layer, target in targets.items():
        total = total + (gram_matrix(features[layer]) - target).pow(2).mean()
    return total''',
    "total_variation": '''def total_variation(images):
    dy = images[:, :, 1:, :] - images[:, :, :-1, :]
    dx = images[:, :, :, 1:] - images[:, :, :, :-1]
    return dy.abs().mean() + dx.abs().mean()''',
    "answer_shift": "Because the Gram matrix is a sum over all positions, and moving the pebbles only reorders the "
                    "terms of that sum.",
}
