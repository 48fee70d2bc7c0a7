"""Notebook 01's checks: the mistakes their hints name (fed to them in test_checks.py): ReLU and the neuron (warm-ups),
the gradient through depth, the numerical gradient, backpropagation by hand and the spirals design."""

import pytest
import torch
import torch.nn.functional as F

import coursekit as ck
from coursekit.checks import CheckFailed
from coursekit.checks.neurons import (
    check_gradient_through_depth,
    check_mlp_gradients,
    check_neuron,
    check_numerical_gradient,
    check_relu,
    check_spirals_design,
)


def _inplace_relu(z):
    z[z < 0] = 0
    return z


def _python_max(z):
    return max(0, z)


RELU = {
    "changed its input": _inplace_relu,
    "torch.max pair": lambda z: torch.max(z, 0),
    "python max": _python_max,
    "step": lambda z: (z > 0).float(),
    "absolute value": lambda z: z.abs(),
    "min": lambda z: torch.clamp(z, max=0),
    "negatives through": lambda z: z.clone(),
    "positives zero": lambda z: torch.where(z < -1, z, torch.zeros_like(z)),
    "differs": lambda z: torch.where(z > 0, z, 0.1 * z),  # a leaky ReLU
    "dtype": lambda z: torch.where(z > 0, z, 0).double(),
    "no gradient": lambda z: torch.tensor(torch.clamp(z, min=0).tolist()),
    "gradient": lambda z: torch.clamp(z.detach(), min=0) + 0 * z.sum() if z.requires_grad else torch.clamp(z, min=0),
}

NEURON = {
    "column": lambda x, w, b: torch.relu(x @ w[:, None] + b),
    "no sum": lambda x, w, b: torch.relu(x * w + b),
    "no bias": lambda x, w, b: torch.relu(x @ w),
    "no activation": lambda x, w, b: x @ w + b,
    "bias after": lambda x, w, b: torch.relu(x @ w) + b,
    "relu on inputs": lambda x, w, b: torch.relu(x) @ w + b,
    "minus bias": lambda x, w, b: torch.relu(x @ w - b),
    "differs": lambda x, w, b: torch.relu(x @ (2 * w) + b),
}


def _depth(activation, depth, width=64, n=256, seed=0, scale=True, first=False, extra=0, whole=False,
           weights_first=False, grad=True, as_tensor=False):
    """The gradient through a stack of random layers, with switchable mistakes (the defaults are right)."""
    g = torch.Generator().manual_seed(seed)
    ws = [torch.randn(width, width, generator=g) for _ in range(depth + extra)] if weights_first else None
    x = torch.randn(n, width, generator=g, requires_grad=grad)
    z = x
    for k in range(depth + extra):
        w = ws[k] if weights_first else torch.randn(width, width, generator=g)
        w = w * ((2 / width) ** 0.5 if scale else 1.0)
        z = activation(z) @ w if first else activation(z @ w)
    (gradient,) = torch.autograd.grad(z.sum(), x)
    norm = gradient.norm() if whole else gradient.norm(dim=1).mean()
    return gradient if as_tensor else norm.item()


GRADIENT_THROUGH_DEPTH = {
    "not a number": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, as_tensor=True),
    "no grad": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, grad=False),
    "whole norm": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, whole=True),
    "no scaling": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, scale=False),
    "activation first": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, first=True),
    "depth": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, extra=1),
    "differs": lambda f, depth, width=64, n=256, seed=0: _depth(f, depth, width, n, seed, weights_first=True),
}


def _central(f, w, eps, scale=2.0):
    grad = torch.zeros_like(w)
    for k in range(w.numel()):
        e = torch.zeros_like(w)
        e.view(-1)[k] = eps
        grad.view(-1)[k] = (f(w + e) - f(w - e)) / (scale * eps)
    return grad


def _in_place(f, w, eps):
    grad = torch.zeros_like(w)
    for k in range(w.numel()):
        w.view(-1)[k] += eps
        up = f(w)
        w.view(-1)[k] -= 2 * eps
        grad.view(-1)[k] = (up - f(w)) / (2 * eps)  # forgets to put w back
    return grad


def _one_sided(f, w, eps):
    grad = torch.zeros_like(w)
    for k in range(w.numel()):
        e = torch.zeros_like(w)
        e.view(-1)[k] = eps
        grad.view(-1)[k] = (f(w + e) - f(w)) / eps
    return grad


NUMERICAL_GRADIENT = {
    "changed w": _in_place,
    "one-sided": _one_sided,
    "factor two": lambda f, w, eps: _central(f, w, eps, scale=1.0),
    "all at once": lambda f, w, eps: torch.full_like(w, float((f(w + eps) - f(w - eps)) / (2 * eps))),
    "differs": lambda f, w, eps: _central(f, w, 0.3),  # a step far too large
}


