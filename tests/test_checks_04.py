"""Notebook 04's checks fed the mistakes their hints name: the causal mask."""

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks.pixelcnn import check_causal_mask


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

MISTAKES = {check_causal_mask: CAUSAL_MASK}


@pytest.mark.parametrize("check, key", [(c, k) for c, table in MISTAKES.items() for k in table],
                         ids=lambda x: getattr(x, "name", x))
def test_the_mistake_gets_its_hint(check, key):
    with pytest.raises(CheckFailed) as err:
        check(MISTAKES[check][key])
    assert err.value.key == key, str(err.value)
