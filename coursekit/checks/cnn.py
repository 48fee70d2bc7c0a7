"""Checks of notebook 02's exercises: the convolution and the cross-entropy written by hand, the fastest learning rate
of gradient descent on the bowl (a derivation), and the minibatch training loop."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import conv as _conv
from coursekit import descent as _descent
from coursekit import loss as _loss
from coursekit import training as _training
from coursekit.checks.core import Check, CheckFailed, Trial

__all__ = [  # the checks, exported by coursekit.checks
    "check_conv2d", "check_cross_entropy", "check_fastest_learning_rate", "check_train",
]

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: convolution
# ---------------------------------------------------------------------------------------------------------------

CONV2D_HINTS = {
    "ignores stride": "conv2d ignores the stride: {where} the output should be {expected}, got {got}. Move the window "
                      "by `stride` pixels: x[…, i·s + u, j·s + v].",
    "ignores padding": "conv2d ignores the padding: {where} the output should be {expected}, got {got}. Pad x with "
                       "zeros first, e.g. F.pad(x, (p, p, p, p)).",
    "unpadded size": "conv2d pads x but counts its output pixels on the unpadded image: {where} the output should be "
                     "{expected}, got {got}. The window slides over the padded input, whose side is H + 2p.",
    "output shape": "conv2d {where} returns shape {got}; expected {expected}. Count the positions of the window: on "
                    "the padded input (side H + 2p), the K×K window starts at rows 0, s, 2s, … for as long as it "
                    "fits entirely, and the same along the columns.",
    "float size": "conv2d computes its output size with `/`, which gives a float ({error}). A window that does not "
                  "fit entirely is not counted: use integer division `//`.",
    "window not strided": "conv2d {where} has the right number of output pixels but does not move the window by the "
                          "stride: output pixel (i, j) reads the window that starts at row i·s and column j·s, not at "
                          "(i, j).",
    "flipped": "conv2d flips the kernel: that is the convolution of signal processing. Deep learning's 'convolution' "
               "is a cross-correlation: y[i, j] = Σ w[u, v] · x[i + u, j + v], with the kernel as it is.",
    "no bias": "conv2d forgets the bias: add b[o] to every pixel of output channel o.",
    "bias None": "conv2d fails when bias is None, its default ({error}): add the bias only when one is given, "
                 "`if bias is not None:`.",
    "one channel": "conv2d uses only one input channel: sum over all input channels c as well.",
    "differs": "conv2d {where} differs from torch.nn.functional.conv2d by up to {error:.3g}. Check the sum "
               "y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[n, c, i·s + u, j·s + v].",
}

_WRITE_IT = "the exercise is to write the convolution; F.conv2d is the oracle the check compares with."
_COUNT_IT = "the exercise asks you to work out the output size yourself."


def _is_float_size(err: Exception) -> bool:
    return isinstance(err, TypeError) and "float" in str(err)


def _check_conv2d(t: Trial) -> None:
    """A student's ``conv2d(x, weight, bias, stride, padding)`` against ``F.conv2d`` (cross-correlation)."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 7, 8, generator=g)
    b = torch.randn(4, generator=g)
    w3, w2 = torch.randn(4, 3, 3, 3, generator=g), torch.randn(4, 3, 2, 2, generator=g)
    for w, stride, padding in ((w3, 1, 0), (w3, 1, 1), (w3, 2, 1), (w3, 2, 0), (w2, 2, 1)):
        out = t.call(x, w, b, stride, padding)
        expected = F.conv2d(x, w, b, stride=stride, padding=padding)
        where = t.text("case", k=w.shape[-1], stride=stride, padding=padding)
        if torch.is_tensor(out) and out.shape != expected.shape:
            shapes = {"expected": tuple(expected.shape), "got": tuple(out.shape), "where": where}
            unpadded = F.conv2d(x, w, b, stride=stride)
            if out.shape == F.conv2d(x, w, b, padding=padding).shape and stride > 1:
                raise t.fail("ignores stride", **shapes)
            if out.shape == unpadded.shape and padding > 0:
                h, w_out = unpadded.shape[-2:]
                if torch.allclose(out, expected[..., :h, :w_out], atol=1e-4):
                    raise t.fail("unpadded size", **shapes)
                raise t.fail("ignores padding", **shapes)
            raise t.fail("output shape", **shapes)
        t.expect_tensor(out, expected)
        if torch.allclose(out, F.conv2d(x, w.flip(-1, -2), b, stride=stride, padding=padding), atol=1e-4):
            raise t.fail("flipped")
        if torch.allclose(out, F.conv2d(x, w, None, stride=stride, padding=padding), atol=1e-4):
            raise t.fail("no bias")
        if not torch.allclose(out, expected, atol=1e-4):
            h, w_out = expected.shape[-2:]
            if stride > 1 and torch.allclose(out, F.conv2d(x, w, b, padding=padding)[..., :h, :w_out], atol=1e-4):
                raise t.fail("window not strided", where=where)
            per_channel = [F.conv2d(x[:, c:c + 1], w[:, c:c + 1], None, stride=stride, padding=padding)
                           for c in range(3)]
            if any(torch.allclose(out - b[None, :, None, None], one, atol=1e-4) for one in per_channel):
                raise t.fail("one channel")
            raise t.fail("differs", where=where, error=(out - expected).abs().max().item())
    try:  # the notebook calls conv2d(image, kernel, padding=1): no bias
        out = t.call(x, w3, None, 1, 1)
    except CheckFailed as err:
        if err.key == "raised" and err.__cause__ is not None:
            raise t.fail("bias None", error=f"{type(err.__cause__).__name__}: {err.__cause__}") from err.__cause__
        raise
    expected = F.conv2d(x, w3, None, padding=1)
    t.expect_tensor(out, expected)
    if not torch.allclose(out, expected, atol=1e-4):
        raise t.fail("differs", where=t.text("no bias"), error=(out - expected).abs().max().item())


