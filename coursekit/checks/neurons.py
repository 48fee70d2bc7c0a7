"""Checks of notebook 01's exercises: ReLU and one neuron (warm-ups), the gradient through depth, the numerical
gradient, backpropagation by hand, and the design of the smallest network that separates two spirals."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit import neuron as _neuron
from coursekit.checks.core import Check, Trial, message

__all__ = [  # the checks, exported by coursekit.checks
    "check_relu", "check_neuron", "check_gradient_through_depth", "check_numerical_gradient", "check_mlp_gradients",
    "check_spirals_design",
]

# ---------------------------------------------------------------------------------------------------------------
# Warm-up: relu
# ---------------------------------------------------------------------------------------------------------------

RELU_HINTS = {
    "changed its input": "relu changed its input tensor (for example with `z[z < 0] = 0` or `z.clamp_(min=0)`). A "
                         "function should return a new tensor and leave its input as it was: later cells still need "
                         "it.",
    "torch.max pair": "relu returns the (values, indices) pair of torch.max(z, 0): that is the largest entry along "
                      "dimension 0, not an element-wise maximum. Compare every element with 0: torch.clamp(z, min=0) "
                      "or torch.maximum(z, torch.zeros_like(z)).",
    "python max": "relu calls Python's max(0, z), which compares the whole tensor with 0 at once (\"Boolean value of "
                  "Tensor ... is ambiguous\"). Compare element by element with torch operations: torch.clamp(z, "
                  "min=0) or torch.where(z > 0, z, torch.zeros_like(z)).",
    "step": "relu returns 1 for every positive input: that is the step function. ReLU keeps the value of a positive "
            "input, f(z) = max(0, z), so relu(2.0) must be 2.0.",
    "absolute value": "relu turns negative inputs positive (relu(-3.0) gave 3.0): that is the absolute value. ReLU "
                      "sets negative inputs to 0.",
    "min": "relu keeps negative inputs and sets positive ones to 0: that is min(0, z). ReLU is max(0, z).",
    "negatives through": "relu lets negative inputs through unchanged (relu(-3.0) gave -3.0); they must become 0.",
    "positives zero": "relu returns 0 for positive inputs too; positive inputs must pass unchanged.",
    "differs": "relu({z:g}) gave {got:g}, expected max(0, {z:g}) = {expected:g}.",
    "dtype": "relu returns dtype {got} for a {expected} input (a comparison such as `z > 0` gives booleans); return "
             "values of the input's dtype, for example with torch.where or torch.clamp.",
    "no gradient": "relu's result is cut off from autograd (it has no gradient): build it from torch operations on "
                   "z, not from Python numbers or NumPy, so that training can compute ∂L/∂w through it.",
    "gradient": "relu's gradient at z = (-1, 2) is {got}, expected (0, 1).",
}


def _is_ambiguous_bool(err: Exception) -> bool:
    return isinstance(err, RuntimeError) and "Boolean value of Tensor" in str(err)


def _check_relu(t: Trial) -> None:
    """A student's ``relu(z)`` against f(z) = max(0, z) (see ``coursekit.neuron.relu``)."""
    z = torch.tensor([[-3.0, -0.5, 0.0], [0.25, 2.0, 7.5]])
    original = z.clone()
    out = t.call(z)
    if not torch.equal(z, original):
        raise t.fail("changed its input")
    if isinstance(out, tuple) and len(out) == 2 and all(torch.is_tensor(v) for v in out):
        raise t.fail("torch.max pair")
    t.expect_tensor(out, z)
    expected = _neuron.relu(z)
    returned_dtype = out.dtype
    out = out.to(torch.float32)
    neg, pos = z < 0, z > 0
    if torch.equal(out, _neuron.step(z)):
        raise t.fail("step")
    if torch.allclose(out, z.abs()):
        raise t.fail("absolute value")
    if torch.allclose(out, torch.minimum(z, torch.zeros_like(z))):
        raise t.fail("min")
    if torch.allclose(out[neg], z[neg]):
        raise t.fail("negatives through")
    if torch.allclose(out[pos], torch.zeros_like(z[pos])):
        raise t.fail("positives zero")
    if not torch.allclose(out, expected):
        k = int((out - expected).abs().argmax())
        raise t.fail("differs", z=z.flatten()[k].item(), got=out.flatten()[k].item(),
                     expected=expected.flatten()[k].item())
    if returned_dtype != z.dtype:
        raise t.fail("dtype", got=returned_dtype, expected=z.dtype)
    z_grad = torch.tensor([-1.0, 2.0], requires_grad=True)
    out_grad = t.call(z_grad)
    if not out_grad.requires_grad:
        raise t.fail("no gradient")
    out_grad.sum().backward()
    if not torch.allclose(z_grad.grad, torch.tensor([0.0, 1.0])):
        raise t.fail("gradient", got=z_grad.grad.tolist())


