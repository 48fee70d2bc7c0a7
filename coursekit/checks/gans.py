"""Checks of notebook 07's exercises: the discriminator's step (it trains the 2-D GANs and the live DCGAN), the
pix2pix generator's loss (it trains the live pix2pix run) and the running average of G's weights (it averages that
run's G)."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from coursekit import gan as _gan
from coursekit import pix2pix as _pix2pix
from coursekit.checks.core import Check, Trial

__all__ = ["check_discriminator_step", "check_generator_loss", "check_update_average"]  # exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the discriminator's loss and step
# ---------------------------------------------------------------------------------------------------------------

DISCRIMINATOR_STEP_HINTS = {
    "not a dict": "discriminator_step should return a dict of three numbers, {{\"d\": D's loss, \"d_real\": mean "
                  "D(x), \"d_fake\": mean D(G(z))}}; got {got}.",
    "keys": "discriminator_step's dict needs exactly the keys \"d\", \"d_real\" and \"d_fake\"; got {got}.",
    "not numbers": "discriminator_step: {entry!r} should be one number (a Python float: a mean, then .item()), "
                   "got {got}.",
    "changed G": "discriminator_step changed G's parameters. D's step trains D only: step d_optimizer, which holds "
                 "D's parameters and nothing else, and do not update G's weights yourself.",
    "no detach": "discriminator_step sends gradients back into G: the fakes are still attached to G's graph, so "
                 "backward() on D's loss reaches G's weights (and, without retain_graph, frees the graph that G's "
                 "own step needs next). Score `fake.detach()`, not `fake`.",
    "no step": "discriminator_step left D's parameters as they were. After loss.backward(), call d_optimizer.step(); "
               "and zero the gradients *before* backward(), not between backward() and step().",
    "stale gradients": "discriminator_step did not clear the gradients already stored in D's parameters, so D's "
                       "update added them to its own. In training they are there at every step: G's step "
                       "backpropagates through D. Call d_optimizer.zero_grad() before loss.backward().",
    "labels swapped": "discriminator_step trains D with swapped labels (real → 0, fake → 1). D is a classifier "
                      "that says \"real\" for the real points: real logits against 1 (torch.ones_like), fake logits "
                      "against 0 (torch.zeros_like).",
    "sign": "discriminator_step climbs its loss instead of descending it: D got worse at telling real from fake. D "
            "maximises log D(x) + log(1 − D(G(z))); an optimizer minimises, so minimise its negative, the "
            "cross-entropy −log D(x) − log(1 − D(G(z))).",
    "real only": "discriminator_step learns from the real points only: D's update has no part from the fakes. Add "
                 "the term −mean log(1 − D(G(z))); and if you scored the fakes under torch.no_grad(), that cut D's "
                 "gradient too: detach the fakes instead, gan.score(fake.detach()).",
    "fake only": "discriminator_step learns from the fakes only: add the real points' term −mean log D(x), the "
                 "cross-entropy of the real logits against 1.",
    "double sigmoid": "discriminator_step applies a sigmoid to logits that binary_cross_entropy_with_logits "
                      "already passes through one: give it the raw scores gan.score(...), or use "
                      "F.binary_cross_entropy on probabilities, not both.",
    "half": "discriminator_step's update is half the expected one: D's loss here is the *sum* of the real and the "
            "fake terms, each a mean over its batch (a single mean over the real and fake logits together is half "
            "of it; pix2pix halves D's loss on purpose, this GAN does not).",
    "differs": "discriminator_step moved D's parameters, but not as one step of d_optimizer on D's loss −mean "
               "log D(x) − mean log(1 − D(G(z))) would (the update differs by up to {error:.3g}). Score the real and "
               "fake points you are given with gan.score, then zero the gradients, backward, step.",
    "loss value": "discriminator_step returns \"d\" = {got:.4g}, expected D's loss before its step, {expected:.4g}: "
                  "−mean log D(x) − mean log(1 − D(G(z))), returned as loss.item().",
    "logits": "discriminator_step returns \"d_real\" and \"d_fake\" as mean logits ({got_real:.3g}, {got_fake:.3g}); "
              "they should be D's mean probabilities, the mean of torch.sigmoid(logits): {real:.3g} and "
              "{fake:.3g}.",
    "probabilities": "discriminator_step returns d_real = {got_real:.3g}, d_fake = {got_fake:.3g}; expected D's mean "
                     "probabilities before its step, mean sigmoid(logits) on the real and on the fake points: "
                     "{real:.3g} and {fake:.3g}.",
}

STEP_LR = 1.0  # the check steps D with plain SGD at this rate, so that D's update is minus the gradient it used


def _step_problem():
    """A small 2-D GAN, SGD for D with gradients already in D's parameters (as G's step leaves them), a batch of real
    points and G's samples still attached to G's graph. Seeded, without touching the global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(17)
        gan = _gan.GAN2D(_gan.GAN2DConfig(hidden=16, layers=2))
    g = torch.Generator().manual_seed(17)
    real = torch.randn(24, 2, generator=g) * 0.05 + torch.tensor([1.0, 0.0])
    fake = gan.generator(torch.randn(24, 2, generator=g))
    optimizer = torch.optim.SGD(gan.discriminator.parameters(), lr=STEP_LR)
    for p in gan.discriminator.parameters():
        p.grad = 0.5 * torch.randn(p.shape, generator=g)
    return gan, optimizer, real, fake


