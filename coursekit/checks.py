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
import torch.nn.functional as F

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


# ---------------------------------------------------------------------------------------------------------------
# Notebook 02: convolution and cross-entropy
# ---------------------------------------------------------------------------------------------------------------


def _check_conv2d(conv2d: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``conv2d(x, weight, bias, stride, padding)`` against ``F.conv2d`` (cross-correlation)."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 7, 8, generator=g)
    w = torch.randn(4, 3, 3, 3, generator=g)
    b = torch.randn(4, generator=g)
    cases = [{"stride": s, "padding": p} for s, p in ((1, 0), (1, 1), (2, 1), (2, 0))]
    for case in cases:
        out = _call("conv2d", conv2d, x, w, b, case["stride"], case["padding"])
        expected = F.conv2d(x, w, b, **case)
        where = f"with stride={case['stride']}, padding={case['padding']}"
        if torch.is_tensor(out) and out.shape != expected.shape:
            no_stride = F.conv2d(x, w, b, padding=case["padding"]).shape
            no_pad = F.conv2d(x, w, b, stride=case["stride"]).shape
            if out.shape == no_stride and case["stride"] > 1:
                raise CheckFailed(f"✗ conv2d ignores the stride: {where} the output should be {tuple(expected.shape)}"
                                  f", got {tuple(out.shape)}. Move the window by `stride` pixels: x[…, i·s + u, j·s + v].")
            if out.shape == no_pad and case["padding"] > 0:
                raise CheckFailed(f"✗ conv2d ignores the padding: {where} the output should be {tuple(expected.shape)}"
                                  f", got {tuple(out.shape)}. Pad x with zeros first, e.g. F.pad(x, (p, p, p, p)).")
            raise CheckFailed(f"✗ conv2d {where} returns shape {tuple(out.shape)}; expected {tuple(expected.shape)} "
                              "= (N, C_out, (H + 2p − K)//s + 1, (W + 2p − K)//s + 1).")
        _expect_tensor("conv2d", out, expected)
        if torch.allclose(out, F.conv2d(x, w.flip(-1, -2), b, **case), atol=1e-4):
            raise CheckFailed(
                "✗ conv2d flips the kernel: that is the convolution of signal processing. Deep learning's "
                "'convolution' is a cross-correlation: y[i, j] = Σ w[u, v] · x[i + u, j + v], with the kernel as it is."
            )
        if torch.allclose(out, F.conv2d(x, w, None, **case), atol=1e-4):
            raise CheckFailed("✗ conv2d forgets the bias: add b[o] to every pixel of output channel o.")
        if not torch.allclose(out, expected, atol=1e-4):
            per_channel = torch.stack([F.conv2d(x[:, c:c + 1], w[:, c:c + 1], None, **case) for c in range(3)])
            if any(torch.allclose(out - b[None, :, None, None], pc, atol=1e-4) for pc in per_channel):
                raise CheckFailed("✗ conv2d uses only one input channel: sum over all input channels c as well.")
            diff = (out - expected).abs().max().item()
            raise CheckFailed(f"✗ conv2d {where} differs from torch.nn.functional.conv2d by up to {diff:.3g}. "
                              "Check the sum y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[n, c, i·s + u, j·s + v].")


check_conv2d = Check("conv2d", _check_conv2d)


def _check_cross_entropy(cross_entropy: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check a student's ``cross_entropy(logits, target)`` against ``F.cross_entropy`` (mean over the batch)."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(3)
    logits = torch.randn(6, 4, generator=g) * 2
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    out = _call("cross_entropy", cross_entropy, logits, target)
    expected = F.cross_entropy(logits, target)
    if torch.is_tensor(out) and out.dim() == 1 and out.shape == (6,):
        raise CheckFailed("✗ cross_entropy returns one value per example; the loss is their mean, a single number.")
    _expect_tensor("cross_entropy", out, expected)
    picked = logits.gather(1, target[:, None])[:, 0]
    p = torch.softmax(logits, dim=1).gather(1, target[:, None])[:, 0]
    mistakes = [
        (-picked.mean(), "uses the raw scores z_y without log-softmax: the loss is −log p(y | x), with "
                         "log p(y | x) = z_y − log Σ_k exp(z_k)."),
        (-p.mean(), "uses the probability p(y | x) itself; the cross-entropy takes its logarithm: −log p(y | x)."),
        (expected * len(target), "sums over the batch; take the mean, so that the loss does not grow with N."),
        (-expected, "has the wrong sign: log p ≤ 0, so −log p(y | x) is positive and shrinks as p(y | x) → 1."),
        (-torch.log_softmax(logits, 0).gather(1, target[:, None]).mean(),
         "normalises over the batch (dim 0); the softmax runs over the classes, dim=1."),
    ]
    for wrong, hint in mistakes:
        if torch.allclose(out.float(), wrong, atol=1e-4):
            raise CheckFailed(f"✗ cross_entropy {hint}")
    if not torch.allclose(out.float(), expected, atol=1e-4):
        raise CheckFailed(f"✗ cross_entropy gave {out.item():.4f}, expected {expected.item():.4f} "
                          "= mean over n of −log softmax(z_n)[y_n].")
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    out_big = _call("cross_entropy", cross_entropy, big, torch.tensor([0]))
    if not torch.isfinite(out_big).all() or abs(out_big.item()) > 1e-3:
        raise CheckFailed(
            f"✗ cross_entropy overflows on large scores (logits (1000, 0, −1000) gave {out_big.item()}): exp(1000) "
            "is inf in float32. Subtract max_k z_k from the scores before the exponential (log-sum-exp trick)."
        )


check_cross_entropy = Check("cross_entropy", _check_cross_entropy)


# ---------------------------------------------------------------------------------------------------------------
# Notebook 04: the mask of a masked convolution
# ---------------------------------------------------------------------------------------------------------------


def _check_causal_mask(causal_mask: Callable[[int, str], torch.Tensor]) -> None:
    """Check a student's ``causal_mask(kernel_size, mask_type)`` against ``coursekit.pixelcnn.causal_mask``."""
    from coursekit import pixelcnn

    for k in (3, 5, 7):
        for mask_type in ("A", "B"):
            out = _call("causal_mask", causal_mask, k, mask_type)
            expected = pixelcnn.causal_mask(k, mask_type)
            _expect_tensor("causal_mask", out, expected)
            out = out.float()
            if torch.equal(out, expected):
                continue
            other = pixelcnn.causal_mask(k, "B" if mask_type == "A" else "A")
            c = k // 2
            where = f"for kernel_size={k}, mask_type={mask_type!r}"
            if torch.equal(out, other):
                raise CheckFailed(
                    f"✗ causal_mask swaps A and B ({where}): mask A hides the centre pixel (the first layer must not "
                    "see the pixel it predicts), mask B lets it through (later layers)."
                )
            if out[c + 1:].any():
                raise CheckFailed(f"✗ causal_mask lets rows below the centre through ({where}): they are the future.")
            if out[c, c + 1:].any():
                raise CheckFailed(
                    f"✗ causal_mask lets pixels right of the centre, on the centre row, through ({where}): in raster "
                    "order they come later."
                )
            if not out[:c].all():
                raise CheckFailed(f"✗ causal_mask hides some rows above the centre ({where}): all of them come earlier.")
            if not out[c, :c].all():
                raise CheckFailed(f"✗ causal_mask hides pixels left of the centre on its row ({where}): they come earlier.")
            raise CheckFailed(f"✗ causal_mask {where} gave\n{out}\nexpected\n{expected}.")


check_causal_mask = Check("causal_mask", _check_causal_mask)


# ---------------------------------------------------------------------------------------------------------------
# Notebook 05: the annealed mean
# ---------------------------------------------------------------------------------------------------------------


def _check_annealed_mean(annealed_mean: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]) -> None:
    """Check a student's ``annealed_mean(probabilities, bins, temperature)`` against ``coursekit.color``'s."""
    from coursekit import color

    g = torch.Generator().manual_seed(5)
    bins = torch.tensor([[-40.0, 10.0], [0.0, 0.0], [30.0, 30.0], [50.0, -20.0], [10.0, 60.0]])
    p = torch.softmax(2 * torch.randn(2, len(bins), 3, 4, generator=g), dim=1)  # (N, Q, H, W)
    expectation = torch.einsum("nqhw,qc->nchw", p, bins)

    def explicit(weights):  # Σ_q weights_q c_q / Σ_q weights_q
        return torch.einsum("nqhw,qc->nchw", weights, bins) / weights.sum(1, keepdim=True)

    for t in (1.0, 0.38, 0.1, 2.0):
        out = _call("annealed_mean", annealed_mean, p, bins, t)
        expected = color.annealed_mean(p, bins, t)
        _expect_tensor("annealed_mean", out, expected)
        if torch.allclose(out, expected, atol=1e-3):
            continue
        if torch.allclose(out, expectation, atol=1e-3):
            raise CheckFailed(
                f"✗ annealed_mean at T = {t} returns the plain mean E_z[c]: sharpen the distribution first, "
                "f_T(z) ∝ exp(log z / T), then take the mean under f_T(z)."
            )
        if torch.allclose(out, explicit(p ** t), atol=1e-3):
            raise CheckFailed(
                f"✗ annealed_mean raises z to the power T (T = {t}); it is z^(1/T) = exp(log z / T): a small T must "
                "sharpen the distribution towards its mode."
            )
        if torch.allclose(out, explicit(torch.softmax(p / t, dim=1)), atol=1e-3):
            raise CheckFailed(
                "✗ annealed_mean divides the probabilities by T inside a softmax; divide their *logarithm*: "
                "f_T(z) = softmax(log z / T)."
            )
        if torch.allclose(out, torch.einsum("nqhw,qc->nchw", p ** (1 / t), bins), atol=1e-3):
            raise CheckFailed(
                f"✗ annealed_mean does not renormalise (T = {t}): after z^(1/T) divide by Σ_q z_q^(1/T) so that "
                "f_T(z) sums to 1 over the bins."
            )
        raise CheckFailed(f"✗ annealed_mean at T = {t} differs from the expected colours by up to "
                          f"{(out - expected).abs().max().item():.3g} ab units.")


check_annealed_mean = Check("annealed_mean", _check_annealed_mean)


# ---------------------------------------------------------------------------------------------------------------
# Notebook 06: the Gram matrix
# ---------------------------------------------------------------------------------------------------------------


def _check_gram_matrix(gram_matrix: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check a student's ``gram_matrix(features)`` against ``coursekit.gram.gram_matrix``."""
    from coursekit import gram

    g = torch.Generator().manual_seed(6)
    for shape in ((1, 3, 4, 5), (2, 4, 6, 6), (1, 8, 3, 7)):
        f = torch.randn(*shape, generator=g)
        out = _call("gram_matrix", gram_matrix, f)
        n, c, h, w = shape
        expected = gram.gram_matrix(f)
        if torch.is_tensor(out) and out.shape == (n, h * w, h * w):
            raise CheckFailed(
                f"✗ gram_matrix returns ({n}, H·W, H·W) = {tuple(out.shape)}: that compares positions, Fᵀ F. The Gram "
                "matrix compares channels: with F reshaped to (N, C, H·W), compute F Fᵀ, shape (N, C, C)."
            )
        if torch.is_tensor(out) and out.shape == (c, c) and n == 1:
            raise CheckFailed("✗ gram_matrix drops the batch dimension: return (N, C, C), one matrix per image.")
        _expect_tensor("gram_matrix", out, expected)
        if torch.allclose(out, expected, atol=1e-4):
            continue
        if torch.allclose(out, expected * h * w, atol=1e-3):
            raise CheckFailed(
                "✗ gram_matrix is not normalised: divide F Fᵀ by M = H·W, the number of positions, so that the same "
                "texture gives the same Gram matrix at any image size."
            )
        if torch.allclose(out, expected / c, atol=1e-5):
            raise CheckFailed(
                "✗ gram_matrix divides by C·H·W; this course divides by H·W only (the number of positions), as its "
                "docstring says: a mean over positions of F_i · F_j."
            )
        raise CheckFailed(f"✗ gram_matrix for features of shape {shape} differs from the expected matrix by up to "
                          f"{(out - expected).abs().max().item():.3g}.")


check_gram_matrix = Check("gram_matrix", _check_gram_matrix)


# ---------------------------------------------------------------------------------------------------------------
# Notebook 07: the pix2pix generator's loss
# ---------------------------------------------------------------------------------------------------------------


def _check_generator_loss(generator_loss: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``generator_loss(fake_logits, fake, target, lam)`` against ``coursekit.pix2pix``'s."""
    from coursekit import pix2pix

    g = torch.Generator().manual_seed(7)
    logits = torch.randn(2, 1, 6, 6, generator=g) * 2
    fake, target = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 16, 16, generator=g)
    lam = 100.0
    out = _call("generator_loss", generator_loss, logits, fake, target, lam)
    if out is None:
        raise CheckFailed("✗ generator_loss returns None: did you forget the `return` statement?")
    if not torch.is_tensor(out) or out.numel() != 1:
        raise CheckFailed(f"✗ generator_loss should return one number as a tensor (a scalar to call .backward() on), "
                          f"got {type(out).__name__} {tuple(out.shape) if torch.is_tensor(out) else ''}.")
    out = out.reshape(())
    expected = pix2pix.generator_loss(logits, fake, target, lam)
    if torch.allclose(out, expected, rtol=1e-4, atol=1e-5):
        return
    gan = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    saturating = torch.log1p(-torch.sigmoid(logits)).mean()
    l1 = (fake - target).abs().mean()
    candidates = {
        "saturating": saturating + lam * l1,
        "λ": gan + l1,
        "L2": gan + lam * ((fake - target) ** 2).mean(),
        "probabilities": -torch.log(torch.sigmoid(logits).mean()) + lam * l1,
        "sum": gan + lam * (fake - target).abs().sum(),
    }
    hints = {
        "saturating": "G minimises log(1 − D(G(x))), the saturating loss: its gradient vanishes when D spots the "
                      "fakes easily, which is how training starts. Minimise −log D(G(x)) instead: binary "
                      "cross-entropy of the fake logits against the label 1 (real).",
        "λ": "the L1 term is not weighted: multiply it by lam (λ = 100 in the paper), otherwise the GAN term drowns "
             "it and the colours drift.",
        "L2": "the reconstruction term is squared (L2); pix2pix uses L1, the mean of |y − G(x)|, which blurs less.",
        "probabilities": "the log is taken of D's *mean* probability; take the mean of −log D over the patches: "
                         "binary cross-entropy of each logit against 1, then the mean.",
        "sum": "the L1 term sums over pixels; take the mean of |y − G(x)| so that λ = 100 means the same at any size.",
    }
    for key, value in candidates.items():
        if torch.allclose(out, value, rtol=1e-4, atol=1e-5):
            raise CheckFailed(f"✗ generator_loss: {hints[key]}")
    raise CheckFailed(f"✗ generator_loss returns {out.item():.4g}, expected {expected.item():.4g} for logits of "
                      f"shape {tuple(logits.shape)}, images of shape {tuple(fake.shape)} and λ = {lam:g}.")


check_generator_loss = Check("generator_loss", _check_generator_loss)