check_conv2d = Check("conv2d", _check_conv2d, CONV2D_HINTS, reference=_conv.conv2d,
                     forbidden={_conv.output_size: _COUNT_IT},
                     # every route to torch's convolution: F.conv2d, nn.Conv2d, conv_transpose2d, torch.convolution…
                     forbidden_ops={torch.ops.aten.convolution: _WRITE_IT},
                     errors={"float size": _is_float_size},
                     texts={"case": "with a {k}×{k} kernel, stride={stride}, padding={padding}",
                            "no bias": "with bias=None, stride=1, padding=1"})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: cross-entropy
# ---------------------------------------------------------------------------------------------------------------

CROSS_ENTROPY_HINTS = {
    "per example": "cross_entropy returns one value per example; the loss is their mean, a single number.",
    "raw scores": "cross_entropy uses the raw scores z_y without log-softmax: the loss is −log p(y | x), with "
                  "log p(y | x) = z_y − log Σ_k exp(z_k).",
    "no log": "cross_entropy uses the probability p(y | x) itself; the cross-entropy takes its logarithm: "
              "−log p(y | x).",
    "sum": "cross_entropy sums over the batch; take the mean, so that the loss does not grow with N.",
    "sign": "cross_entropy has the wrong sign: log p ≤ 0, so −log p(y | x) is positive and shrinks as p(y | x) → 1.",
    "batch softmax": "cross_entropy normalises over the batch (dim 0); the softmax runs over the classes, dim=1.",
    "differs": "cross_entropy gave {got:.4f}, expected {expected:.4f} = mean over n of −log softmax(z_n)[y_n].",
    "overflow": "cross_entropy overflows on large scores (logits (1000, 0, −1000), class 0, gave {got}; the answer is "
                "0): exp(1000) is inf in float32. log Σ_k exp(z_k) = m + log Σ_k exp(z_k − m) for any number m: "
                "which m makes every exponential at most 1?",
    "underflow": "cross_entropy gives {got} for logits (1000, 0, −1000) and class 2, where the answer is 2000: it "
                 "takes the log of a probability, exp(−2000), that rounds to 0, and log 0 = −inf. Compute "
                 "log p(y | x) directly, (z_y − m) − log Σ_k exp(z_k − m), without forming p.",
    "batch max": "cross_entropy subtracts one maximum for the whole batch: a row whose scores all lie far below it "
                 "(scores (1000, 0, −1000) and (−1000, −1000, −1000) gave {got}; the answer is {expected:.4f}) has "
                 "every exponential round to 0. Subtract each row's own maximum: logits.max(dim=1, keepdim=True).",
    "no gradient": "cross_entropy's result is cut off from autograd (it has no gradient): build it from torch "
                   "operations on the logits, not from Python numbers, NumPy or .item(), so that it can train a "
                   "network.",
}