def _d_gradients(gan, real, fake, form: str) -> list[torch.Tensor]:
    """The gradients w.r.t. D's parameters of D's loss (``form`` "right") or of a typical wrong one."""
    params = list(gan.discriminator.parameters())
    r, f = gan.score(real), gan.score(fake.detach())

    def bce(logits, label):
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))

    loss = {
        "right": lambda: bce(r, 1.0) + bce(f, 0.0),
        "labels swapped": lambda: bce(r, 0.0) + bce(f, 1.0),
        "sign": lambda: -(bce(r, 1.0) + bce(f, 0.0)),
        "real only": lambda: bce(r, 1.0),
        "fake only": lambda: bce(f, 0.0),
        "double sigmoid": lambda: bce(torch.sigmoid(r), 1.0) + bce(torch.sigmoid(f), 0.0),
        "half": lambda: 0.5 * (bce(r, 1.0) + bce(f, 0.0)),
    }[form]()
    return list(torch.autograd.grad(loss, params))


def _check_discriminator_step(t: Trial) -> None:
    """A student's ``discriminator_step(gan, d_optimizer, real, fake)`` on a small 2-D GAN, stepped with SGD: G must
    not move nor get gradients, D's update must be minus the gradient of D's loss, and the numbers returned must be
    D's loss and mean probabilities before the step."""
    gan, optimizer, real, fake = _step_problem()
    g_before = [p.detach().clone() for p in gan.generator.parameters()]
    d_before = [p.detach().clone() for p in gan.discriminator.parameters()]
    stale = [p.grad.clone() for p in gan.discriminator.parameters()]
    reference = copy.deepcopy(gan)  # D as it was, for the expected loss and gradients
    with torch.no_grad():
        real_logits, fake_logits = reference.score(real), reference.score(fake)
    out = t.call(gan, optimizer, real, fake)

    # G: untouched, and its graph still usable by G's step
    if any(not torch.equal(a, p) for a, p in zip(g_before, gan.generator.parameters())):
        raise t.fail("changed G")
    if any(p.grad is not None and p.grad.abs().sum() > 0 for p in gan.generator.parameters()):
        raise t.fail("no detach")
    try:
        torch.autograd.grad(fake.sum(), list(gan.generator.parameters()))
    except RuntimeError:
        raise t.fail("no detach") from None

    # D: one SGD step of rate STEP_LR on D's loss, from fresh gradients
    used = [(a - p.detach()) / STEP_LR for a, p in zip(d_before, gan.discriminator.parameters())]
    if all(torch.equal(a, p) for a, p in zip(d_before, gan.discriminator.parameters())):
        raise t.fail("no step")

    def same(grads):
        return all(torch.allclose(u, v, rtol=1e-3, atol=1e-5) for u, v in zip(used, grads))

    right = _d_gradients(reference, real, fake, "right")
    if not same(right):
        if same([r + s for r, s in zip(right, stale)]):
            raise t.fail("stale gradients")
        for form in ("labels swapped", "sign", "real only", "fake only", "double sigmoid", "half"):
            wrong = _d_gradients(reference, real, fake, form)
            if same(wrong) or same([w + s for w, s in zip(wrong, stale)]):
                raise t.fail(form)
        raise t.fail("differs", error=max((u - v).abs().max().item() for u, v in zip(used, right)))

    # what it returns: D's loss and its mean probabilities before the step
    if out is None:
        raise t.fail("returns None")
    if not isinstance(out, dict):
        raise t.fail("not a dict", got=type(out).__name__)
    if set(out) != {"d", "d_real", "d_fake"}:
        raise t.fail("keys", got=sorted(out))
    values = {}
    for key, value in out.items():
        if torch.is_tensor(value) and value.numel() == 1:
            value = value.item()
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise t.fail("not numbers", entry=key, got=type(value).__name__ if not torch.is_tensor(value)
                         else f"a tensor of shape {tuple(value.shape)}")
        values[key] = float(value)
    expected = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))).item()
    if abs(values["d"] - expected) > 1e-4 * max(1.0, abs(expected)):
        raise t.fail("loss value", got=values["d"], expected=expected)
    real_p, fake_p = torch.sigmoid(real_logits).mean().item(), torch.sigmoid(fake_logits).mean().item()
    if abs(values["d_real"] - real_p) > 1e-5 or abs(values["d_fake"] - fake_p) > 1e-5:
        if abs(values["d_real"] - real_logits.mean().item()) < 1e-5 and abs(values["d_fake"] -
                                                                            fake_logits.mean().item()) < 1e-5:
            raise t.fail("logits", got_real=values["d_real"], got_fake=values["d_fake"], real=real_p, fake=fake_p)
        raise t.fail("probabilities", got_real=values["d_real"], got_fake=values["d_fake"], real=real_p, fake=fake_p)


