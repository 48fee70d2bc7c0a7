"""Notebook 05's checks fed the mistakes their hints name: the annealed mean."""

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks.color import check_annealed_mean


def _mean(w, bins):
    return torch.einsum("nqhw,qc->nchw", w, bins)


ANNEALED_MEAN = {
    "plain mean": lambda p, bins, t: _mean(p, bins),
    "power T": lambda p, bins, t: _mean(p**t, bins) / (p**t).sum(1, keepdim=True),
    "softmax of probabilities": lambda p, bins, t: _mean(torch.softmax(p / t, 1), bins),
    "not renormalised": lambda p, bins, t: _mean(p ** (1 / t), bins),
    "wrong dimension": lambda p, bins, t: _mean(p ** (1 / t) / (p ** (1 / t)).sum(0, keepdim=True), bins),
    "differs": lambda p, bins, t: _mean(torch.softmax(torch.log(p) / t, 1), bins) + 1.0,
}

MISTAKES = {check_annealed_mean: ANNEALED_MEAN}


@pytest.mark.parametrize("check, key", [(c, k) for c, table in MISTAKES.items() for k in table],
                         ids=lambda x: getattr(x, "name", x))
def test_the_mistake_gets_its_hint(check, key):
    with pytest.raises(CheckFailed) as err:
        check(MISTAKES[check][key])
    assert err.value.key == key, str(err.value)