check_relu = Check("relu", _check_relu, RELU_HINTS, reference=_neuron.relu, errors={"python max": _is_ambiguous_bool})

# ---------------------------------------------------------------------------------------------------------------
# Warm-up: one neuron
# ---------------------------------------------------------------------------------------------------------------

NEURON_HINTS = {
    "column": "neuron returns shape (6, 1) for 6 inputs; one number per input is expected, shape (6,). With w of "
              "shape (3,), `x @ w` already gives shape (6,).",
    "no sum": "neuron returns shape (6, 3): it multiplies each input by its weight but does not add them up. The "
              "neuron sums: Σ_i w_i x_i, for example `x @ w` or `(x * w).sum(dim=1)`.",
    "no bias": "neuron forgets the bias: add b to the weighted sum before the activation.",
    "no activation": "neuron forgets the activation: return f(Σ_i w_i x_i + b) with f = relu, not the weighted sum "
                     "itself.",
    "bias after": "neuron adds the bias after the activation; it belongs inside: f(Σ_i w_i x_i + b).",
    "relu on inputs": "neuron applies ReLU to the inputs x; apply it to the weighted sum instead.",
    "minus bias": "neuron subtracts the bias; the neuron computes f(Σ_i w_i x_i + b).",
    "differs": "neuron(x, w, b) differs from relu(x @ w + b) for input {k}: got {got:.4f}, expected {expected:.4f} "
               "(x[{k}] = {x}, w = {w}, b = {b}).",
}