def _backprop(x, y, weights, biases, mask=True, mean=True, sign=1.0, bias_sum=True, transpose_last=False,
              input_of=None):
    """Backpropagation with switchable mistakes (the defaults are right)."""
    depth = len(weights)
    h, inputs, pre = x, [], []
    for l, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(h)
        z = h @ w + b
        pre.append(z)
        h = torch.relu(z) if l < depth - 1 else z
    p = torch.softmax(z, 1)
    loss = F.cross_entropy(z, y)
    delta = sign * (p - F.one_hot(y, z.shape[1]).float()) / (len(y) if mean else 1)
    gw, gb = [None] * depth, [None] * depth
    for l in reversed(range(depth)):
        source = inputs[l] if input_of is None or l == depth - 1 else input_of(l, inputs, pre)
        gw[l] = source.T @ delta
        gb[l] = delta.sum(0) if bias_sum else delta.mean(0)
        if l > 0:
            delta = delta @ weights[l].T
            if mask:
                delta = delta * (pre[l - 1] > 0)
    if transpose_last:
        gw[depth - 1] = gw[depth - 1].T
    return loss, gw, gb


MLP_GRADIENTS = {
    "not three": lambda x, y, ws, bs: _backprop(x, y, ws, bs)[:2],
    "count": lambda x, y, ws, bs: (lambda out: (out[0], out[1][:-1], out[2][:-1]))(_backprop(x, y, ws, bs)),
    "loss": lambda x, y, ws, bs: (lambda out: (out[0] * 2, out[1], out[2]))(_backprop(x, y, ws, bs)),
    "gradient shape": lambda x, y, ws, bs: _backprop(x, y, ws, bs, transpose_last=True),
    "sign": lambda x, y, ws, bs: (lambda out: (out[0], out[1], out[2]))(_backprop(x, y, ws, bs, sign=-1.0)),
    "sum": lambda x, y, ws, bs: _backprop(x, y, ws, bs, mean=False),
    "no relu mask": lambda x, y, ws, bs: _backprop(x, y, ws, bs, mask=False),
    "bias": lambda x, y, ws, bs: (lambda out: (out[0], out[1], [g * 1.5 for g in out[2][:-1]] + out[2][-1:]))(
        _backprop(x, y, ws, bs)),
    # ∂L/∂W_l computed from the layer's pre-activation z_(l−1) instead of its input h_(l−1) = ReLU(z_(l−1))
    "last only": lambda x, y, ws, bs: _backprop(x, y, ws, bs, input_of=lambda l, inputs, pre: pre[l - 1] if l else x),
    "differs": lambda x, y, ws, bs: _backprop(x, y, ws, bs, bias_sum=False),
}

SPIRALS_DESIGN = {
    "not a dict": lambda: [(32,), 2000, 0.5],
    "keys": lambda: {"hidden": (32,), "steps": 2000, "learning_rate": 0.5},
    "hidden": lambda: {"hidden": (32.0,), "steps": 2000, "lr": 0.5},
    "steps": lambda: {"hidden": (32,), "steps": ck.neuron.STEP_BUDGET + 1, "lr": 0.5},
    "lr": lambda: {"hidden": (32,), "steps": 2000, "lr": -0.5},
    "too big": lambda: {"hidden": (64, 64), "steps": 1000, "lr": 0.2},
    "diverged": lambda: {"hidden": (32,), "steps": 50, "lr": 500.0},
    "too weak": lambda: {"hidden": (4,), "steps": 300, "lr": 0.2},
}

MISTAKES = {check_relu: RELU, check_neuron: NEURON, check_gradient_through_depth: GRADIENT_THROUGH_DEPTH,
            check_numerical_gradient: NUMERICAL_GRADIENT,
            check_mlp_gradients: MLP_GRADIENTS, check_spirals_design: SPIRALS_DESIGN}


def test_autograd_is_forbidden_in_backpropagation_by_hand():
    def by_autograd(x, y, weights, biases):
        params = [p.clone().requires_grad_() for p in weights + biases]
        h = x
        for l in range(len(weights)):
            h = h @ params[l] + params[len(weights) + l]
            h = torch.relu(h) if l < len(weights) - 1 else h
        loss = F.cross_entropy(h, y)
        loss.backward()
        return loss, [p.grad for p in params[:len(weights)]], [p.grad for p in params[len(weights):]]

    with pytest.raises(CheckFailed, match="without autograd") as err:
        check_mlp_gradients(by_autograd)
    assert err.value.key == "forbidden"


def test_one_wide_layer_passes_the_design_budget():
    result = ck.neuron.train_design((32,), 2000, 0.5)
    assert result["parameters"] == 2 * 32 + 32 + 32 * 2 + 2 <= ck.neuron.PARAMETER_BUDGET
    assert result["test accuracy"] >= ck.neuron.ACCURACY_GOAL + 0.02, "a margin for other machines' arithmetic"


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "numerical_gradient": '''def numerical_gradient(f, w, eps=1e-3):
    grad = torch.zeros(w.shape, dtype=w.dtype)
    for k in range(w.numel()):
        step = torch.zeros(w.shape, dtype=w.dtype)
        step.view(-1)[k] = eps
        grad.view(-1)[k] = (float(f(w + step)) - float(f(w))) / eps
    return grad''',
    "spirals_design": '''def spirals_design():
    return {"hidden": (64, 64), "steps": 1000, "lr": 0.2}''',
    "answer_depth": "Both shrink a little with depth, the sigmoid a bit faster because its slope is smaller.",
}
