"""Notebook 03's checks: the mistakes their hints name (fed to them in test_checks.py): the orientation-selectivity
ratio, the receptive field, the top-activating patches and activation maximisation."""

import math

import pytest
import torch
import torch.nn.functional as F

import coursekit as ck
from coursekit.checks import CheckFailed, filters
from coursekit.checks.filters import (
    check_maximize_activation,
    check_orientation_selectivity,
    check_receptive_field,
    check_top_patches,
)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the orientation-selectivity ratio
# ---------------------------------------------------------------------------------------------------------------


def _selectivity(weight, angles=16, theta=None, channels="sum", reduce="rms", ratio="orthogonal", wrap=True,
                 wavelengths=(3.0, 4.0, 5.5, 7.5)):
    """R(θ*) / R(θ* + 90°) with switchable mistakes (the defaults are right)."""
    k = weight.shape[-1]
    w = weight.sum(dim=1) if channels == "sum" else weight[:, 0]
    R = torch.zeros(weight.shape[0], angles)
    for a in range(angles):
        angle = theta(a, angles) if theta else math.pi * a / angles
        r = torch.stack([(w * ck.conv.grating(angle, k, lam, 2 * math.pi * p / 8)).sum(dim=(1, 2))
                         for lam in wavelengths for p in range(8)], dim=1)
        R[:, a] = r.pow(2).mean(1).sqrt() if reduce == "rms" else r.abs().mean(1)
    best = R.argmax(dim=1)
    rows = torch.arange(len(R))
    if ratio == "worst":
        return R.amax(1) / R.amin(1)
    step = angles // 4 if ratio == "45 degrees" else angles // 2
    other = (best + step) % angles if wrap else best + step
    if ratio == "inverse":
        return R[rows, other] / R[rows, best]
    return R[rows, best] / R[rows, other]


ORIENTATION_SELECTIVITY = {
    "no wrap": lambda w, angles=16: _selectivity(w, angles, wrap=False),
    "full circle": lambda w, angles=16: _selectivity(w, angles, theta=lambda a, n: 2 * math.pi * a / n),
    "degrees": lambda w, angles=16: _selectivity(w, angles, theta=lambda a, n: 180 * a / n),
    "worst": lambda w, angles=16: _selectivity(w, angles, ratio="worst"),
    "45 degrees": lambda w, angles=16: _selectivity(w, angles, ratio="45 degrees"),
    "inverse": lambda w, angles=16: _selectivity(w, angles, ratio="inverse"),
    "one channel": lambda w, angles=16: _selectivity(w, angles, channels="first"),
    "abs mean": lambda w, angles=16: _selectivity(w, angles, reduce="abs"),
    "differs": lambda w, angles=16: _selectivity(w, angles, wavelengths=(4.0,)),  # one wavelength only
}

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: the receptive field
# ---------------------------------------------------------------------------------------------------------------


def _field(layers, grow="jump", shift="jump", jump_first=False, sign=-1):
    """(size, jump, start) with switchable mistakes (the defaults are right)."""
    size, jump, start = 1, 1, 0
    for k, s, p in layers:
        if jump_first:
            jump *= s
        size += (k - 1) * {"jump": jump, "own": s, "one": 1}[grow]
        start += sign * p * {"jump": jump, "one": 1, "none": 0}[shift]
        if not jump_first:
            jump *= s
    return size, jump, start


RECEPTIVE_FIELD = {
    "not three": lambda layers: _field(layers)[:2],
    "order": lambda layers: (lambda f: (f[0], f[2], f[1]))(_field(layers)),
    "own stride": lambda layers: _field(layers, grow="own"),
    "ignores jump": lambda layers: _field(layers, grow="one"),
    "jump first": lambda layers: _field(layers, jump_first=True),
    "no padding": lambda layers: _field(layers, shift="none"),
    "start sign": lambda layers: _field(layers, sign=+1),
    "padding unscaled": lambda layers: _field(layers, shift="one"),
    "centre": lambda layers: (lambda f: (f[0], f[1], f[2] + (f[0] - 1) / 2))(_field(layers)),
    "differs": lambda layers: (lambda f: (f[0] + 1, f[1], f[2]))(_field(layers)),  # one pixel too many
}

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the top-activating patches
# ---------------------------------------------------------------------------------------------------------------


