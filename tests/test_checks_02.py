"""Notebook 02's checks: the mistakes their hints name (fed to them in test_checks.py): the convolution and the cross-
entropy written by hand, the fastest learning rate on the bowl, and the minibatch training loop."""

import pytest
import torch
import torch.nn.functional as F

from coursekit.checks import CheckFailed
from coursekit.checks.cnn import check_conv2d, check_cross_entropy, check_fastest_learning_rate, check_train


def _conv(x, w, b=None, stride=1, padding=0):
    """A convolution by unfolding (allowed in the exercise), for building mistakes without F.conv2d."""
    n, (c_out, _, k, _) = x.shape[0], w.shape
    h = (x.shape[2] + 2 * padding - k) // stride + 1
    width = (x.shape[3] + 2 * padding - k) // stride + 1
    columns = F.unfold(x, k, padding=padding, stride=stride)  # (N, C_in·K·K, L)
    y = (w.reshape(c_out, -1) @ columns).reshape(n, c_out, h, width)
    return y if b is None else y + b[None, :, None, None]


def _unpadded_size(x, w, b=None, stride=1, padding=0):
    k = w.shape[-1]
    h, width = (x.shape[2] - k) // stride + 1, (x.shape[3] - k) // stride + 1  # the size before padding
    return _conv(x, w, b, stride, padding)[..., :h, :width]


def _float_size(x, w, b=None, stride=1, padding=0):
    k = w.shape[-1]
    h = (x.shape[2] + 2 * padding - k) / stride + 1  # `/`: a float
    y = torch.zeros(x.shape[0], w.shape[0], h, h)
    return y


def _not_strided(x, w, b=None, stride=1, padding=0):
    k = w.shape[-1]
    h = (x.shape[2] + 2 * padding - k) // stride + 1
    width = (x.shape[3] + 2 * padding - k) // stride + 1
    return _conv(x, w, b, 1, padding)[..., :h, :width]  # window at (i, j) instead of (i·s, j·s)


def _bias_always(x, w, b=None, stride=1, padding=0):
    return _conv(x, w, None, stride, padding) + b[None, :, None, None]


CONV2D = {
    "ignores stride": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, b, 1, padding),
    "ignores padding": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, b, stride, 0),
    "unpadded size": _unpadded_size,
    "output shape": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, b, stride, padding).transpose(-1, -2),
    "float size": _float_size,
    "window not strided": _not_strided,
    "flipped": lambda x, w, b=None, stride=1, padding=0: _conv(x, w.flip(-1, -2), b, stride, padding),
    "no bias": lambda x, w, b=None, stride=1, padding=0: _conv(x, w, None, stride, padding),
    "bias None": _bias_always,
    "one channel": lambda x, w, b=None, stride=1, padding=0: _conv(x[:, :1], w[:, :1], b, stride, padding),
    "differs": lambda x, w, b=None, stride=1, padding=0: _conv(x, 2 * w, b, stride, padding),
}


def _log_p(z, dim=1):
    shifted = z - z.max(dim, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim, keepdim=True))


def _picked(log_p, y):
    return log_p[torch.arange(len(y)), y]


def _log_of_softmax(z, y):
    shifted = z - z.max(1, keepdim=True).values
    p = torch.exp(shifted) / torch.exp(shifted).sum(1, keepdim=True)  # stable, but p can round to 0
    return -torch.log(_picked(p, y)).mean()


def _batch_max(z, y):
    shifted = z - z.max()  # one maximum for the whole batch
    return -_picked(shifted - torch.log(torch.exp(shifted).sum(1, keepdim=True)), y).mean()


CROSS_ENTROPY = {
    "per example": lambda z, y: -_picked(_log_p(z), y),
    "raw scores": lambda z, y: -_picked(z, y).mean(),
    "no log": lambda z, y: -_picked(torch.softmax(z, 1), y).mean(),
    "sum": lambda z, y: -_picked(_log_p(z), y).sum(),
    "sign": lambda z, y: _picked(_log_p(z), y).mean(),
    "batch softmax": lambda z, y: -_picked(_log_p(z, dim=0), y).mean(),
    "differs": lambda z, y: -_log_p(z).mean(),
    "overflow": lambda z, y: -_picked(torch.log(torch.exp(z) / torch.exp(z).sum(1, keepdim=True)), y).mean(),
    "underflow": _log_of_softmax,
    "batch max": _batch_max,
    "no gradient": lambda z, y: torch.tensor(-_picked(_log_p(z), y).mean().item()),
}

FASTEST_LEARNING_RATE = {
    "not a number": lambda a, b: [2 / (a + b), (b - a) / (b + a)],
    "stability limit": lambda a, b: 2 / b,
    "steep axis": lambda a, b: 1 / b,
    "flat axis": lambda a, b: 1 / a,
    "differs": lambda a, b: 1 / (a + b),
}


