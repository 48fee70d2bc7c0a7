"""Checks of notebook 03's exercises: the orientation-selectivity ratio of a filter, the receptive field of a layer,
the top-activating patches, and activation maximisation by gradient ascent."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import visualize as _visualize
from coursekit.checks.core import Check, Trial, message
from coursekit.conv import grating

__all__ = [  # the checks, exported by coursekit.checks
    "check_orientation_selectivity", "check_receptive_field", "check_top_patches", "check_maximize_activation",
]

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the orientation-selectivity ratio
# ---------------------------------------------------------------------------------------------------------------

WAVELENGTHS = (3.0, 4.0, 5.5, 7.5)  # the gratings' periods in pixels (the notebook's and the reference's defaults)
PHASES = 8

SELECTIVITY_HINTS = {
    "no wrap": "orientation_selectivity looks up θ* + 90° past the last angle ({error}). Orientations repeat every "
               "180°: the angle index a + A/2 wraps around to (a + A/2) % A, the same orientation as a − A/2.",
    "full circle": "orientation_selectivity gives every filter a ratio of 1: your angles seem to cover 360°, so "
                   "index a + A/2 is θ* + 180°, the same orientation as θ* (a grating turned by 180° is the same "
                   "stripes). Spread the A angles over 180°: θ_a = π·a/A.",
    "degrees": "orientation_selectivity passes the angle to ck.conv.grating in degrees; it takes radians: θ_a = π·a/A.",
    "worst": "orientation_selectivity divides by the response at the worst angle, min_θ R(θ). The ratio compares the "
             "preferred angle with the one 90° away: R(θ*) / R(θ* + 90°), index (a* + A/2) % A.",
    "45 degrees": "orientation_selectivity compares θ* with θ* + 45° (index a* + A/4): with A angles spread over "
                  "180°, 90° is A/2 steps away.",
    "inverse": "orientation_selectivity returns R(θ* + 90°) / R(θ*), which is at most 1; the ratio is the other way "
               "round, R(θ*) / R(θ* + 90°) ≥ 1.",
    "one channel": "orientation_selectivity uses only the first input channel of each filter. A luminance grating is "
                   "the same on all three colour channels, so the response is Σ over channels and pixels of "
                   "w[c, u, v]·g[u, v]: sum the filter over its channels first.",
    "abs mean": "orientation_selectivity averages |r| over the phases and wavelengths; R(θ) is the root mean square, "
                "√(mean r²).",
    "differs": "orientation_selectivity gives filter {k} a ratio of {got:.4g} where {expected:.4g} is expected "
               "(angles={angles}, {size}×{size} filters). For each angle θ_a = π·a/A: r = Σ w·g over channels and "
               "pixels for every grating g = ck.conv.grating(θ_a, K, λ, 2π·p/{phases}), λ in {wavelengths}; "
               "R(θ_a) = √(mean r²); then R(θ*) / R(θ* + 90°).",
}


def _tuning(weight, angles, theta=lambda a, angles: math.pi * a / angles, channels="sum", reduce="rms"):
    """R(θ) of each filter, (C, A), with switchable mistakes (the defaults are right)."""
    k = weight.shape[-1]
    w = weight.sum(dim=1) if channels == "sum" else weight[:, 0]
    bank = torch.stack([torch.stack([torch.stack([grating(theta(a, angles), k, lam, 2 * math.pi * p / PHASES)
                                                  for p in range(PHASES)]) for lam in WAVELENGTHS])
                        for a in range(angles)])  # (A, L, P, K, K)
    r = torch.einsum("cij,alpij->calp", w, bank)
    return r.pow(2).mean(dim=(-1, -2)).sqrt() if reduce == "rms" else r.abs().mean(dim=(-1, -2))


def _ratio(r, other="orthogonal"):
    rows = torch.arange(r.shape[0])
    best = r.argmax(dim=1)
    angles = r.shape[1]
    if other == "worst":
        return r.amax(1) / r.amin(1)
    if other == "inverse":
        return r[rows, (best + angles // 2) % angles] / r[rows, best]
    step = angles // 4 if other == "45 degrees" else angles // 2
    return r[rows, best] / r[rows, (best + step) % angles]


def selectivity_test_filters(seed: int = 31) -> torch.Tensor:
    """Eight colour filters (8, 3, 7, 7) for the check: noise, and noisy oriented edges whose ratios span 1 to ~20."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(8, 3, 7, 7, generator=g)
    coords = torch.arange(7.0) - 3
    envelope = torch.exp(-(coords[:, None] ** 2 + coords[None] ** 2) / 8)
    edges = torch.stack([grating(0.4 * n, 7, 4.0 + 0.5 * n, 0.3 * n) * envelope for n in range(8)])  # (8, 7, 7)
    colour = torch.tensor([1.0, 0.6, 0.3])[:, None, None]
    weight = noise * 0.1
    weight[4:] += edges[4:, None] * colour  # the last four are oriented edges
    return weight