def _check_neuron(t: Trial) -> None:
    """A student's ``neuron(x, w, b)`` against g = ReLU(Σ_i w_i x_i + b) (see ``coursekit.neuron.neuron``)."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, generator=g)
    w = torch.tensor([0.8, -1.5, 0.6])
    b = 0.7
    out = t.call(x, w, b)
    expected = _neuron.neuron(x, w, b)
    if torch.is_tensor(out) and out.shape == (6, 1):
        raise t.fail("column")
    if torch.is_tensor(out) and out.shape == (6, 3):
        raise t.fail("no sum")
    t.expect_tensor(out, expected)
    z = x @ w + b
    mistakes = {"no bias": torch.relu(x @ w), "no activation": z, "bias after": torch.relu(x @ w) + b,
                "relu on inputs": torch.relu(x) @ w + b, "minus bias": torch.relu(x @ w - b)}
    for key, wrong in mistakes.items():
        if torch.allclose(out, wrong, atol=1e-5) and not torch.allclose(wrong, expected, atol=1e-5):
            raise t.fail(key)
    if not torch.allclose(out, expected, atol=1e-5):
        k = int((out - expected).abs().argmax())
        raise t.fail("differs", k=k, got=out[k].item(), expected=expected[k].item(),
                     x=[round(v, 3) for v in x[k].tolist()], w=w.tolist(), b=b)


check_neuron = Check("neuron", _check_neuron, NEURON_HINTS, reference=_neuron.neuron)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the gradient through depth
# ---------------------------------------------------------------------------------------------------------------

DEPTH_HINTS = {
    "not a number": "gradient_through_depth should return one number, the mean over the inputs of ‖∂(Σ outputs)/∂x‖ "
                    "(a float, for example `grad.norm(dim=1).mean().item()`); got {got}.",
    "no grad": "gradient_through_depth asks autograd for a gradient with respect to x, but x does not require one: "
               "create it with `requires_grad=True` (or call `x.requires_grad_()`) before the first layer uses it.",
    "whole norm": "gradient_through_depth returns the norm of the whole gradient, all {n} inputs together; the "
                  "measure is the norm of each input's gradient (one row of ∂(Σ outputs)/∂x), averaged over the "
                  "inputs: `grad.norm(dim=1).mean()`.",
    "no scaling": "gradient_through_depth draws W without He's scaling: multiply each W by √(2 / width), so that a "
                  "ReLU layer keeps the size of what passes through it (half its units are active).",
    "activation first": "gradient_through_depth applies the activation before the weights, z ← f(z) W; a layer "
                        "computes z ← f(z W): the weighted sum first, then the neuron's activation.",
    "depth": "gradient_through_depth with depth={depth} gives the value the reference gets with {other} layers: the "
             "stack must have exactly `depth` layers, each one z ← f(z W).",
    "differs": "gradient_through_depth({activation}, depth={depth}) gave {got:.4g}, expected {expected:.4g}. Draw "
               "the random numbers in the order the exercise gives (x first, then one W per layer, all from the "
               "generator seeded with `seed`), so that the check can compare.",
}


def _depth_variants(activation, depth: int, width: int = 8, n: int = 5, seed: int = 0):
    """The numbers some typical mistakes give: {hint key: value}."""
    def run(scale=True, first=False, layers=depth, whole=False):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, width, generator=g, requires_grad=True)
        z = x
        for _ in range(layers):
            w = torch.randn(width, width, generator=g) * ((2 / width) ** 0.5 if scale else 1.0)
            z = activation(z) @ w if first else activation(z @ w)
        (grad,) = torch.autograd.grad(z.sum(), x)
        return (grad.norm() if whole else grad.norm(dim=1).mean()).item()

    return {"whole norm": run(whole=True), "no scaling": run(scale=False), "activation first": run(first=True)}


def _check_gradient_through_depth(t: Trial) -> None:
    """A student's ``gradient_through_depth(activation, depth, width, n, seed)`` against the reference, with the
    same random numbers, for ReLU and the sigmoid at a few depths."""
    for activation in (_neuron.relu, _neuron.sigmoid):
        for depth in (1, 3, 6):
            out = t.call(activation, depth, 8, 5, 0)
            if torch.is_tensor(out) and out.numel() == 1:
                out = out.item()
            if not isinstance(out, (int, float)):
                raise t.fail("not a number", got=type(out).__name__ if not torch.is_tensor(out)
                             else f"a tensor of shape {tuple(out.shape)}")
            expected = _neuron.gradient_through_depth(activation, depth, 8, 5, 0)
            if abs(out - expected) <= 1e-4 * abs(expected) + 1e-12:
                continue
            for key, value in _depth_variants(activation, depth).items():
                if abs(out - value) <= 1e-4 * abs(value) + 1e-12:
                    raise t.fail(key, n=5)
            for other in (depth - 1, depth + 1):
                if other >= 1 and abs(out - _neuron.gradient_through_depth(activation, other, 8, 5, 0)) <= \
                        1e-4 * abs(expected) + 1e-12:
                    raise t.fail("depth", depth=depth, other=other)
            raise t.fail("differs", activation=activation.__name__, depth=depth, got=out, expected=expected)


def _needs_grad(err: Exception) -> bool:
    return isinstance(err, RuntimeError) and "does not require grad" in str(err)


check_gradient_through_depth = Check("gradient_through_depth", _check_gradient_through_depth, DEPTH_HINTS,
                                     reference=_neuron.gradient_through_depth, errors={"no grad": _needs_grad})


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: the numerical gradient
# ---------------------------------------------------------------------------------------------------------------

NUMERICAL_GRADIENT_HINTS = {
    "changed w": "numerical_gradient leaves w changed (entry {k} moved from {before:.6g} to {after:.6g}). Perturb a "
                 "copy, `w + step`, or put the entry back after the two evaluations: the caller still needs w.",
    "one-sided": "numerical_gradient takes a one-sided difference, (f(w + ε e_k) − f(w)) / ε. Its error shrinks like "
                 "ε, so it is off by about ε·f''/2; the central difference (f(w + ε e_k) − f(w − ε e_k)) / 2ε is "
                 "accurate to ε².",
    "factor two": "numerical_gradient is twice the gradient: the central difference spans 2ε, from w − ε e_k to w + "
                  "ε e_k, so divide by 2ε.",
    "all at once": "numerical_gradient moves every entry of w at once, so each entry gets the same number (the "
                   "derivative along the diagonal). Move one entry k at a time: w + ε e_k, where e_k is 0 except a 1 "
                   "at k.",
    "differs": "numerical_gradient of {function} differs from the exact gradient by up to {error:.3g} (relative "
               "{relative:.2g}); with central differences it should be within about 1e-5.",
}


def _numerical_test_functions():
    """(name, f) pairs for the numerical-gradient check: a curved function, and a small classifier's loss."""
    g = torch.Generator().manual_seed(11)
    a = torch.randn(3, 4, generator=g, dtype=torch.float64)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 3, 1, 2, 3])
    return [("f(w) = Σ exp(w)·w²", lambda w: (torch.exp(w) * w ** 2).sum()),
            ("a cross-entropy loss", lambda w: F.cross_entropy(x @ (a * w), y))]


