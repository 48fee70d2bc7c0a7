"""Checks for the exercises: they pass a right answer and explain a wrong one in words a student understands.

Each ``check_*`` (a ``Check``) takes the student's function and

- prints "✓ … passes" when it matches the reference on every test input;
- prints that the exercise "is not implemented yet" while it still raises ``NotImplementedError`` (the blank student
  version), so that running all cells does not stop there;
- raises ``CheckFailed`` (an ``AssertionError``) with a targeted hint when the answer is wrong: a typical mistake it
  recognises (the step function instead of ReLU, a forgotten bias, …) or, failing that, the first input where the
  answer differs from the reference.

``working(answer, reference, check)`` lets the cells after an exercise go on with the reference when the answer is
missing or wrong, and says so.

Used after every exercise, first in notebook 01 (``relu``, ``neuron``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from coursekit import neuron as _neuron


class CheckFailed(AssertionError):
    """A student's answer is wrong; the message says how and what to try."""


class _NotImplementedYet(Exception):
    pass


def _call(name: str, fn: Callable, *args):
    """Call the student's function, turning its exceptions into messages about the student's code."""
    try:
        return fn(*args)
    except NotImplementedError as err:
        raise _NotImplementedYet from err
    except Exception as err:  # the student's code failed: say where, not a traceback into coursekit
        shapes = ", ".join(f"shape {tuple(a.shape)}" if torch.is_tensor(a) else repr(a) for a in args)
        raise CheckFailed(
            f"✗ {name} raised {type(err).__name__}: {err}\n  when called with ({shapes}). "
            "Run it by hand on a small input to see where it fails."
        ) from err


def _expect_tensor(name: str, out, like: torch.Tensor) -> None:
    if out is None:
        raise CheckFailed(f"✗ {name} returns None: did you forget the `return` statement?")
    if not torch.is_tensor(out):
        raise CheckFailed(
            f"✗ {name} returns a {type(out).__name__}; it should return a torch tensor "
            "(use torch operations, not NumPy or Python lists)."
        )
    if out.shape != like.shape:
        raise CheckFailed(
            f"✗ {name} returns shape {tuple(out.shape)} where shape {tuple(like.shape)} is expected."
        )


class Check:
    """A check of one exercise: ``check(answer)`` prints the verdict; ``check.passes(answer)`` only tells.

    name: the exercise's function name; run: a function of the answer that returns when the answer is right, raises
    ``CheckFailed`` with a hint when it is wrong (``NotImplementedError`` from the answer is caught here).
    """

    def __init__(self, name: str, run: Callable[[Callable], None]):
        self.name = name
        self._run = run
        self.__doc__ = run.__doc__

    def __repr__(self) -> str:
        return f"<check of the exercise {self.name!r}>"

    def __call__(self, answer: Callable) -> None:
        """Print "✓ passes", or "not implemented yet" for a blank answer; raise ``CheckFailed`` for a wrong one."""
        try:
            self._run(answer)
        except _NotImplementedYet:
            print(
                f"… {self.name} is not implemented yet: replace `raise NotImplementedError()` with your code, "
                "then run its cell and this one again."
            )
            return
        print(f"✓ {self.name} passes all checks.")

    def passes(self, answer: Callable) -> bool:
        """True when ``answer`` is right; False when it is missing or wrong. Prints nothing."""
        try:
            self._run(answer)
        except (_NotImplementedYet, CheckFailed):
            return False
        return True


def working(answer: Callable, reference: Callable, check: Check) -> Callable:
    """The student's ``answer`` if it passes ``check``, else ``reference`` with a one-line note saying so.

    >>> relu = working(relu, ck.neuron.relu, ck.checks.check_relu)
    """
    if check.passes(answer):
        return answer
    where = f"{reference.__module__}.{reference.__qualname__}"
    print(f"Using the reference {where} in the cells below, because {check.name} does not pass its check yet.")
    return reference


# ---------------------------------------------------------------------------------------------------------------
# Notebook 01: relu and one neuron
# ---------------------------------------------------------------------------------------------------------------