def _check_orientation_selectivity(t: Trial) -> None:
    """A student's ``orientation_selectivity(weight, angles)`` against R(θ*) / R(θ* + 90°) of luminance gratings."""
    g = torch.Generator().manual_seed(32)
    cases = [(selectivity_test_filters(), 16), (torch.randn(5, 3, 5, 5, generator=g), 8)]
    for weight, angles in cases:
        original = weight.clone()
        out = t.call(weight.clone(), angles)
        t.expect_tensor(out, (weight.shape[0],))
        out = out.detach().to(torch.float32)
        expected = _ratio(_tuning(original, angles))

        def close(a, b):
            return torch.allclose(a, b, rtol=1e-3, atol=1e-4)

        if close(out, expected):
            continue
        if torch.allclose(out, torch.ones_like(out), atol=1e-3):
            raise t.fail("full circle")
        mistakes = {
            "degrees": _ratio(_tuning(original, angles, theta=lambda a, n: 180.0 * a / n)),
            "worst": _ratio(_tuning(original, angles), "worst"),
            "45 degrees": _ratio(_tuning(original, angles), "45 degrees"),
            "inverse": _ratio(_tuning(original, angles), "inverse"),
            "one channel": _ratio(_tuning(original, angles, channels="first")),
            "abs mean": _ratio(_tuning(original, angles, reduce="abs")),
        }
        for key, wrong in mistakes.items():
            if close(out, wrong):
                raise t.fail(key)
        k = int(((out - expected).abs() / expected).argmax())
        raise t.fail("differs", k=k, got=out[k].item(), expected=expected[k].item(), angles=angles,
                     size=weight.shape[-1], phases=PHASES, wavelengths=WAVELENGTHS)


def _index_error(err: Exception) -> bool:
    return isinstance(err, IndexError) and "out of bounds" in str(err)


check_orientation_selectivity = Check(
    "orientation_selectivity", _check_orientation_selectivity, SELECTIVITY_HINTS,
    reference=_visualize.orientation_selectivity,
    forbidden={_visualize.orientation_tuning: "the exercise is to measure the responses R(θ) yourself, from the "
                                              "gratings of ck.conv.grating."},
    errors={"no wrap": _index_error})

# ---------------------------------------------------------------------------------------------------------------
# Exercise 2: the receptive field
# ---------------------------------------------------------------------------------------------------------------