check_discriminator_step = Check("discriminator_step", _check_discriminator_step, DISCRIMINATOR_STEP_HINTS,
                                 reference=_gan.discriminator_step,
                                 forbidden={_gan.train_step: "it steps G too: write D's step alone.",
                                            _gan.discriminator_loss: "it is D's loss, the part to write: compute it "
                                                                     "with F.binary_cross_entropy_with_logits."})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: the pix2pix generator's loss
# ---------------------------------------------------------------------------------------------------------------

GENERATOR_LOSS_HINTS = {
    "not a scalar": "generator_loss should return one number as a tensor (a scalar to call .backward() on), got "
                    "{got}.",
    "saturating": "generator_loss: G minimises log(1 − D(G(x))), the saturating loss: with D = σ(a), its derivative "
                  "with respect to the logit a is −σ(a), which vanishes when D spots the fakes easily (σ(a) ≈ 0), "
                  "which is how training starts. Minimise −log D(G(x)) instead, of derivative −(1 − σ(a)) ≈ −1 "
                  "there: binary cross-entropy of the fake logits against the label 1 (real).",
    "label zero": "generator_loss scores the fakes against the label 0, which is D's target for them: G would then "
                  "help D. G wants D to call its images real: binary cross-entropy of the fake logits against the "
                  "label 1.",
    "no lambda": "generator_loss: the L1 term is not weighted: multiply it by lam (λ = 100 in the paper), otherwise "
                 "the GAN term drowns it and the colours drift.",
    "fixed lambda": "generator_loss weighs the distance by a fixed number, not by its argument lam (called with "
                    "lam = {lam:g}, it gave the value for another λ): use lam, whose default is pix2pix's 100.",
    "L2": "generator_loss: the reconstruction term is squared (L2). Where several outputs are plausible, L2 is "
          "smallest at their mean: dull colours and blur, as in notebook 05. pix2pix uses L1, the mean of "
          "|y − G(x)|, smallest at their median, which blurs less.",
    "mean probability": "generator_loss: the log is taken of D's *mean* probability; take the mean of −log D over the "
                        "patches: binary cross-entropy of each logit against 1, then the mean.",
    "L1 sum": "generator_loss: the L1 term sums over pixels; take the mean of |y − G(x)| so that λ = 100 means the "
              "same at any size.",
    "differs": "generator_loss returns {got:.4g}, expected {expected:.4g} for logits of shape {logits}, images of "
               "shape {images} and λ = {lam:g}.",
}


