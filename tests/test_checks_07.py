"""Notebook 07's checks fed the mistakes their hints name: the pix2pix generator's loss."""

import pytest
import torch
import torch.nn.functional as F

from coursekit.checks import CheckFailed
from coursekit.checks.gans import check_generator_loss


def _gan(logits, label=1.0):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def _l1(fake, target):
    return (fake - target).abs().mean()


GENERATOR_LOSS = {
    "not a scalar": lambda lo, f, t, lam: torch.stack([_gan(lo), lam * _l1(f, t)]),
    "saturating": lambda lo, f, t, lam: torch.log1p(-torch.sigmoid(lo)).mean() + lam * _l1(f, t),
    "label zero": lambda lo, f, t, lam: _gan(lo, 0.0) + lam * _l1(f, t),
    "no lambda": lambda lo, f, t, lam: _gan(lo) + _l1(f, t),
    "L2": lambda lo, f, t, lam: _gan(lo) + lam * ((f - t) ** 2).mean(),
    "mean probability": lambda lo, f, t, lam: -torch.log(torch.sigmoid(lo).mean()) + lam * _l1(f, t),
    "L1 sum": lambda lo, f, t, lam: _gan(lo) + lam * (f - t).abs().sum(),
    "differs": lambda lo, f, t, lam: _gan(lo) + 10 * lam * _l1(f, t),
}

MISTAKES = {check_generator_loss: GENERATOR_LOSS}


@pytest.mark.parametrize("check, key", [(c, k) for c, table in MISTAKES.items() for k in table],
                         ids=lambda x: getattr(x, "name", x))
def test_the_mistake_gets_its_hint(check, key):
    with pytest.raises(CheckFailed) as err:
        check(MISTAKES[check][key])
    assert err.value.key == key, str(err.value)