_BY_HAND = "the exercise is to compute log p(y | x) yourself, with the log-sum-exp trick."


def _check_cross_entropy(t: Trial) -> None:
    """A student's ``cross_entropy(logits, target)`` against ``F.cross_entropy`` (mean over the batch), on scores so
    large that a naive exp overflows or a log of a probability underflows, and its gradient."""
    g = torch.Generator().manual_seed(3)
    logits = (torch.randn(6, 4, generator=g) * 2).requires_grad_()
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    out = t.call(logits, target)
    with torch.no_grad():
        expected = F.cross_entropy(logits, target)
    if torch.is_tensor(out) and out.shape == (6,):
        raise t.fail("per example")
    t.expect_tensor(out, expected)
    with torch.no_grad():
        z = logits.detach()
        picked = z.gather(1, target[:, None])[:, 0]
        p = torch.softmax(z, dim=1).gather(1, target[:, None])[:, 0]
        mistakes = {
            "raw scores": -picked.mean(),
            "no log": -p.mean(),
            "sum": expected * len(target),
            "sign": -expected,
            "batch softmax": -torch.log_softmax(z, 0).gather(1, target[:, None]).mean(),
        }
        value = out.detach().float()
        for key, wrong in mistakes.items():
            if torch.allclose(value, wrong, atol=1e-4):
                raise t.fail(key)
        if not torch.allclose(value, expected, atol=1e-4):
            raise t.fail("differs", got=value.item(), expected=expected.item())
    if not out.requires_grad:
        raise t.fail("no gradient")
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    out_big = t.call(big, torch.tensor([0]))
    if not torch.isfinite(out_big).all() or abs(out_big.item()) > 1e-3:
        raise t.fail("overflow", got=out_big.item())
    out_big = t.call(big, torch.tensor([2]))
    if not torch.isfinite(out_big).all() or abs(out_big.item() - 2000) > 1e-2:
        raise t.fail("underflow", got=out_big.item())
    two_rows = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    out_rows = t.call(two_rows, torch.tensor([0, 1]))
    expected_rows = F.cross_entropy(two_rows, torch.tensor([0, 1]))
    if not torch.isfinite(out_rows).all() or abs(out_rows.item() - expected_rows.item()) > 1e-3:
        raise t.fail("batch max", got=out_rows.item(), expected=expected_rows.item())


check_cross_entropy = Check("cross_entropy", _check_cross_entropy, CROSS_ENTROPY_HINTS, reference=_loss.cross_entropy,
                            forbidden={_loss.log_softmax: _BY_HAND, _loss.softmax: _BY_HAND},
                            # F.cross_entropy, F.log_softmax, torch.special.logsumexp, F.nll_loss…, by any route
                            forbidden_ops={torch.ops.aten._log_softmax: _BY_HAND, torch.ops.aten.logsumexp: _BY_HAND,
                                           torch.ops.aten.nll_loss_forward: _BY_HAND,
                                           torch.ops.aten.nll_loss2d_forward: _BY_HAND})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the fastest learning rate on the bowl (a derivation)
# ---------------------------------------------------------------------------------------------------------------