def _check_numerical_gradient(t: Trial) -> None:
    """A student's ``numerical_gradient(f, w, eps)`` against the exact gradient (autograd), in float64."""
    g = torch.Generator().manual_seed(12)
    eps = 1e-4
    for name, f in _numerical_test_functions():
        w = torch.randn(3, 4, generator=g, dtype=torch.float64)
        before = w.clone()
        out = t.call(f, w, eps)
        if not torch.allclose(w, before, rtol=0, atol=1e-12):  # put back by arithmetic, w may move by a rounding
            k = int((w - before).abs().argmax())
            raise t.fail("changed w", k=k, before=before.flatten()[k].item(), after=w.flatten()[k].item())
        t.expect_tensor(out, w)
        out = out.to(torch.float64)
        w_exact = w.detach().clone().requires_grad_()
        (truth,) = torch.autograd.grad(f(w_exact), w_exact)  # the exact gradient, by autograd
        if torch.allclose(out, truth, rtol=1e-5, atol=1e-7):
            continue
        one_sided = torch.stack([(f(w + eps * e.view_as(w)) - f(w)) / eps for e in torch.eye(w.numel(), dtype=w.dtype)])
        if torch.allclose(out, one_sided.view_as(w), rtol=1e-7, atol=1e-9):
            raise t.fail("one-sided")
        if torch.allclose(out, 2 * truth, rtol=1e-4, atol=1e-6):
            raise t.fail("factor two")
        if out.numel() > 1 and torch.allclose(out, out.flatten()[0].expand_as(out)):
            raise t.fail("all at once")
        error = (out - truth).abs().max().item()
        raise t.fail("differs", function=name, error=error, relative=error / truth.abs().max().item())


# every autograd route (.backward(), autograd.grad and .backward, torch.func) runs the engine through this function
_NO_AUTOGRAD = {torch.autograd.graph._engine_run_backward: "the exercise computes the gradient without autograd.",
                torch.func.grad: "the exercise computes the gradient without autograd."}

check_numerical_gradient = Check("numerical_gradient", _check_numerical_gradient, NUMERICAL_GRADIENT_HINTS,
                                 reference=_neuron.numerical_gradient, forbidden=_NO_AUTOGRAD)


# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: backpropagation by hand
# ---------------------------------------------------------------------------------------------------------------

BACKPROP_HINTS = {
    "not three": "mlp_gradients should return three things, (loss, grad_weights, grad_biases): the loss L and two "
                 "lists with one gradient per layer; got {got}.",
    "count": "mlp_gradients returns {got} weight gradients and {got_b} bias gradients for a network of {layers} "
             "layers: one of each per layer, in the order of `weights`.",
    "loss": "mlp_gradients' loss is {got:.5f}, expected the cross-entropy {expected:.5f} = −(1/N) Σ_n log "
            "softmax(z_L)[n, y_n] of the logits z_L.",
    "gradient shape": "mlp_gradients: the gradient of W_{l} has shape {got}; it must have W_{l}'s shape {expected}: "
                      "∂L/∂W_l = h_(l−1)ᵀ δ_l, (I_l, N) @ (N, J_l).",
    "sign": "mlp_gradients' gradients have the wrong sign: δ_L = ∂L/∂z_L = (softmax(z_L) − onehot(y)) / N, the "
            "probabilities minus the labels. With the opposite sign, gradient descent would climb the loss.",
    "sum": "mlp_gradients' gradients are N = {n} times too large: L is the mean over the batch, so δ_L = (p − "
           "onehot(y)) / N.",
    "no relu mask": "mlp_gradients: the last layer's gradients are right but the earlier ones ignore ReLU: on the "
                    "way back, δ_(l−1) = (δ_l W_lᵀ) ⊙ ReLU'(z_(l−1)), where ReLU'(z) = 1 for z > 0 and 0 otherwise. "
                    "An inactive unit passes no gradient.",
    "bias": "mlp_gradients: the weight gradients are right but the bias gradient of layer {l} is not: ∂L/∂b_l = Σ_n "
            "δ_l[n], the sum over the batch of δ_l (each b_l is added to every example).",
    "last only": "mlp_gradients: the last layer's gradients are right, layer {l}'s are not (off by up to "
                 "{error:.3g}). Check how δ goes back one layer: δ_(l−1) = (δ_l W_lᵀ) ⊙ [z_(l−1) > 0], with W_l the "
                 "weight *after* the activation, and ∂L/∂W_l = h_(l−1)ᵀ δ_l uses that layer's *input* h_(l−1).",
    "differs": "mlp_gradients: the gradient of {what} of layer {l} differs from autograd's by up to {error:.3g}. The "
               "last layer's: δ_L = (softmax(z_L) − onehot(y)) / N, ∂L/∂W_L = h_(L−1)ᵀ δ_L, ∂L/∂b_L = Σ_n δ_L[n].",
}