RECEPTIVE_FIELD_HINTS = {
    "not three": "receptive_field should return three whole numbers, (size, jump, start); got {got}.",
    "order": "receptive_field returns the right numbers in another order: ({got}) where (size, jump, start) = "
             "({expected}) is expected.",
    "own stride": "receptive_field grows the window by (k − 1) times the layer's own stride. What counts is the jump "
                  "of the layer's *input*: its k neighbouring positions are j input pixels apart, where j is the "
                  "product of the strides of all the layers before it. So size ← size + (k − 1)·j, then j ← j·s.",
    "ignores jump": "receptive_field adds k − 1 per layer, as if every layer worked on input pixels. After a layer "
                    "of stride s (a pooling), neighbouring positions are s pixels apart, so a later kernel of k "
                    "positions spans (k − 1)·j more pixels, with j the product of the strides so far.",
    "jump first": "receptive_field multiplies the jump by the layer's stride before growing the window. A layer's "
                  "kernel spans positions of its *input*, which are j pixels apart with the jump from before the "
                  "layer: size ← size + (k − 1)·j and start ← start − p·j first, then j ← j·s.",
    "no padding": "receptive_field's size and jump are right, but start is {start:g} for {layers}: padding p makes the "
                  "window begin p positions before the first input position, so start ← start − p·j (it is "
                  "negative: the window of the corner unit overhangs the image).",
    "start sign": "receptive_field's start has the wrong sign: padding makes the window begin *before* the image, "
                  "start ← start − p·j, so start ≤ 0.",
    "padding unscaled": "receptive_field subtracts p per layer from start; a padding of p positions of the layer's "
                        "input is p·j input pixels: start ← start − p·j.",
    "centre": "receptive_field returns the centre of the window for start; start is its first pixel: the unit at "
              "position i sees the pixels start + i·jump … start + i·jump + size − 1.",
    "differs": "receptive_field({layers}) gives (size, jump, start) = ({got}); expected ({expected}). Through each "
               "layer (k, s, p), with the jump j from before it: size ← size + (k − 1)·j, start ← start − p·j, "
               "j ← j·s; starting from (1, 1, 0).",
}

FIELD_STACKS = [  # (kernel, stride, padding) stacks the check tries
    [(5, 1, 0)],
    [(7, 1, 3), (2, 2, 0), (5, 1, 2)],  # NaturalCNN's conv2
    [(3, 2, 1), (3, 2, 1), (3, 2, 1)],  # strided convolutions, as in a DCGAN discriminator
    [(11, 4, 2), (3, 2, 0), (5, 1, 2)],  # AlexNet's first layers
    [(7, 1, 3), (2, 2, 0), (5, 1, 2), (2, 2, 0), (3, 1, 1)],  # NaturalCNN's conv3
]


def _field(layers, mistake: str = ""):
    """(size, jump, start) with switchable mistakes (the default is right)."""
    size, jump, start = 1, 1, 0
    for k, s, p in layers:
        if mistake == "jump first":
            jump *= s
        size += (k - 1) * {"own stride": s, "ignores jump": 1}.get(mistake, jump)
        start -= p * {"padding unscaled": 1, "no padding": 0}.get(mistake, jump)
        if mistake != "jump first":
            jump *= s
    if mistake == "start sign":
        start = -start
    if mistake == "centre":
        start = start + (size - 1) / 2
    return size, jump, start


def _check_receptive_field(t: Trial) -> None:
    """A student's ``receptive_field(layers)`` against size ← size + (k − 1)·j, start ← start − p·j, j ← j·s."""
    for layers in FIELD_STACKS:
        out = t.call([tuple(layer) for layer in layers])
        if out is None:
            raise t.fail("returns None")
        if torch.is_tensor(out):
            out = out.tolist()
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise t.fail("not three", got=repr(out) if not isinstance(out, (tuple, list))
                         else message("items", count=len(out)))
        try:
            got = tuple(float(v) for v in out)
        except (TypeError, ValueError):
            raise t.fail("not three", got=repr(out)) from None
        expected = _field(layers)
        if got == expected:
            continue
        shown = {"got": ", ".join(f"{v:g}" for v in got), "expected": ", ".join(f"{v:g}" for v in expected),
                 "layers": layers, "start": got[2]}
        if sorted(got) == sorted(expected):
            raise t.fail("order", **shown)
        for key in ("own stride", "ignores jump", "jump first", "no padding", "start sign", "padding unscaled",
                    "centre"):
            if got == _field(layers, key) and _field(layers, key) != expected:
                raise t.fail(key, **shown)
        raise t.fail("differs", **shown)


