"""Notebook 07's checks: the mistakes their hints name (fed to them in test_checks.py): the discriminator's step, the
pix2pix generator's loss and the running average of G's weights."""

import copy

import pytest
import torch
import torch.nn.functional as F

from coursekit.checks import CheckFailed
from coursekit.checks.gans import check_discriminator_step, check_generator_loss, check_update_average

# ---------------------------------------------------------------------------------------------------------------
# discriminator_step
# ---------------------------------------------------------------------------------------------------------------


def _bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def _d_step(gan, d_optimizer, real, fake, loss=lambda r, f: _bce(r, 1.0) + _bce(f, 0.0), detach=True, zero=True,
            zero_after_backward=False, report=None):
    """D's step with switchable mistakes (the defaults are right). ``report(loss, real_logits, fake_logits, gan)``
    builds the dict returned."""
    real_logits = gan.score(real)
    fake_logits = gan.score(fake.detach() if detach else fake)
    d_loss = loss(real_logits, fake_logits)
    if zero:
        d_optimizer.zero_grad()
    d_loss.backward()
    if zero_after_backward:
        d_optimizer.zero_grad()
    d_optimizer.step()
    if report is not None:
        return report(d_loss, real_logits, fake_logits, gan)
    return {"d": d_loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}


def _steps_g_too(gan, d_optimizer, real, fake):
    everything = torch.optim.SGD(gan.parameters(), lr=0.1)  # D's and G's parameters
    return _d_step(gan, everything, real, fake, detach=False)


def _fakes_under_no_grad(gan, d_optimizer, real, fake):
    real_logits = gan.score(real)
    with torch.no_grad():
        fake_logits = gan.score(fake)
    d_loss = _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    return {"d": d_loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}


def _one_mean_over_both(gan, d_optimizer, real, fake):
    logits = torch.cat([gan.score(real), gan.score(fake.detach())])
    labels = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))])
    d_loss = F.binary_cross_entropy_with_logits(logits, labels)
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    n = len(real)
    return {"d": d_loss.item(), "d_real": torch.sigmoid(logits[:n]).mean().item(),
            "d_fake": torch.sigmoid(logits[n:]).mean().item()}


def _after_the_step(loss, real_logits, fake_logits, gan, real=None, fake=None):
    return {"d": loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}


def _report_after_step(gan, d_optimizer, real, fake):
    _d_step(gan, d_optimizer, real, fake)
    with torch.no_grad():
        r, f = gan.score(real), gan.score(fake)
    return {"d": (_bce(r, 1.0) + _bce(f, 0.0)).item(), "d_real": torch.sigmoid(r).mean().item(),
            "d_fake": torch.sigmoid(f).mean().item()}


def _probabilities_after_step(gan, d_optimizer, real, fake):
    out = _d_step(gan, d_optimizer, real, fake)
    with torch.no_grad():
        out["d_real"], out["d_fake"] = (torch.sigmoid(gan.score(real)).mean().item(),
                                        torch.sigmoid(gan.score(fake)).mean().item())
    return out


DISCRIMINATOR_STEP = {
    "not a dict": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, report=lambda d, r, f, g: d.item()),
    "keys": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, report=lambda d, r, f, g: {
        "loss": d.item(), "real": torch.sigmoid(r).mean().item(), "fake": torch.sigmoid(f).mean().item()}),
    "not numbers": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, report=lambda d, r, f, g: {
        "d": d.item(), "d_real": torch.sigmoid(r).detach(), "d_fake": torch.sigmoid(f).detach()}),  # no mean
    "changed G": _steps_g_too,
    "no detach": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, detach=False),
    "no step": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, zero_after_backward=True),
    "stale gradients": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, zero=False),
    "labels swapped": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake,
                                                           loss=lambda r, f: _bce(r, 0.0) + _bce(f, 1.0)),
    "sign": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, loss=lambda r, f: (
        torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean())),  # the game's value, minimised
    "real only": _fakes_under_no_grad,
    "fake only": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, loss=lambda r, f: _bce(f, 0.0)),
    "double sigmoid": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, loss=lambda r, f: (
        _bce(torch.sigmoid(r), 1.0) + _bce(torch.sigmoid(f), 0.0))),
    "half": _one_mean_over_both,
    "differs": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake,
                                                    loss=lambda r, f: 2 * _bce(r, 1.0) + _bce(f, 0.0)),
    "loss value": _report_after_step,
    "logits": lambda gan, opt, real, fake: _d_step(gan, opt, real, fake, report=lambda d, r, f, g: {
        "d": d.item(), "d_real": r.mean().item(), "d_fake": f.mean().item()}),
    "probabilities": _probabilities_after_step,
}

