"""Notebook 02's checks fed the mistakes their hints name: the convolution and the cross-entropy written by hand."""

import pytest
import torch
import torch.nn.functional as F

from coursekit.checks import CheckFailed
from coursekit.checks.cnn import check_conv2d, check_cross_entropy


def _conv(x, w, b=None, stride=1, padding=0):
    """A convolution by unfolding (allowed in the exercise), for building mistakes without F.conv2d."""
    n, (c_out, _, k, _) = x.shape[0], w.shape
    h = (x.shape[2] + 2 * padding - k) // stride + 1
    width = (x.shape[3] + 2 * padding - k) // stride + 1
    columns = F.unfold(x, k, padding=padding, stride=stride)  # (N, C_in·K·K, L)
    y = (w.reshape(c_out, -1) @ columns).reshape(n, c_out, h, width)
    return y if b is None else y + b[None, :, None, None]


CONV2D = {
    "ignores stride": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, b, 1, padding),
    "ignores padding": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, b, stride, 0),
    "output shape": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, b, stride, padding).transpose(-1, -2),
    "flipped": lambda x, w, b=None, stride=1, padding=0: _conv(x, w.flip(-1, -2), b, stride, padding),
    "no bias": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, None, stride, padding),
    "one channel": lambda x, w, b=None, stride=1, padding=0: _conv(x[:, :1], w[:, :1], b, stride, padding),
    "differs": lambda x, w, b=None, stride=1, padding=0: _conv(x, 2 * w, b, stride, padding),
}


def _log_p(z, dim=1):
    shifted = z - z.max(dim, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim, keepdim=True))


def _picked(log_p, y):
    return log_p[torch.arange(len(y)), y]


CROSS_ENTROPY = {
    "per example": lambda z, y: -_picked(_log_p(z), y),
    "raw scores": lambda z, y: -_picked(z, y).mean(),
    "no log": lambda z, y: -_picked(torch.softmax(z, 1), y).mean(),
    "sum": lambda z, y: -_picked(_log_p(z), y).sum(),
    "sign": lambda z, y: _picked(_log_p(z), y).mean(),
    "batch softmax": lambda z, y: -_picked(_log_p(z, dim=0), y).mean(),
    "differs": lambda z, y: -_log_p(z).mean(),
    "overflow": lambda z, y: -_picked(torch.log(torch.exp(z) / torch.exp(z).sum(1, keepdim=True)), y).mean(),
}

MISTAKES = {check_conv2d: CONV2D, check_cross_entropy: CROSS_ENTROPY}


@pytest.mark.parametrize("check, key", [(c, k) for c, table in MISTAKES.items() for k in table],
                         ids=lambda x: getattr(x, "name", x))
def test_the_mistake_gets_its_hint(check, key):
    with pytest.raises(CheckFailed) as err:
        check(MISTAKES[check][key])
    assert err.value.key == key, str(err.value)


@pytest.mark.parametrize("forbidden", [
    lambda z, y: F.cross_entropy(z, y),
    lambda z, y: torch.nn.CrossEntropyLoss()(z, y),
    lambda z, y: -F.log_softmax(z, 1)[torch.arange(len(y)), y].mean(),
    lambda z, y: F.nll_loss(_log_p(z), y),
])
def test_cross_entropy_by_torch_is_caught(forbidden):
    with pytest.raises(CheckFailed, match="log-sum-exp") as err:
        check_cross_entropy(forbidden)
    assert err.value.key == "forbidden"