def _patches(activations, images, k, field, score="max", weakest=False, reverse=False, fill=0.5, mode="",
             width=None, whole=False, return_scores="scores"):
    """(patches, scores) with switchable mistakes (the defaults are right)."""
    size, jump, start = field
    flat = activations.flatten(1)
    best, where = flat.max(dim=1)
    value = best if score == "max" else flat.mean(dim=1)
    scores, top = (-value).topk(k) if weakest else value.topk(k)
    scores = -scores if weakest else scores
    if reverse:
        scores, top = scores.flip(0), top.flip(0)
    if whole:
        return images[top], scores
    width = width or activations.shape[-1]
    pad = 3 * size + abs(start)
    padded = F.pad(images[top], (pad, pad, pad, pad), value=fill)
    patches = []
    for n, position in enumerate(where[top].tolist()):
        i, j = divmod(position, width)
        if mode == "swapped":
            i, j = j, i
        y = {"ignores start": i * jump, "ignores jump": start + i, "off by one": start + i * jump + 1}.get(
            mode, start + i * jump)
        x = {"ignores start": j * jump, "ignores jump": start + j}.get(mode, start + j * jump)
        patches.append(padded[n, :, y + pad:y + pad + size, x + pad:x + pad + size])
    patches = torch.stack(patches)
    if return_scores == "indices":
        return patches, top.float()
    return patches, scores


TOP_PATCHES = {
    "not two": lambda a, im, k, f: _patches(a, im, k, f)[0],
    "whole images": lambda a, im, k, f: _patches(a, im, k, f, whole=True),
    "mean score": lambda a, im, k, f: _patches(a, im, k, f, score="mean"),
    "ascending": lambda a, im, k, f: _patches(a, im, k, f, reverse=True),
    "scores": lambda a, im, k, f: _patches(a, im, k, f, return_scores="indices"),
    "ignores start": lambda a, im, k, f: _patches(a, im, k, f, mode="ignores start"),
    "ignores jump": lambda a, im, k, f: _patches(a, im, k, f, mode="ignores jump"),
    "swapped": lambda a, im, k, f: _patches(a, im, k, f, mode="swapped"),
    "wrong width": lambda a, im, k, f: _patches(a, im, k, f, width=a.shape[-2]),
    "zero fill": lambda a, im, k, f: _patches(a, im, k, f, fill=0.0),
    "differs": lambda a, im, k, f: _patches(a, im, k, f, mode="off by one"),
}

# ---------------------------------------------------------------------------------------------------------------
# Exercise 4: activation maximisation
# ---------------------------------------------------------------------------------------------------------------


def _ascent(model, layer, unit, size=32, steps=200, lr=5e-4, jitter=2, blur_sigma=0.5, blur_every=4, seed=0,
            sign=1.0, normalise="mean", roll=True, blur="schedule", clamp=True, what="unit", reduce="mean",
            no_grad=True, backward=False, reset=True, history_as="item", returns="both"):
    """The ascent loop with switchable mistakes (the defaults are right)."""
    g = torch.Generator().manual_seed(seed)
    x = (0.5 + 0.01 * torch.randn(1, 3, size, size, generator=g)).requires_grad_(True)
    shifts = torch.randint(-jitter, jitter + 1, (steps, 2), generator=g).tolist()
    history = []
    for step, (dy, dx) in enumerate(shifts):
        shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3)) if roll else x
        maps = model.features(shifted)[layer][0]
        chosen = maps[unit] if what == "unit" else maps
        a = chosen.mean() if reduce == "mean" else chosen.sum()
        if backward:
            a.backward()
            grad = x.grad.clone()
        else:
            (grad,) = torch.autograd.grad(a, x)
        if not no_grad:
            x += lr * grad / grad.abs().mean()  # autograd refuses an in-place change of a leaf it records
        with torch.no_grad():
            step_size = {"mean": grad.abs().mean() + 1e-8, "none": 1.0, "norm": grad.norm()}[normalise]
            x += sign * lr * grad / step_size
            if blur == "always" or (blur == "schedule" and step % blur_every == 0):
                x.copy_(ck.visualize.blur(x, blur_sigma))
            if clamp:
                x.clamp_(0, 1)
        if backward and reset:
            x.grad = None
        history.append(a.item() if history_as == "item" else a)
    if returns == "image":
        return x.detach()[0]
    return x.detach()[0], history