# ---------------------------------------------------------------------------------------------------------------
# generator_loss
# ---------------------------------------------------------------------------------------------------------------


def _gan(logits, label=1.0):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def _l1(fake, target):
    return (fake - target).abs().mean()


GENERATOR_LOSS = {
    "not a scalar": lambda lo, f, t, lam: torch.stack([_gan(lo), lam * _l1(f, t)]),
    "saturating": lambda lo, f, t, lam: torch.log1p(-torch.sigmoid(lo)).mean() + lam * _l1(f, t),
    "label zero": lambda lo, f, t, lam: _gan(lo, 0.0) + lam * _l1(f, t),
    "no lambda": lambda lo, f, t, lam: _gan(lo) + _l1(f, t),
    "L2": lambda lo, f, t, lam: _gan(lo) + lam * ((f - t) ** 2).mean(),
    "mean probability": lambda lo, f, t, lam: -torch.log(torch.sigmoid(lo).mean()) + lam * _l1(f, t),
    "L1 sum": lambda lo, f, t, lam: _gan(lo) + lam * (f - t).abs().sum(),
    "fixed lambda": lambda lo, f, t, lam: _gan(lo) + 100 * _l1(f, t),
    "differs": lambda lo, f, t, lam: _gan(lo) + 10 * lam * _l1(f, t),
}

# ---------------------------------------------------------------------------------------------------------------
# update_average
# ---------------------------------------------------------------------------------------------------------------


def _pairs(average, model, buffers=True):
    mine = list(average.parameters()) + (list(average.buffers()) if buffers else [])
    theirs = list(model.parameters()) + (list(model.buffers()) if buffers else [])
    return zip(mine, theirs)


def _update(average, model, beta, new=lambda a, p, beta: beta * a + (1 - beta) * p, buffers="average"):
    """The update with switchable mistakes (the defaults are right)."""
    with torch.no_grad():
        for a, p in _pairs(average, model, buffers=False):
            a.copy_(new(a, p, beta))
        if buffers == "skip":
            return
        for a, p in zip(average.buffers(), model.buffers()):
            if not a.is_floating_point() or buffers == "copy":
                a.copy_(p)
            else:
                a.copy_(new(a, p, beta))


def _returns_a_copy(average, model, beta):
    fresh = copy.deepcopy(average)
    _update(fresh, model, beta)
    return fresh


def _rebinds(average, model, beta):
    with torch.no_grad():
        for a, p in _pairs(average, model):
            if a.is_floating_point():
                a = beta * a + (1 - beta) * p


def _moves_the_model(average, model, beta):
    with torch.no_grad():
        for a, p in _pairs(average, model):
            if a.is_floating_point():
                p.mul_(beta).add_(a, alpha=1 - beta)


def _without_no_grad(average, model, beta):
    for a, p in _pairs(average, model):
        a.mul_(beta).add_(p, alpha=1 - beta)


def _integers_too(average, model, beta):
    with torch.no_grad():
        for a, p in _pairs(average, model):
            a.mul_(beta).add_(p, alpha=1 - beta)


UPDATE_AVERAGE = {
    "returns a copy": _returns_a_copy,
    "unchanged": _rebinds,
    "changed the model": _moves_the_model,
    "copied": lambda average, model, beta: _update(average, model, beta, new=lambda a, p, beta: p),
    "swapped": lambda average, model, beta: _update(average, model, beta,
                                                    new=lambda a, p, beta: (1 - beta) * a + beta * p),
    "parameters only": lambda average, model, beta: _update(average, model, beta, buffers="skip"),
    "buffers copied": lambda average, model, beta: _update(average, model, beta, buffers="copy"),
    "no grad": _without_no_grad,
    "integer buffer": _integers_too,
    "differs": lambda average, model, beta: _update(average, model, beta,
                                                    new=lambda a, p, beta: beta**2 * a + (1 - beta**2) * p),
}

MISTAKES = {check_discriminator_step: DISCRIMINATOR_STEP, check_generator_loss: GENERATOR_LOSS,
            check_update_average: UPDATE_AVERAGE}