def _generator_loss_forms(logits: torch.Tensor, fake: torch.Tensor, target: torch.Tensor, lam: float):
    """G's loss with each choice of the cGAN term and of the distance: ({key: cGAN term}, {key: λ · distance}), the
    right choice under "right", each wrong one under the key of its hint."""
    gan = {
        "right": F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)),
        "saturating": torch.log1p(-torch.sigmoid(logits)).mean(),
        "label zero": F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)),
        "mean probability": -torch.log(torch.sigmoid(logits).mean()),
    }
    l1, l2 = (fake - target).abs(), (fake - target) ** 2
    distance = {
        "right": lam * l1.mean(),
        "no lambda": l1.mean(),
        "L2": lam * l2.mean(),
        "L2, no lambda": l2.mean(),
        "L2, sum": lam * l2.sum(),
        "L1 sum": lam * l1.sum(),
    }
    return gan, distance


def _check_generator_loss(t: Trial) -> None:
    """A student's ``generator_loss(fake_logits, fake, target, lam)`` against ``coursekit.pix2pix``'s. A wrong cGAN
    term is named first (the hints for the distance follow once it is right), whatever the distance."""
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(2, 1, 6, 6, generator=g) * 2
    fake, target = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 16, 16, generator=g)
    for lam in (100.0, 10.0):
        out = t.call(logits, fake, target, lam)
        if out is None:
            raise t.fail("returns None")
        if not torch.is_tensor(out) or out.numel() != 1:
            raise t.fail("not a scalar",
                         got=f"{type(out).__name__} {tuple(out.shape) if torch.is_tensor(out) else ''}")
        out = out.reshape(()).detach()
        expected = _pix2pix.generator_loss(logits, fake, target, lam)
        if torch.allclose(out, expected, rtol=1e-4, atol=1e-5):
            continue
        if lam != 100.0 and torch.allclose(out, _pix2pix.generator_loss(logits, fake, target, 100.0), rtol=1e-4,
                                           atol=1e-5):
            raise t.fail("fixed lambda", lam=lam)
        gan, distance = _generator_loss_forms(logits, fake, target, lam)
        for g_key, g_value in gan.items():
            for d_key, d_value in distance.items():
                if torch.allclose(out, g_value + d_value, rtol=1e-4, atol=1e-5):
                    raise t.fail(g_key if g_key != "right" else d_key.split(",")[0])
        raise t.fail("differs", got=out.item(), expected=expected.item(), logits=tuple(logits.shape),
                     images=tuple(fake.shape), lam=lam)


check_generator_loss = Check("generator_loss", _check_generator_loss, GENERATOR_LOSS_HINTS,
                             reference=_pix2pix.generator_loss,
                             forbidden={_gan.non_saturating_loss: "it is the cGAN term, half of what to write: "
                                                                  "compute it with "
                                                                  "F.binary_cross_entropy_with_logits."})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the running average of G's weights
# ---------------------------------------------------------------------------------------------------------------

UPDATE_AVERAGE_HINTS = {
    "returns a copy": "update_average returns a new network (or new tensors) and leaves `average` as it was. The "
                      "notebook keeps using the same `average`: change its tensors in place, e.g. "
                      "a.mul_(beta).add_(p, alpha=1 - beta), and return nothing.",
    "unchanged": "update_average left `average` as it was. `a = beta * a + (1 - beta) * p` only gives the name a a "
                 "new tensor; write into the tensor itself: a.mul_(beta).add_(p, alpha=1 - beta), or "
                 "a.copy_(beta * a + (1 - beta) * p).",
    "changed the model": "update_average changed the model's own weights ({tensor}). The average follows the model "
                         "and must not pull it back: update only the tensors of `average`.",
    "copied": "update_average makes the average a copy of the model's current weights: θ̄ ← θ. Keep most of the "
              "old average: θ̄ ← β θ̄ + (1 − β) θ, with β close to 1.",
    "swapped": "update_average swaps the weights: θ̄ ← (1 − β) θ̄ + β θ moves the average almost all the way to the "
               "model at every step. With β close to 1 the average keeps β of itself: θ̄ ← β θ̄ + (1 − β) θ.",
    "parameters only": "update_average averages the parameters but not the buffers ({tensor} did not follow). "
                       "BatchNorm's running mean and variance are buffers (model.buffers()), and the averaged G uses "
                       "them in eval mode: average the floating-point buffers too.",
    "buffers copied": "update_average copies BatchNorm's running statistics ({tensor}) instead of averaging them: "
                      "average the floating-point buffers like the parameters, so that they match the averaged "
                      "weights.",
    "no grad": "update_average changes parameters that require gradients in place, which autograd refuses "
               "({error}). The average is not trained: do the update inside `with torch.no_grad():`.",
    "integer buffer": "update_average multiplies an integer buffer by β ({error}): BatchNorm's num_batches_tracked "
                      "counts batches. Average only the floating-point tensors (t.is_floating_point()); copy or skip "
                      "the others.",
    "differs": "update_average: after {step} update(s), {tensor} of the average differs from β θ̄ + (1 − β) θ by up to "
               "{error:.3g} (β = {beta}).",
}