MAXIMIZE_ACTIVATION = {
    "in-place on x": lambda *args, **kw: _ascent(*args, **kw, no_grad=False),
    "not two": lambda *args, **kw: _ascent(*args, **kw, returns="image"),
    "history": lambda *args, **kw: _ascent(*args, **kw, history_as="tensor"),
    "not clamped": lambda *args, **kw: _ascent(*args, **kw, clamp=False),
    "descent": lambda *args, **kw: _ascent(*args, **kw, sign=-1.0),
    "sum": lambda *args, **kw: _ascent(*args, **kw, reduce="sum"),
    "whole layer": lambda *args, **kw: _ascent(*args, **kw, what="layer"),
    "not normalised": lambda *args, **kw: _ascent(*args, **kw, normalise="none"),
    "no jitter": lambda *args, **kw: _ascent(*args, **kw, roll=False),
    "no blur": lambda *args, **kw: _ascent(*args, **kw, blur="never"),
    "blur always": lambda *args, **kw: _ascent(*args, **kw, blur="always"),
    "accumulates": lambda *args, **kw: _ascent(*args, **kw, backward=True, reset=False),
    "differs": lambda *args, **kw: _ascent(*args, **kw, normalise="norm"),
}

MISTAKES = {check_orientation_selectivity: ORIENTATION_SELECTIVITY, check_receptive_field: RECEPTIVE_FIELD,
            check_top_patches: TOP_PATCHES, check_maximize_activation: MAXIMIZE_ACTIVATION}


def test_right_variants_pass():
    """What the exercises leave free: backward() with the gradient reset instead of autograd.grad, the input clamped in
    the forward pass as in coursekit, ratios in double precision, the receptive field as a list."""
    assert check_maximize_activation.passes(lambda *args, **kw: _ascent(*args, **kw, backward=True))
    assert check_maximize_activation.passes(_clamped_input_ascent)
    assert check_orientation_selectivity.passes(lambda w, angles=16: _selectivity(w.double(), angles))
    assert check_receptive_field.passes(lambda layers: list(_field(layers)))
    assert check_top_patches.passes(lambda a, im, k, f: _patches(a, im, k, f))


def _clamped_input_ascent(model, layer, unit, size=32, steps=200, lr=5e-4, jitter=2, blur_sigma=0.5, blur_every=4,
                          seed=0):
    """coursekit's version, written out: the forward pass sees the shifted image clamped to [0, 1]."""

    class Clamped:
        def features(self, x):
            return model.features(x.clamp(0, 1))

    return _ascent(Clamped(), layer, unit, size, steps, lr, jitter, blur_sigma, blur_every, seed)


def test_orientation_tuning_is_forbidden():
    def by_the_course(weight, angles=16):
        r = ck.visualize.orientation_tuning(weight, angles)
        best = r.argmax(1)
        rows = torch.arange(len(r))
        return r[rows, best] / r[rows, (best + angles // 2) % angles]

    with pytest.raises(CheckFailed, match="measure the responses") as err:
        check_orientation_selectivity(by_the_course)
    assert err.value.key == "forbidden"


def test_the_check_filters_span_selective_and_unselective():
    ratios = ck.visualize.orientation_selectivity(filters.selectivity_test_filters())
    assert ratios.min() < 2 and ratios.max() > 5


@pytest.mark.timed
def test_the_checks_are_fast():
    import time

    for check, answer in ((check_orientation_selectivity, ORIENTATION_SELECTIVITY["worst"]),
                          (check_maximize_activation, MAXIMIZE_ACTIVATION["differs"])):
        start = time.perf_counter()
        check.passes(answer)
        assert time.perf_counter() - start < 3, check.name


# The "mistakes" student of the grading test (test_grading.py): these answers replace the exercise cells of the
# release version; the exercises not named here get their solution, the written answers not named here stay blank.
SUBMISSION = {
    "receptive_field": '''def receptive_field(layers):
    size, jump, start = 1, 1, 0
    for kernel, stride, padding in layers:
        size += (kernel - 1) * stride
        start -= padding * jump
        jump *= stride
    return size, jump, start''',
    "maximize_activation": '''\
def maximize_activation(model, layer, unit, size=32, steps=200, lr=5e-4, jitter=2, blur_sigma=0.5, blur_every=4,
                        seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (0.5 + 0.01 * torch.randn(1, 3, size, size, generator=g)).requires_grad_(True)
    shifts = torch.randint(-jitter, jitter + 1, (steps, 2), generator=g).tolist()
    history = []
    for step, (dy, dx) in enumerate(shifts):
        shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        a = model.features(shifted)[layer][0, unit].mean()
        (grad,) = torch.autograd.grad(a, x)
        with torch.no_grad():
            x += lr * grad
            if step % blur_every == 0:
                x.copy_(ck.visualize.blur(x, blur_sigma))
            x.clamp_(0, 1)
        history.append(a.item())
    return x.detach()[0], history''',
    "answer_initial_selectivity": "Random filters are noise, so none of them should prefer an orientation: 0% at "
                                  "initialisation, and most of them once trained.",
}