def test_the_right_answers_written_differently_pass(capsys):
    def update_by_state_dict(average, model, beta):  # state_dict tensors share the modules' storage
        mine, theirs = average.state_dict(), model.state_dict()
        for name, value in mine.items():
            if value.is_floating_point():
                value.mul_(beta).add_(theirs[name], alpha=1 - beta)

    def step_by_probabilities(gan, d_optimizer, real, fake):  # BCE on probabilities, torch.cat of real and fake
        p_real, p_fake = torch.sigmoid(gan.score(real)), torch.sigmoid(gan.score(fake.detach()))
        d_loss = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
        gan.discriminator.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        return {"d": float(d_loss), "d_real": p_real.mean(), "d_fake": p_fake.mean()}

    check_update_average(update_by_state_dict)
    check_discriminator_step(step_by_probabilities)
    assert capsys.readouterr().out.count("passes all checks") == 2


def test_g_loss_from_logsigmoid_passes_and_a_wrong_cgan_term_is_named_whatever_the_distance(capsys):
    check_generator_loss(lambda lo, f, t, lam: -F.logsigmoid(lo).mean() + lam * (f - t).abs().mean())
    assert "passes all checks" in capsys.readouterr().out
    def saturating_l2(lo, f, t, lam):
        return torch.log1p(-torch.sigmoid(lo)).mean() + lam * (f - t).pow(2).mean()

    for key, wrong in (("saturating", saturating_l2),
                       ("label zero", lambda lo, f, t, lam: _gan(lo, 0.0) + _l1(f, t)),
                       ("L2", lambda lo, f, t, lam: _gan(lo) + ((f - t) ** 2).mean())):
        with pytest.raises(CheckFailed) as err:
            check_generator_loss(wrong)
        assert err.value.key == key


def test_the_average_may_not_come_from_torch():
    def by_averaged_model(average, model, beta):
        from torch.optim import swa_utils

        swa_utils.get_ema_multi_avg_fn(beta)(list(average.parameters()), list(model.parameters()), None)

    with pytest.raises(CheckFailed, match="write the update yourself") as err:
        check_update_average(by_averaged_model)
    assert err.value.key == "forbidden"


def test_the_check_of_d_step_leaves_the_global_random_state_alone():
    state = torch.get_rng_state()
    check_discriminator_step.passes(lambda *args: _d_step(*args))
    check_update_average.passes(lambda *args: _update(*args))
    assert torch.equal(state, torch.get_rng_state())


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "discriminator_step": '''def discriminator_step(gan, d_optimizer, real, fake):
    real_logits = gan.score(real)
    fake_logits = gan.score(fake.detach())
    loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    loss.backward()
    d_optimizer.step()
    return {"d": loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}''',
    "update_average": '''def update_average(average, model, beta):
    with torch.no_grad():
        for mean, value in zip(average.parameters(), model.parameters()):
            mean.mul_(beta).add_(value, alpha=1 - beta)''',
    "answer_modes": "All 8 modes: D is trained to tell real from fake, so G has to match the whole distribution of "
                    "the ring, and with so many units it can.",
}


@pytest.mark.parametrize("grade_id, check, key", [("discriminator_step", check_discriminator_step, "stale gradients"),
                                                  ("update_average", check_update_average, "parameters only")])
def test_the_submitted_mistakes_get_their_hints(grade_id, check, key):
    namespace = {"torch": torch, "F": F}
    exec(SUBMISSION[grade_id], namespace)
    with pytest.raises(CheckFailed) as err:
        check(namespace[grade_id])
    assert err.value.key == key


def test_the_course_s_own_gan_losses_are_refused_where_they_are_the_answer():
    """gan.discriminator_loss and gan.non_saturating_loss compute what the two exercises ask to write."""
    from coursekit import gan

    def by_the_course(model, d_optimizer, real, fake):
        d_loss = gan.discriminator_loss(model.score(real), model.score(fake.detach()))
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        return {"d": d_loss.item(), "d_real": 0.5, "d_fake": 0.5}

    with pytest.raises(CheckFailed, match="D's loss, the part to write") as err:
        check_discriminator_step(by_the_course)
    assert err.value.key == "forbidden"
    with pytest.raises(CheckFailed, match="the cGAN term") as err:
        check_generator_loss(lambda logits, f, t, lam=100.0: gan.non_saturating_loss(logits)
                             + lam * (f - t).abs().mean())
    assert err.value.key == "forbidden"
