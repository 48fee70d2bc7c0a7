"""Notebook 06's checks fed the mistakes their hints name: the Gram matrix."""

import pytest

from coursekit.checks import CheckFailed
from coursekit.checks.style import check_gram_matrix


def _flat(f):
    return f.reshape(f.shape[0], f.shape[1], -1)


GRAM_MATRIX = {
    "positions": lambda f: _flat(f).transpose(1, 2) @ _flat(f) / f.shape[-1] / f.shape[-2],
    "no batch": lambda f: _flat(f)[0] @ _flat(f)[0].T / f.shape[-1] / f.shape[-2],
    "not normalised": lambda f: _flat(f) @ _flat(f).transpose(1, 2),
    "divides by C": lambda f: _flat(f) @ _flat(f).transpose(1, 2) / f[0].numel(),
    "differs": lambda f: _flat(f) @ _flat(f).transpose(1, 2) / f.shape[-1],
}

MISTAKES = {check_gram_matrix: GRAM_MATRIX}


@pytest.mark.parametrize("check, key", [(c, k) for c, table in MISTAKES.items() for k in table],
                         ids=lambda x: getattr(x, "name", x))
def test_the_mistake_gets_its_hint(check, key):
    with pytest.raises(CheckFailed) as err:
        check(MISTAKES[check][key])
    assert err.value.key == key, str(err.value)