FASTEST_LEARNING_RATE_HINTS = {
    "not a number": "fastest_learning_rate should return one number, the learning rate η; got {got}.",
    "stability limit": "fastest_learning_rate returns 2/b, the largest η that still converges, not the fastest: "
                       "there |1 − η·b| = 1, so w₂ flips sign at every step without shrinking at all. Look for the η "
                       "where the two factors |1 − η·a| and |1 − η·b| balance.",
    "steep axis": "fastest_learning_rate returns 1/b: it zeroes w₂ in one step, but w₁ then shrinks by only "
                  "1 − a/b = {factor:.3f} per step (a = {a:g}, b = {b:g}). A larger η speeds up w₁ at the cost of some "
                  "overshoot along w₂: balance the two factors |1 − η·a| and |1 − η·b|.",
    "flat axis": "fastest_learning_rate returns 1/a: it zeroes w₁ in one step, but along the steep axis "
                 "|1 − b/a| = {factor:.3g} > 1 (a = {a:g}, b = {b:g}), so w₂ grows at every step: descent diverges.",
    "differs": "fastest_learning_rate({a:g}, {b:g}) gave η = {got:.4g}. One step then multiplies w₁ by "
               "|1 − η·a| = {fa:.3f} and w₂ by |1 − η·b| = {fb:.3f}: the slower axis shrinks by only {worst:.3f} per "
               "step, and another η makes the worse of the two factors smaller. Sketch both factors against η.",
}

_LEARNING_RATE_CASES = ((1.0, 8.0), (2.0, 3.0), (0.5, 10.0), (4.0, 4.0))  # curvatures (a, b), a ≤ b


def _check_fastest_learning_rate(t: Trial) -> None:
    """A student's ``fastest_learning_rate(a, b)`` against η* = 2/(a + b), which minimises max(|1 − ηa|, |1 − ηb|)
    (see ``coursekit.descent.fastest_learning_rate``)."""
    for a, b in _LEARNING_RATE_CASES:
        out = t.call(a, b)
        if out is None:
            raise t.fail("returns None")
        if torch.is_tensor(out) and out.numel() == 1:
            out = out.item()
        if isinstance(out, bool) or not isinstance(out, (int, float)):
            raise t.fail("not a number", got=repr(out) if len(repr(out)) < 40 else type(out).__name__)
        eta = float(out)
        if abs(eta - 2 / (a + b)) <= 1e-3 * 2 / (a + b):
            continue
        if abs(eta - 2 / b) < 1e-6:
            raise t.fail("stability limit")
        if abs(eta - 1 / b) < 1e-6:
            raise t.fail("steep axis", factor=1 - a / b, a=a, b=b)
        if abs(eta - 1 / a) < 1e-6:
            raise t.fail("flat axis", factor=abs(1 - b / a), a=a, b=b)
        fa, fb = abs(1 - eta * a), abs(1 - eta * b)
        raise t.fail("differs", a=a, b=b, got=eta, fa=fa, fb=fb, worst=max(fa, fb))


check_fastest_learning_rate = Check("fastest_learning_rate", _check_fastest_learning_rate, FASTEST_LEARNING_RATE_HINTS,
                                    reference=_descent.fastest_learning_rate)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 4: the minibatch training loop
# ---------------------------------------------------------------------------------------------------------------