check_receptive_field = Check("receptive_field", _check_receptive_field, RECEPTIVE_FIELD_HINTS,
                              reference=_visualize.receptive_field)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 3: the top-activating patches
# ---------------------------------------------------------------------------------------------------------------

TOP_PATCHES_HINTS = {
    "not two": "top_patches should return two things, (patches, scores); got {got}.",
    "whole images": "top_patches returns whole images, shape {got}. Cut out the window the unit sees: size × size "
                    "pixels from row start + i·jump and column start + j·jump, where (i, j) is the image's strongest "
                    "position, giving shape {expected}.",
    "mean score": "top_patches ranks the images by the unit's *mean* activation. A unit responds to a pattern "
                  "wherever it occurs: an image's score is its maximum over positions, and the patch is cut there.",
    "ascending": "top_patches returns the weakest images first (or the k weakest): sort by score, strongest first "
                 "(torch.topk or argsort(descending=True)).",
    "scores": "top_patches' patches are right but its scores are not: return each image's maximum activation "
              "(got {got}, expected {expected}).",
    "ignores start": "top_patches cuts the window at i·jump: it forgets start. The window of position i begins at "
                     "start + i·jump (start < 0: the padding), so your patches are shifted by −start pixels.",
    "ignores jump": "top_patches cuts the window at start + i, as if the map had the image's resolution. Position i "
                    "of a map with jump j is j pixels from position i + 1: the window begins at start + i·jump.",
    "swapped": "top_patches swaps rows and columns: with a map of width W, flat index m is at row i = m // W and "
               "column j = m % W, and the window begins at row start + i·jump, column start + j·jump.",
    "wrong width": "top_patches turns the flat index into (row, column) with the wrong width: for a map (H, W), "
                   "i, j = divmod(m, W) (W = the number of columns, activations.shape[-1]).",
    "zero fill": "top_patches fills the part of the window outside the image with 0 (black); fill it with grey 0.5, "
                 "for example by padding the images with F.pad(…, value=0.5) before cutting.",
    "differs": "top_patches' patch {n} (score {score:.3f}) differs from the window the unit sees, by up to "
               "{error:.3g} (activations {maps}, field (size, jump, start) = {field}). The strongest position (i, j) "
               "of the image's map sees rows start + i·jump … + size − 1 and the same for columns; grey 0.5 "
               "outside the image.",
}


def _windows(images, positions, field, fill=0.5, mode=""):
    """The size × size window of each image at its (i, j) position, with switchable mistakes."""
    size, jump, start = field
    pad = size + abs(start) + size * jump
    padded = F.pad(images, (pad, pad, pad, pad), value=fill)
    out = []
    for n, (i, j) in enumerate(positions):
        if mode == "swapped":
            i, j = j, i
        y0 = {"ignores start": i * jump, "ignores jump": start + i}.get(mode, start + i * jump)
        x0 = {"ignores start": j * jump, "ignores jump": start + j}.get(mode, start + j * jump)
        out.append(padded[n, :, y0 + pad:y0 + pad + size, x0 + pad:x0 + pad + size])
    return torch.stack(out)


def _top(activations, k, score="max", width=None):
    """(indices, scores, positions) of the k strongest images."""
    flat = activations.flatten(1)
    best, where = flat.max(dim=1)
    value = best if score == "max" else flat.mean(dim=1)
    top = value.topk(k).indices
    width = width or activations.shape[-1]
    return top, value[top], [divmod(m, width) for m in where[top].tolist()]


def _patches_problems():
    """(activations, images, k, field) cases: a square map, and a non-square one at the images' resolution."""
    g = torch.Generator().manual_seed(33)
    a1 = torch.rand(12, 8, 8, generator=g) * 5
    a1[3, 0, 6] = 9.0  # strongest of all, in the top row: its window overhangs the image
    a1[7, 7, 1] = 8.5  # at the bottom left
    images1 = torch.rand(12, 3, 16, 16, generator=g)
    a2 = torch.rand(10, 9, 13, generator=g) * 3
    a2[4, 8, 2] = 6.0
    a2[1, 2, 12] = 5.5
    images2 = torch.rand(10, 3, 9, 13, generator=g)
    return [(a1, images1, 5, (8, 2, -3)), (a2, images2, 4, (5, 1, -2))]