def _check_relu(relu: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check a student's ``relu(z)`` against f(z) = max(0, z) (see ``coursekit.neuron.relu``)."""
    z = torch.tensor([[-3.0, -0.5, 0.0], [0.25, 2.0, 7.5]])
    original = z.clone()
    out = _call("relu", relu, z)
    if not torch.equal(z, original):
        raise CheckFailed(
            "✗ relu changed its input tensor (for example with `z[z < 0] = 0` or `z.clamp_(min=0)`). "
            "A function should return a new tensor and leave its input as it was: later cells still need it."
        )
    _expect_tensor("relu", out, z)
    expected = _neuron.relu(z)
    returned_dtype = out.dtype
    out = out.to(torch.float32)
    neg, pos = z < 0, z > 0
    if torch.equal(out, _neuron.step(z)):
        raise CheckFailed(
            "✗ relu returns 1 for every positive input: that is the step function. ReLU keeps the value of a "
            "positive input, f(z) = max(0, z), so relu(2.0) must be 2.0."
        )
    if torch.allclose(out, z.abs()):
        raise CheckFailed(
            "✗ relu turns negative inputs positive (relu(-3.0) gave 3.0): that is the absolute value. "
            "ReLU sets negative inputs to 0."
        )
    if torch.allclose(out, torch.minimum(z, torch.zeros_like(z))):
        raise CheckFailed(
            "✗ relu keeps negative inputs and sets positive ones to 0: that is min(0, z). ReLU is max(0, z)."
        )
    if torch.allclose(out[neg], z[neg]):
        raise CheckFailed(
            "✗ relu lets negative inputs through unchanged (relu(-3.0) gave -3.0); they must become 0."
        )
    if torch.allclose(out[pos], torch.zeros_like(z[pos])) and not torch.allclose(out[neg], z[neg]):
        raise CheckFailed("✗ relu returns 0 for positive inputs too; positive inputs must pass unchanged.")
    if not torch.allclose(out, expected):
        k = int((out - expected).abs().argmax())
        raise CheckFailed(
            f"✗ relu({z.flatten()[k].item():g}) gave {out.flatten()[k].item():g}, "
            f"expected max(0, {z.flatten()[k].item():g}) = {expected.flatten()[k].item():g}."
        )
    if returned_dtype != z.dtype:
        raise CheckFailed(
            f"✗ relu returns dtype {returned_dtype} for a {z.dtype} input (a comparison such as `z > 0` gives "
            "booleans); return values of the input's dtype, for example with torch.where or torch.clamp."
        )
    z_grad = torch.tensor([-1.0, 2.0], requires_grad=True)
    out_grad = _call("relu", relu, z_grad)
    if not out_grad.requires_grad:
        raise CheckFailed(
            "✗ relu's result is cut off from autograd (it has no gradient): build it from torch operations "
            "on z, not from Python numbers or NumPy, so that training can compute ∂L/∂w through it."
        )
    out_grad.sum().backward()
    if not torch.allclose(z_grad.grad, torch.tensor([0.0, 1.0])):
        raise CheckFailed(
            f"✗ relu's gradient at z = (-1, 2) is {z_grad.grad.tolist()}, expected (0, 1)."
        )


check_relu = Check("relu", _check_relu)


def _check_neuron(neuron: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``neuron(x, w, b)`` against g = ReLU(Σ_i w_i x_i + b) (see ``coursekit.neuron.neuron``)."""

    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, generator=g)
    w = torch.tensor([0.8, -1.5, 0.6])
    b = 0.7
    out = _call("neuron", neuron, x, w, b)
    expected = _neuron.neuron(x, w, b)
    if torch.is_tensor(out) and out.shape == (6, 1):
        raise CheckFailed(
            "✗ neuron returns shape (6, 1) for 6 inputs; one number per input is expected, shape (6,). "
            "With w of shape (3,), `x @ w` already gives shape (6,)."
        )
    if torch.is_tensor(out) and out.shape == (6, 3):
        raise CheckFailed(
            "✗ neuron returns shape (6, 3): it multiplies each input by its weight but does not add them up. "
            "The neuron sums: Σ_i w_i x_i, for example `x @ w` or `(x * w).sum(dim=1)`."
        )
    _expect_tensor("neuron", out, expected)
    z = x @ w + b
    mistakes = [
        (torch.relu(x @ w), "forgets the bias: add b to the weighted sum before the activation."),
        (z, "forgets the activation: return f(Σ_i w_i x_i + b) with f = relu, not the weighted sum itself."),
        (torch.relu(x @ w) + b, "adds the bias after the activation; it belongs inside: f(Σ_i w_i x_i + b)."),
        (torch.relu(x) @ w + b, "applies ReLU to the inputs x; apply it to the weighted sum instead."),
        (torch.relu(x @ w - b), "subtracts the bias; the neuron computes f(Σ_i w_i x_i + b)."),
    ]
    for wrong, hint in mistakes:
        if torch.allclose(out, wrong, atol=1e-5) and not torch.allclose(wrong, expected, atol=1e-5):
            raise CheckFailed(f"✗ neuron {hint}")
    if not torch.allclose(out, expected, atol=1e-5):
        k = int((out - expected).abs().argmax())
        raise CheckFailed(
            f"✗ neuron(x, w, b) differs from relu(x @ w + b) for input {k}: got {out[k].item():.4f}, "
            f"expected {expected[k].item():.4f} (x[{k}] = {[round(v, 3) for v in x[k].tolist()]}, "
            f"w = {w.tolist()}, b = {b})."
        )


check_neuron = Check("neuron", _check_neuron)