TRAIN_HINTS = {
    "no step": "train never calls optimizer.step(), so the weights never change. Use the optimizer it is given (do "
               "not make a new one): after loss.backward(), optimizer.step() applies w ← w − η ∂L/∂w.",
    "losses": "train should return the list of its losses, one number per step; got {got}.",
    "graph kept": "train keeps the loss tensors themselves in its list: each one holds on to its whole computation "
                  "graph (every activation of its batch), so memory grows at every step. Keep the number: "
                  "losses.append(loss.item()).",
    "whole dataset": "train feeds the model all {n} examples at every step: that is full-batch descent, each step a "
                     "pass over the whole dataset. Draw batch_size random indices at every step and take those "
                     "images and labels.",
    "batch size": "train's minibatches hold {got} examples; batch_size = {expected} was asked.",
    "not from the data": "at step {step}, train feeds the model inputs that are not examples of `images`: pass the "
                         "batch's images to the model as they are, images[idx].",
    "step count": "train took {got} optimizer steps for steps = {steps}: one step per minibatch, `steps` of them.",
    "same batch": "train uses the same minibatch at every step (examples {indices}): it only ever learns from those "
                  "{size} examples. Draw new random indices at every step, inside the loop.",
    "in order": "train takes consecutive slices of the data (examples {first}…{last} at step 1, then the next ones): "
                "when the data are sorted, as here by label, each batch holds one or two classes and every step pulls "
                "the model towards them. Draw random indices with the generator.",
    "eval mode": "the model is in evaluation mode during training (dropout off): the model handed to train may just "
                 "have been evaluated, which calls model.eval(). Call model.train() in the loop.",
    "eval after callback": "from step {step} on, the model trains in evaluation mode: the callback evaluated it "
                           "(model.eval()) and the loop did not switch it back. Call model.train() at the start of "
                           "every step, not only once before the loop.",
    "no backward": "no gradient reaches the weights: train never calls backward() on the loss computed from the "
                   "model's output (calling it on a number rebuilt from loss.item(), or on a detached copy, reaches "
                   "no weight).",
    "order": "when train calls optimizer.step() at step {step}, the gradients are empty: zero_grad() ran after "
             "backward(), or step() before it. One step is: zero_grad(), forward pass, loss, loss.backward(), "
             "optimizer.step().",
    "no zero_grad": "train lets the gradients accumulate from step to step: at step {step} the optimizer sees the "
                    "sum of the gradients of all the steps so far, because loss.backward() adds into .grad. Call "
                    "optimizer.zero_grad() before backward() at every step.",
    "sum": "train's gradients are {factor:g} times too large: the loss it backpropagates sums over the batch. Use "
           "the mean over the batch, so that the size of a step does not depend on batch_size.",
    "gradient": "at step {step}, the gradient that train hands the optimizer is not that of the mean cross-entropy of "
                "the batch's images against their own labels (off by up to {error:.3g}). Take the images and the "
                "labels with the same indices, images[idx] and labels[idx], and the loss of the model's output on "
                "them.",
    "length": "train returns {got} losses for {steps} steps: append one loss per step.",
    "returned losses": "train's loss at step {step} is {got:.4f}, but the cross-entropy of that step's batch before "
                       "its update is {expected:.4f}: append loss.item() of the loss you backpropagate.",
    "callback": "train should call callback(step, losses) after every step, with step = 1, 2, …, steps and the list "
                "of the losses so far, this step's included (len(losses) == step); its calls, as (step, len(losses)), "
                "were {got}.",
    "callback None": "train fails when callback is None, its default ({error}): call it only when one is given, "
                     "`if callback is not None:`.",
    "generator": "train's minibatches change from one run to the next with the same generator: it draws them with "
                 "the global random generator. Pass generator=generator to torch.randint or torch.randperm, so that "
                 "a run can be repeated exactly.",
    "item": "train calls backward() on a Python number ({error}): loss.item() turns the loss into a float, cut off "
            "from the weights. Call loss.backward() on the loss tensor, and keep loss.item() only for the list.",
    "detached": "the loss that train hands to backward() is cut off from the weights ({error}): was it computed "
                "under torch.no_grad(), detached, or rebuilt from loss.item()? Backpropagate the loss computed "
                "from model(x).",
}

_WRITE_THE_LOOP = "the exercise is to write the loop yourself: zero_grad, forward, loss, backward, step."
TRAIN_EXAMPLES, TRAIN_CLASSES, TRAIN_BATCH, TRAIN_STEPS = 48, 4, 8, 5  # the check's data and its run
_GRADIENT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}  # float32 gradients of one linear layer