def _check_top_patches(t: Trial) -> None:
    """A student's ``top_patches(activations, images, k, field)`` against the windows of the k strongest images."""
    for activations, images, k, field in _patches_problems():
        out = t.call(activations.clone(), images.clone(), k, field)
        if out is None:
            raise t.fail("returns None")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise t.fail("not two", got=type(out).__name__ if not isinstance(out, (tuple, list))
                         else message("items", count=len(out)))
        patches, scores = out
        size = field[0]
        expected_shape = (k, images.shape[1], size, size)
        if torch.is_tensor(patches) and patches.shape == (k, *images.shape[1:]) and patches.shape != expected_shape:
            raise t.fail("whole images", got=tuple(patches.shape), expected=expected_shape)
        t.expect_tensor(patches, expected_shape)
        t.expect_tensor(scores, (k,))
        patches, scores = patches.detach().float(), scores.detach().float()
        top, best, positions = _top(activations, k)
        expected = _windows(images[top], positions, field)

        def same(a, b):
            return a.shape == b.shape and torch.allclose(a, b, atol=1e-6)

        if same(patches, expected):
            if not torch.allclose(scores, best, atol=1e-5):
                raise t.fail("scores", got=[round(v, 3) for v in scores.tolist()],
                             expected=[round(v, 3) for v in best.tolist()])
            continue
        weakest = (-activations.flatten(1).amax(1)).topk(k).indices
        weakest_positions = [divmod(m, activations.shape[-1]) for m in
                             activations.flatten(1).argmax(1)[weakest].tolist()]
        if (same(patches, expected.flip(0)) or same(scores, best.flip(0))
                or same(patches, _windows(images[weakest], weakest_positions, field))):
            raise t.fail("ascending")
        top_mean, _, positions_mean = _top(activations, k, score="mean")
        if same(patches, _windows(images[top_mean], positions_mean, field)):
            raise t.fail("mean score")
        _, _, wrong_width = _top(activations, k, width=activations.shape[-2])
        mistakes = {
            "ignores start": _windows(images[top], positions, field, mode="ignores start"),
            "ignores jump": _windows(images[top], positions, field, mode="ignores jump"),
            "swapped": _windows(images[top], positions, field, mode="swapped"),
            "wrong width": _windows(images[top], wrong_width, field),
            "zero fill": _windows(images[top], positions, field, fill=0.0),
        }
        for key, wrong in mistakes.items():
            if same(patches, wrong) and not same(wrong, expected):
                raise t.fail(key)
        error = (patches - expected).abs().flatten(1).amax(1)
        n = int(error.argmax())
        raise t.fail("differs", n=n, score=best[n].item(), error=error[n].item(), maps=tuple(activations.shape),
                     field=field)


check_top_patches = Check("top_patches", _check_top_patches, TOP_PATCHES_HINTS, reference=_visualize.top_patches)

# ---------------------------------------------------------------------------------------------------------------
# Exercise 4: activation maximisation
# ---------------------------------------------------------------------------------------------------------------