def _loop(model, optimizer, images, labels, steps, batch_size, generator, callback=None, **mistake):
    """The minibatch training loop, with switchable mistakes (none by default: then it is right)."""
    m = mistake.get
    losses = []
    first = torch.randint(0, len(images), (batch_size,), generator=generator)
    if m("train once"):
        model.train()
    for step in range(1, steps + 1 - m("fewer steps", 0)):
        if not m("train once") and not m("never train"):
            model.train()
        if m("whole"):
            idx = torch.arange(len(images))
        elif m("same"):
            idx = first
        elif m("in order"):
            idx = torch.arange((step - 1) * batch_size, step * batch_size)
        elif m("global"):
            idx = torch.randint(0, len(images), (batch_size,))
        else:
            idx = torch.randint(0, len(images), (m("batch size", batch_size),), generator=generator)
        x = images[idx] + 0.01 if m("noise") else images[idx]
        y = labels[idx]
        if m("other labels"):
            y = labels[torch.randint(0, len(images), (len(idx),), generator=generator)]
        loss = F.cross_entropy(model(x), y, reduction="sum" if m("sum") else "mean")
        if m("item"):
            loss = loss.item()
        if m("detach"):
            loss = loss.detach()
        if m("rebuilt"):
            loss = torch.tensor(loss.item(), requires_grad=True)
        for call in m("order", "zero backward step").split():
            {"zero": optimizer.zero_grad, "backward": loss.backward, "step": optimizer.step}[call]()
        if m("callback first") and callback is not None:
            callback(step, losses)  # before this step's loss is in the list
        if m("keep tensor"):
            losses.append(loss)
        elif m("after step"):
            losses.append(F.cross_entropy(model(x), y).item())  # the loss after the update
        else:
            losses.append(loss.item())
        if (callback is not None or m("callback always")) and not m("callback first"):
            callback(step - 1 if m("from zero") else step, losses)
    if m("last only"):
        return losses[-1]
    return losses[:-1] if m("one short") else losses


def _mistake(**switches):
    def train(model, optimizer, images, labels, steps, batch_size, generator, callback=None):
        return _loop(model, optimizer, images, labels, steps, batch_size, generator, callback, **switches)
    return train


TRAIN = {
    "no step": _mistake(order="zero backward"),
    "losses": _mistake(**{"last only": True}),
    "graph kept": _mistake(**{"keep tensor": True}),
    "whole dataset": _mistake(whole=True),
    "batch size": _mistake(**{"batch size": 4}),
    "not from the data": _mistake(noise=True),
    "step count": _mistake(**{"fewer steps": 1}),
    "same batch": _mistake(same=True),
    "in order": _mistake(**{"in order": True}),
    "eval mode": _mistake(**{"never train": True}),
    "eval after callback": _mistake(**{"train once": True}),
    "no backward": _mistake(rebuilt=True),
    "order": _mistake(order="backward zero step"),
    "no zero_grad": _mistake(order="backward step"),
    "sum": _mistake(sum=True),
    "gradient": _mistake(**{"other labels": True}),
    "length": _mistake(**{"one short": True}),
    "returned losses": _mistake(**{"after step": True}),
    "callback": _mistake(**{"from zero": True}),
    "callback None": _mistake(**{"callback always": True}),
    "generator": _mistake(**{"global": True}),
    "item": _mistake(item=True),
    "detached": _mistake(detach=True),
}

MISTAKES = {check_conv2d: CONV2D, check_cross_entropy: CROSS_ENTROPY,
            check_fastest_learning_rate: FASTEST_LEARNING_RATE, check_train: TRAIN}


def test_the_mistake_free_loop_passes(capsys):
    check_train(_mistake())
    assert "✓ train passes" in capsys.readouterr().out


def test_a_callback_before_the_step_s_loss_is_caught():
    with pytest.raises(CheckFailed, match="this step's included") as err:
        check_train(_mistake(**{"callback first": True}))
    assert err.value.key == "callback"


@pytest.mark.parametrize("forbidden", [
    lambda z, y: F.cross_entropy(z, y),
    lambda z, y: torch.nn.CrossEntropyLoss()(z, y),
    lambda z, y: -F.log_softmax(z, 1)[torch.arange(len(y)), y].mean(),
    lambda z, y: F.nll_loss(_log_p(z), y),
    lambda z, y: (torch.logsumexp(z, 1) - _picked(z, y)).mean(),
])
def test_cross_entropy_by_torch_is_caught(forbidden):
    with pytest.raises(CheckFailed, match="log-sum-exp") as err:
        check_cross_entropy(forbidden)
    assert err.value.key == "forbidden"


def test_the_course_loops_are_caught_in_the_training_loop():
    from coursekit import training as course

    def by_train_step(model, optimizer, images, labels, steps, batch_size, generator, callback=None):
        losses = []
        for step in range(1, steps + 1):
            idx = torch.randint(0, len(images), (batch_size,), generator=generator)
            losses.append(course.train_step(model, optimizer, images[idx], labels[idx])["loss"])
            if callback is not None:
                callback(step, losses)
        return losses

    with pytest.raises(CheckFailed, match="write the loop yourself") as err:
        check_train(by_train_step)
    assert err.value.key == "forbidden"


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "cross_entropy": '''def cross_entropy(logits, target):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(target)), target]).mean()''',
    "train": '''def train(model, optimizer, images, labels, steps, batch_size, generator, callback=None):
    losses = []
    for step in range(1, steps + 1):
        model.train()
        idx = torch.randint(0, len(images), (batch_size,), generator=generator)
        loss = cross_entropy(model(images[idx]), labels[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if callback is not None:
            callback(step, losses)
    return losses''',
    "answer_divergence": "It diverges: the path goes off to infinity along both axes because the steps are too big.",
}