def _backprop_problem(seed: int = 13):
    """A small MLP (3 → 5 → 4 → 3) and a batch, for checking backpropagation."""
    g = torch.Generator().manual_seed(seed)
    widths = [3, 5, 4, 3]
    weights = [torch.randn(a, b, generator=g) for a, b in zip(widths, widths[1:])]
    biases = [0.5 * torch.randn(b, generator=g) for b in widths[1:]]
    x = torch.randn(8, 3, generator=g)
    y = torch.tensor([0, 2, 1, 1, 0, 2, 2, 1])
    return x, y, weights, biases


def _autograd_gradients(x, y, weights, biases):
    """Loss and gradients of the MLP by autograd: the oracle."""
    params = [p.clone().requires_grad_() for p in weights + biases]
    ws, bs = params[:len(weights)], params[len(weights):]
    h = x
    for l, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w + b
        if l < len(ws) - 1:
            h = torch.relu(h)
    loss = F.cross_entropy(h, y)
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), list(grads[:len(weights)]), list(grads[len(weights):])


def _check_mlp_gradients(t: Trial) -> None:
    """A student's ``mlp_gradients(x, y, weights, biases)`` against autograd on a 3-layer ReLU network."""
    x, y, weights, biases = _backprop_problem()
    out = t.call(x, y, [w.clone() for w in weights], [b.clone() for b in biases])
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        got = type(out).__name__ if not isinstance(out, (tuple, list)) else message("items", count=len(out))
        raise t.fail("not three", got=got)
    loss, grad_w, grad_b = out
    depth = len(weights)
    if len(grad_w) != depth or len(grad_b) != depth:
        raise t.fail("count", got=len(grad_w), got_b=len(grad_b), layers=depth)
    true_loss, true_w, true_b = _autograd_gradients(x, y, weights, biases)
    if not torch.is_tensor(loss) and not isinstance(loss, float):
        raise t.fail("not a tensor", kind=type(loss).__name__)
    if abs(float(loss) - true_loss.item()) > 1e-4:
        raise t.fail("loss", got=float(loss), expected=true_loss.item())
    for l in range(depth):
        t.expect_tensor(grad_b[l], true_b[l])
        if not torch.is_tensor(grad_w[l]) or grad_w[l].shape != true_w[l].shape:
            if torch.is_tensor(grad_w[l]):
                raise t.fail("gradient shape", l=l + 1, got=tuple(grad_w[l].shape), expected=tuple(true_w[l].shape))
            t.expect_tensor(grad_w[l], true_w[l])

    def close(a, b):
        return torch.allclose(a.float(), b, rtol=1e-4, atol=1e-5)

    last = depth - 1
    if all(close(-a, b) for a, b in zip(grad_w, true_w)):
        raise t.fail("sign")
    if all(close(a / len(y), b) for a, b in zip(grad_w, true_w)):
        raise t.fail("sum", n=len(y))
    if close(grad_w[last], true_w[last]) and close(grad_b[last], true_b[last]):
        masked_not = _gradients_without_relu_mask(x, y, weights, biases)
        wrong_layers = [l for l in range(depth) if not (close(grad_w[l], true_w[l]) and close(grad_b[l], true_b[l]))]
        if wrong_layers and all(close(grad_w[l], masked_not[l]) for l in range(depth)):
            raise t.fail("no relu mask")
        for l in wrong_layers:
            if close(grad_w[l], true_w[l]):
                raise t.fail("bias", l=l + 1)
            raise t.fail("last only", l=l + 1, error=(grad_w[l] - true_w[l]).abs().max().item())
        return
    what = "W" if not close(grad_w[last], true_w[last]) else "b"
    error = ((grad_w[last] - true_w[last]) if what == "W" else (grad_b[last] - true_b[last])).abs().max().item()
    raise t.fail("differs", what=what, l=depth, error=error)