ASCENT_HINTS = {
    "in-place on x": "maximize_activation changes x in place while autograd records it ({error}). Make the update "
                     "inside `with torch.no_grad():`, so that it is not part of the next step's graph.",
    "not two": "maximize_activation should return (image, history); got {got}.",
    "history": "maximize_activation's history should be a list of {steps} Python numbers, the activation a at each "
               "step (`activation.item()`); got {got}.",
    "not clamped": "maximize_activation's image has pixels in [{low:.2f}, {high:.2f}]: clamp x to [0, 1] after every "
                   "step (x.clamp_(0, 1)), so that it stays an image.",
    "descent": "maximize_activation makes the activation fall (from {first:.3f} to {last:.3f}): that is gradient "
               "descent. Ascent climbs the gradient: x ← x + η ∂a/∂x.",
    "sum": "maximize_activation records the sum of the unit's map; a is its mean over positions (the image is the "
           "same, since the step is normalised, but the history is {ratio:g} times too large).",
    "whole layer": "maximize_activation maximises the mean of the whole layer, every unit at once: take the map of "
                   "one unit, model.features(…)[layer][0, unit], then its mean.",
    "not normalised": "maximize_activation steps by η ∂a/∂x as it is: its size then depends on the unit and the "
                      "layer (here the activation only went from {first:.3f} to {last:.3f}). Divide the gradient by "
                      "its mean absolute value, so that η is the average change of a pixel: x ← x + η g / mean|g|.",
    "no jitter": "maximize_activation never moves the image: compute the activation of the shifted image, "
                 "torch.roll(x, shifts=(dy, dx), dims=(2, 3)), with the step's (dy, dx) from `shifts`. The jitter "
                 "keeps the image from fitting the unit's pixel grid with high-frequency noise.",
    "no blur": "maximize_activation never blurs the image: every `blur_every` steps (step % blur_every == 0), after "
               "the update, apply x.copy_(ck.visualize.blur(x, blur_sigma)).",
    "blur always": "maximize_activation blurs at every step; blur only when step % blur_every == 0.",
    "accumulates": "maximize_activation's gradient accumulates from step to step: after loss.backward(), x.grad "
                   "holds the sum of every gradient so far. Reset it, x.grad = None (or x.grad.zero_()), after each "
                   "update, or use torch.autograd.grad(activation, x).",
    "differs": "maximize_activation's image differs from the expected one by up to {error:.3g} (activation after "
               "{steps} steps: {got:.4f}, expected {expected:.4f}). Each step, in this order: roll x by the step's "
               "(dy, dx); a = mean of model.features(shifted)[layer][0, unit]; g = ∂a/∂x; x ← x + η g / (mean|g| + "
               "1e-8); every blur_every steps (step % blur_every == 0) blur x; clamp to [0, 1]; record a.",
}


class TinyNet(nn.Module):
    """A two-layer ReLU network with seeded weights, to check activation maximisation cheaply: images (N, 3, H, W)
    → {"conv1": (N, 4, H, W), "conv2": (N, 3, H/2, W/2)}."""

    def __init__(self, seed: int = 34):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 3, 3, padding=1)
        with torch.no_grad():
            for conv in (self.conv1, self.conv2):
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) / 3)
                conv.bias.copy_(0.2 + 0.1 * torch.rand(conv.bias.shape, generator=g))  # active from the start

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        conv1 = F.relu(self.conv1(x - 0.5))
        return {"conv1": conv1, "conv2": F.relu(self.conv2(F.max_pool2d(conv1, 2)))}


ASCENT_CASES = [  # keyword arguments of the check's two runs
    {"layer": "conv2", "unit": 1, "size": 12, "steps": 12, "lr": 0.05, "jitter": 1, "blur_sigma": 0.7,
     "blur_every": 3, "seed": 3},
    {"layer": "conv1", "unit": 2, "size": 10, "steps": 8, "lr": 0.03, "jitter": 2, "blur_sigma": 0.5,
     "blur_every": 4, "seed": 0},
]