AVERAGE_BETA = 0.9  # not 0.5, where β θ̄ + (1 − β) θ and its swap agree


def _small_generator():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(23)
        return _pix2pix.UNetGenerator(_pix2pix.UNetConfig(in_channels=1, out_channels=1, depth=3, width=4))


def _floating_state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}


def _check_update_average(t: Trial) -> None:
    """A student's ``update_average(average, model, beta)`` against ``coursekit.pix2pix.weight_average`` (torch's
    AveragedModel with an EMA) over three updates, each after the model's weights and BatchNorm statistics moved."""
    model = _small_generator()
    average = copy.deepcopy(model)  # θ̄₀ = θ₀, as the notebook starts it
    oracle = _pix2pix.weight_average(model, AVERAGE_BETA)
    oracle.update_parameters(model)  # AveragedModel's first update copies θ₀
    buffers = {k for k, _ in model.named_buffers()}
    g = torch.Generator().manual_seed(23)
    b = AVERAGE_BETA
    for step in range(1, 4):
        with torch.no_grad():  # a training step: new weights, new BatchNorm statistics, one more batch counted
            for name, tensor in model.state_dict().items():
                if tensor.is_floating_point():
                    tensor.add_(0.1 * torch.randn(tensor.shape, generator=g))
                    if name.endswith("running_var"):
                        tensor.abs_()
                else:
                    tensor.add_(1)
        old, now = _floating_state(average), _floating_state(model)
        out = t.call(average, model, b)
        oracle.update_parameters(model)
        for name, value in _floating_state(model).items():
            if not torch.equal(value, now[name]):
                raise t.fail("changed the model", tensor=name)
        got, expected = _floating_state(average), _floating_state(oracle.module)
        if all(torch.allclose(got[k], expected[k], rtol=1e-5, atol=1e-6) for k in expected):
            continue

        def matches(form, names):
            return all(torch.allclose(got[k], form(k), rtol=1e-5, atol=1e-6) for k in names)

        params = [k for k in expected if k not in buffers]
        floats = [k for k in expected if k in buffers]
        if matches(lambda k: old[k], expected):
            raise t.fail("unchanged" if out is None else "returns a copy")
        if matches(lambda k: now[k], expected):
            raise t.fail("copied")
        if matches(lambda k: (1 - b) * old[k] + b * now[k], params):
            raise t.fail("swapped")
        if matches(lambda k: expected[k], params):
            if matches(lambda k: now[k], floats):
                raise t.fail("buffers copied", tensor=next(k for k in floats))
            stuck = next(k for k in floats if not torch.allclose(got[k], expected[k], rtol=1e-5, atol=1e-6))
            raise t.fail("parameters only", tensor=stuck)
        name = next(k for k in expected if not torch.allclose(got[k], expected[k], rtol=1e-5, atol=1e-6))
        raise t.fail("differs", step=step, tensor=name, error=(got[name] - expected[name]).abs().max().item(), beta=b)


def _in_place_on_a_leaf(err: Exception) -> bool:
    return "leaf Variable that requires grad" in str(err)


def _float_into_integer(err: Exception) -> bool:
    return "can't be cast to the desired output type Long" in str(err)


_WRITE_IT = "the exercise is to write the update yourself, a loop over the tensors."
check_update_average = Check("update_average", _check_update_average, UPDATE_AVERAGE_HINTS,
                             reference=_pix2pix.update_average,
                             forbidden={_pix2pix.weight_average: _WRITE_IT,
                                        torch.optim.swa_utils.AveragedModel.update_parameters: _WRITE_IT,
                                        torch.optim.swa_utils.get_ema_multi_avg_fn: _WRITE_IT},
                             errors={"no grad": _in_place_on_a_leaf, "integer buffer": _float_into_integer})