def _gradients_without_relu_mask(x, y, weights, biases) -> list[torch.Tensor]:
    """The weight gradients a backward pass gets when it forgets ReLU's derivative (a typical mistake)."""
    depth = len(weights)
    h, inputs = x, []
    for l, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(h)
        h = h @ w + b
        if l < depth - 1:
            h = torch.relu(h)
    delta = (torch.softmax(h, 1) - F.one_hot(y, h.shape[1]).float()) / len(y)
    grads = [torch.empty(0)] * depth
    for l in reversed(range(depth)):
        grads[l] = inputs[l].T @ delta
        delta = delta @ weights[l].T
    return grads


check_mlp_gradients = Check("mlp_gradients", _check_mlp_gradients, BACKPROP_HINTS, reference=_neuron.mlp_gradients,
                            forbidden=_NO_AUTOGRAD)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 4: the smallest network that separates the spirals
# ---------------------------------------------------------------------------------------------------------------

DESIGN_HINTS = {
    "not a dict": "spirals_design should return a dict with the keys \"hidden\", \"steps\" and \"lr\", for example "
                  "{{\"hidden\": (8, 8), \"steps\": 1000, \"lr\": 0.1}}; got {got}.",
    "keys": "spirals_design's dict needs exactly the keys \"hidden\", \"steps\" and \"lr\"; got {got}.",
    "hidden": "spirals_design: \"hidden\" should be a tuple of hidden-layer widths, positive integers, such as (8, "
              "8); got {got!r}.",
    "steps": "spirals_design: \"steps\" should be a whole number of gradient-descent steps between 1 and {budget}; "
             "got {got!r}.",
    "lr": "spirals_design: \"lr\" should be a positive number, the learning rate η; got {got!r}.",
    "too big": "spirals_design: this network has {parameters} parameters, more than the {budget} allowed. A layer of "
               "width J after a layer of width I costs I·J + J; count them, and make the network narrower or "
               "shallower.",
    "diverged": "spirals_design: with lr = {lr} the training diverged (the loss became {loss}): the steps overshoot. "
                "Lower the learning rate.",
    "too weak": "spirals_design reaches {accuracy:.1%} on held-out spirals ({train:.1%} on its training points), "
                "below the {goal:.0%} asked. {advice}",
}


def _check_spirals_design(t: Trial) -> None:
    """A student's ``spirals_design()``: a network of at most ``neuron.PARAMETER_BUDGET`` parameters, trained at most
    ``neuron.STEP_BUDGET`` steps, must reach ``neuron.ACCURACY_GOAL`` on held-out spirals (``neuron.train_design``)."""
    design = t.call()
    if not isinstance(design, dict):
        raise t.fail("not a dict", got=type(design).__name__)
    if set(design) != {"hidden", "steps", "lr"}:
        raise t.fail("keys", got=sorted(design))
    hidden, steps, lr = design["hidden"], design["steps"], design["lr"]
    if isinstance(hidden, int) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if (not isinstance(hidden, (tuple, list)) or not hidden
            or not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden)):
        raise t.fail("hidden", got=design["hidden"])
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= _neuron.STEP_BUDGET:
        raise t.fail("steps", got=steps, budget=_neuron.STEP_BUDGET)
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
        raise t.fail("lr", got=lr)
    parameters = sum(p.numel() for p in _neuron.MLP(hidden=tuple(hidden)).parameters())
    if parameters > _neuron.PARAMETER_BUDGET:
        raise t.fail("too big", parameters=parameters, budget=_neuron.PARAMETER_BUDGET)
    result = _neuron.train_design(tuple(hidden), steps, float(lr))
    if not torch.isfinite(torch.tensor(result["final loss"])) or result["final loss"] > 10:
        raise t.fail("diverged", lr=lr, loss=result["final loss"])
    if result["test accuracy"] < _neuron.ACCURACY_GOAL:
        if result["train accuracy"] < _neuron.ACCURACY_GOAL:
            advice = t.text("underfits")
        else:
            advice = t.text("overfits")
        raise t.fail("too weak", accuracy=result["test accuracy"], train=result["train accuracy"],
                     goal=_neuron.ACCURACY_GOAL, advice=advice)


check_spirals_design = Check("spirals_design", _check_spirals_design, DESIGN_HINTS, texts={
    "underfits": "It does not even fit its training points: it lacks capacity or training. Each ReLU unit of the "
                 "first layer adds one straight cut; a spiral arm needs many of them.",
    "overfits": "It fits its training points but not new ones: it learned the points rather than the spirals."})