class _ProbeModel(nn.Module):
    """A linear classifier of 4×4 images that writes down every forward pass: (input, training mode, output)."""

    def __init__(self, log: list):
        super().__init__()
        self.linear = nn.Linear(16, TRAIN_CLASSES)
        self._log = log
        with torch.no_grad():  # fixed weights, from a generator of its own: the global random state is the student's
            g = torch.Generator().manual_seed(6)
            self.linear.weight.copy_(0.3 * torch.randn(TRAIN_CLASSES, 16, generator=g))
            self.linear.bias.copy_(0.1 * torch.randn(TRAIN_CLASSES, generator=g))
        for p in self.parameters():
            p.register_post_accumulate_grad_hook(lambda p: self._log.append(("backward",)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(x.flatten(1))
        self._log.append(("forward", x.detach().clone(), self.training, out.detach().clone()))
        return out


class _RecordingSGD:
    """Plain SGD, w ← w − η·w.grad, with an optimizer's interface (``zero_grad``, ``step``, ``param_groups``), that
    writes down at every ``step()`` the weights before the update and the gradients it sees."""

    def __init__(self, params, log: list, lr: float = 0.1):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self._log = log

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.param_groups[0]["params"]:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self, closure=None) -> None:
        group = self.param_groups[0]
        self._log.append(("step", [p.detach().clone() for p in group["params"]],
                          [None if p.grad is None else p.grad.detach().clone() for p in group["params"]]))
        for p in group["params"]:
            if p.grad is not None:
                p -= group["lr"] * p.grad


def _train_data():
    """48 distinct 4×4 images, sorted by label (12 of each of 4 classes), so that unshuffled batches show."""
    g = torch.Generator().manual_seed(4)
    images = torch.randn(TRAIN_EXAMPLES, 1, 4, 4, generator=g)
    labels = torch.arange(TRAIN_CLASSES).repeat_interleave(TRAIN_EXAMPLES // TRAIN_CLASSES)
    return images, labels


def _run_train(t: Trial, images, labels, seed: int, callback: bool):
    """Run the student's loop on a fresh probe model handed over in evaluation mode, the global random generator
    seeded with ``seed``; return (what it returned, the log of events, the callback's calls)."""
    log, calls = [], []
    model = _ProbeModel(log).eval()  # as after an evaluation
    optimizer = _RecordingSGD(model.parameters(), log)

    def on_step(step, losses):  # as the notebook's live plot does: it evaluates the model
        calls.append((step, len(losses) if isinstance(losses, (list, tuple)) else type(losses).__name__))
        log.append(("callback",))
        model.eval()

    torch.manual_seed(seed)  # the check runs in a fork of the student's random state (core.Check.outcome)
    out = t.call(model, optimizer, images, labels, TRAIN_STEPS, TRAIN_BATCH, torch.Generator().manual_seed(5),
                 callback=on_step if callback else None)
    return out, log, calls


def _batches(log, images):
    """For every optimizer step: (its index k from 1, the last forward pass before it or None, the step's record)."""
    steps, last = [], None
    for event in log:
        if event[0] == "forward":
            last = event
        elif event[0] == "step":
            steps.append((len(steps) + 1, last, event))
    return steps


def _indices(x: torch.Tensor, images: torch.Tensor) -> list[int] | None:
    """The index in ``images`` of every row of the batch ``x``, or None when a row is not one of them."""
    flat, rows = images.flatten(1), x.flatten(1)
    if rows.shape[1] != flat.shape[1]:
        return None
    found = []
    for row in rows:
        match = (flat == row).all(dim=1).nonzero()
        if len(match) == 0:
            return None
        found.append(int(match[0]))
    return found


def _is_item_backward(err: Exception) -> bool:
    return isinstance(err, AttributeError) and "backward" in str(err) and "float" in str(err)


def _is_detached(err: Exception) -> bool:
    return isinstance(err, RuntimeError) and "does not require grad" in str(err)


def _is_none_callback(err: Exception) -> bool:
    return isinstance(err, TypeError) and "'NoneType' object is not callable" in str(err)


def _check_train(t: Trial) -> None:
    """A student's ``train(model, optimizer, images, labels, steps, batch_size, generator, callback)`` run on a
    linear probe model that records every forward pass, with an SGD that records the gradients at every step: the
    batches, the training mode, the gradient of each step (against the mean cross-entropy of its batch), the losses
    returned and the callback's calls; then run again, to see that the generator alone decides the batches."""
    images, labels = _train_data()
    out, log, calls = _run_train(t, images, labels, seed=0, callback=True)
    steps = _batches(log, images)
    if not steps:
        raise t.fail("no step")
    if out is None:
        raise t.fail("returns None")
    if torch.is_tensor(out) and out.dim() == 1:
        out = list(out)
    if not isinstance(out, (list, tuple)):
        raise t.fail("losses", got=type(out).__name__)
    if any(torch.is_tensor(v) and v.requires_grad for v in out):
        raise t.fail("graph kept")
    forwards = [e for e in log if e[0] == "forward"]
    for e in forwards:
        if e[1].shape[0] == TRAIN_EXAMPLES:
            raise t.fail("whole dataset", n=TRAIN_EXAMPLES)
        if e[1].shape[0] != TRAIN_BATCH:
            raise t.fail("batch size", got=e[1].shape[0], expected=TRAIN_BATCH)
    if len(steps) != TRAIN_STEPS:
        raise t.fail("step count", got=len(steps), steps=TRAIN_STEPS)
    batches = []
    for k, forward, _ in steps:
        idx = None if forward is None else _indices(forward[1], images)
        if forward is not None and idx is None:
            raise t.fail("not from the data", step=k)
        batches.append(idx)
    known = [b for b in batches if b is not None]
    if len(known) > 1 and all(b == known[0] for b in known):
        raise t.fail("same batch", indices=known[0], size=len(known[0]))
    if known and all(b == list(range(b[0], b[0] + len(b))) for b in known):
        raise t.fail("in order", first=known[0][0], last=known[0][-1])
    for k, forward, _ in steps:
        if forward is not None and not forward[2]:
            raise t.fail("eval mode" if k == 1 else "eval after callback", step=k)
    # the gradient each step sees, against the mean cross-entropy of its batch at the weights before its update
    if all(g is None or not g.any() for _, _, (_, _, grads) in steps for g in grads) and \
            not any(e[0] == "backward" for e in log):
        raise t.fail("no backward")
    expected_losses, total = [], None
    for (k, forward, (_, params, grads)), idx in zip(steps, batches):
        if forward is None or any(g is None or not g.any() for g in grads):
            raise t.fail("order", step=k)
        weight, bias = (p.clone().requires_grad_() for p in params)
        loss = F.cross_entropy(forward[1].flatten(1) @ weight.T + bias, labels[idx])
        truth = torch.autograd.grad(loss, [weight, bias])
        expected_losses.append(loss.item())
        total = list(truth) if total is None else [s + g for s, g in zip(total, truth)]
        if all(torch.allclose(g, e, **_GRADIENT_TOLERANCE) for g, e in zip(grads, truth)):
            continue
        if k > 1 and all(torch.allclose(g, s, **_GRADIENT_TOLERANCE) for g, s in zip(grads, total)):
            raise t.fail("no zero_grad", step=k)
        if all(torch.allclose(g, TRAIN_BATCH * e, **_GRADIENT_TOLERANCE) for g, e in zip(grads, truth)):
            raise t.fail("sum", factor=TRAIN_BATCH)
        raise t.fail("gradient", step=k, error=max((g - e).abs().max().item() for g, e in zip(grads, truth)))
    if len(out) != TRAIN_STEPS:
        raise t.fail("length", got=len(out), steps=TRAIN_STEPS)
    for k, (got, expected) in enumerate(zip(out, expected_losses), 1):
        if abs(float(got) - expected) > 1e-4 * max(1.0, abs(expected)):
            raise t.fail("returned losses", step=k, got=float(got), expected=expected)
    if calls != [(k, k) for k in range(1, TRAIN_STEPS + 1)]:
        raise t.fail("callback", got=", ".join(f"({s}, {n})" for s, n in calls[:6]) if calls else "none")
    _, again, _ = _run_train(t, images, labels, seed=1, callback=False)
    if [_indices(f[1], images) for _, f, _ in _batches(again, images) if f is not None] != known:
        raise t.fail("generator")


check_train = Check("train", _check_train, TRAIN_HINTS, reference=_training.train_loop,
                    forbidden={_training.fit: _WRITE_THE_LOOP, _training.train_step: _WRITE_THE_LOOP},
                    errors={"item": _is_item_backward, "detached": _is_detached, "callback None": _is_none_callback})