def _ascent(model, layer, unit, size, steps, lr, jitter, blur_sigma, blur_every, seed, mistake="", clamp_input=False):
    """Gradient ascent as the exercise asks, with switchable mistakes (the default is right). ``clamp_input``: the
    forward pass sees ``shifted.clamp(0, 1)``, as in ``coursekit.visualize`` (the same values, since x stays in
    [0, 1], but pixels at 0 or 1 then get no gradient, which changes the normalisation a little): both are right."""
    g = torch.Generator().manual_seed(seed)
    x = (0.5 + 0.01 * torch.randn(1, 3, size, size, generator=g)).requires_grad_(True)
    shifts = torch.randint(-jitter, jitter + 1, (steps, 2), generator=g).tolist()
    history, total = [], torch.zeros_like(x)
    for step, (dy, dx) in enumerate(shifts):
        shifted = x if mistake == "no jitter" else torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        maps = model.features(shifted.clamp(0, 1) if clamp_input else shifted)[layer]
        activation = maps[0].mean() if mistake == "whole layer" else maps[0, unit].mean()
        (grad,) = torch.autograd.grad(activation, x)
        if mistake == "accumulates":
            total += grad
            grad = total.clone()
        with torch.no_grad():
            direction = grad if mistake == "not normalised" else grad / (grad.abs().mean() + 1e-8)
            x += (-lr if mistake == "descent" else lr) * direction
            if (mistake == "blur always" or (blur_every and step % blur_every == 0)) and mistake != "no blur":
                x.copy_(_visualize.blur(x, blur_sigma))
            x.clamp_(0, 1)
        history.append(activation.item())
    return x.detach()[0], history


def _is_leaf_in_place(err: Exception) -> bool:
    return isinstance(err, RuntimeError) and "leaf Variable that requires grad" in str(err)


def _check_maximize_activation(t: Trial) -> None:
    """A student's ``maximize_activation(model, layer, unit, …)`` against the jittered, blurred, normalised ascent of
    ``coursekit.visualize.maximize_activation``, on a tiny network."""
    model = TinyNet().eval()
    for case in ASCENT_CASES:
        out = t.call(model, **case)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise t.fail("not two", got=type(out).__name__ if not isinstance(out, (tuple, list))
                         else message("items", count=len(out)))
        image, history = out
        size, steps = case["size"], case["steps"]
        t.expect_tensor(image, (3, size, size))
        if (not isinstance(history, (list, tuple)) or len(history) != steps
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in history)):
            shown = (f"{len(history)} values of type {type(history[0]).__name__}"
                     if isinstance(history, (list, tuple)) and history else repr(history)[:60])
            raise t.fail("history", steps=steps, got=shown)
        image = image.detach().float()
        if image.min() < -1e-6 or image.max() > 1 + 1e-6:
            raise t.fail("not clamped", low=image.min().item(), high=image.max().item())
        history_t = torch.tensor(history, dtype=torch.float32)
        right = [_ascent(model, **case, clamp_input=clamp) for clamp in (False, True)]
        if any(torch.allclose(image, expected, atol=1e-4)
               and torch.allclose(history_t, torch.tensor(expected_history), rtol=1e-4, atol=1e-6)
               for expected, expected_history in right):
            continue
        _diagnose_ascent(t, model, case, image, history_t, right)


def _diagnose_ascent(t: Trial, model, case, image, history, right) -> None:
    """Raise the hint of the mistake that a wrong ascent makes; ``right``: the right (image, history) pairs."""
    first, last = history[0].item(), history[-1].item()
    for expected, expected_history in right:
        ratios = history / torch.tensor(expected_history).clamp_min(1e-12)
        if (torch.allclose(image, expected, atol=1e-4) and ratios.min() > 1.5
                and torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=1e-3)):
            raise t.fail("sum", ratio=round(ratios[0].item()))
    for key in ("descent", "whole layer", "not normalised", "no jitter", "no blur", "blur always", "accumulates"):
        for clamp in (False, True):
            wrong, _ = _ascent(model, **case, mistake=key, clamp_input=clamp)
            if torch.allclose(image, wrong, atol=1e-4):
                raise t.fail(key, first=first, last=last)
    if last < first - 1e-3 * abs(first):
        raise t.fail("descent", first=first, last=last)
    expected, expected_history = right[0]
    raise t.fail("differs", error=(image - expected).abs().max().item(), steps=case["steps"], got=last,
                 expected=expected_history[-1])


check_maximize_activation = Check("maximize_activation", _check_maximize_activation, ASCENT_HINTS,
                                  reference=_visualize.maximize_activation,
                                  errors={"in-place on x": _is_leaf_in_place})
