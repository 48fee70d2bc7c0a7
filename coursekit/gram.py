"""Textures and style as Gram statistics of CNN features (Gatys, Ecker & Bethge 2015, 2016).

«Représenter les textures»: a texture is stationary, so what matters is *which features occur together*, not where.
Take the activations F^l of layer l, shaped (C_l, H_l·W_l) (C_l feature maps of M_l = H_l·W_l positions); their
Gram matrix

    G^l_ij = (1 / M_l) Σ_k F^l_ik F^l_jk        (C_l × C_l)

is the average over positions of the product of features i and j: a summary that forgets the layout. Here G is
divided by M_l (the number of positions) so that images of different sizes have comparable Gram matrices.

The loss terms, each relative so that its weight means the same whatever the scale of the activations:

- the **style loss** E = Σ_l w_l · (1/C_l²) Σ_ij (Ĝ^l_ij − G^l_ij)², with w_l = 1 / mean((G^l)²) so that every
  layer's error is relative and all layers count alike (``style_loss``). (Gatys et al. write
  E_l = 1/(4 N_l² M_l²) Σ_ij (Ĝ_ij − G_ij)² with un-normalised G and equal w_l; with G divided by M_l that is ¼ of
  (1/C_l²) Σ_ij (Ĝ_ij − G_ij)².)
- the **content loss** L_content = Σ_{c,k} (F̂_ck − P_ck)² / Σ_{c,k} P_ck² on one deep layer (relu4_2 of VGG-19),
  the lecture's Σ_i (c_i − ĉ_i)² made relative (``content_loss``);
- a **total-variation** prior TV(x) = mean (x[i+1, j] − x[i, j])² + mean (x[i, j+1] − x[i, j])², squared
  differences of neighbouring pixels (``total_variation``), weighed relative to the example's (or the photo's) own TV.
  Squared rather than absolute: it is smooth, which L-BFGS's curvature model needs (Mahendran & Vedaldi 2015 use
  the same β = 2 prior).

- **Texture synthesis** («Synthèse de textures par CNN»): start from noise x̂ and minimise E (+ λ · TV) by L-BFGS
  on the pixels.
- **Style transfer** («Capturer le style artistique»): start from the content photo p and minimise
  L = L_content + β · E (+ λ · TV) (Gatys et al.'s α/β ratio is our 1/β).

The pixels are kept in [0, 1] by a soft penalty during L-BFGS (``torch.optim.LBFGS``) and clipped at the end (see
``_lbfgs``). The optimisation runs on the extractor's device (``extractor.to(device)``), and the image comes back
on the device its input came from: a notebook keeps its photos on the CPU and its network on a GPU.

``style_transfer`` and ``synthesize_texture`` run these with a progress bar and return the image and the loss
history; they work outside the notebook. They take their loss terms from a ``LossTerms`` (the functions of this
module by default), so that notebook 06 runs them on the student's own losses. The features come from
``coursekit.features``. Used in notebook 06.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from skimage.color import rgb2gray
from skimage.filters import sobel

from coursekit.runtime import check_unit_range, device_of, progress, uniform

RANGE_PENALTY = 100.0  # weight of the soft [0, 1] constraint on the pixels, relative to the starting loss
STALLED, PATIENCE = 1e-6, 5  # L-BFGS stops after PATIENCE iterations in a row that lower the loss by < STALLED of it


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """G_ij = (1/M) Σ_k F_ik F_jk for features (N, C, H, W) → (N, C, C), with M = H·W the number of positions.

    Divided by M (not by C·M, not un-normalised) so that a texture's statistics do not depend on the image size.
    """
    if not isinstance(features, torch.Tensor) or features.ndim != 4:
        shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise ValueError(f"gram_matrix expects features shaped (N, C, H, W), got {shape}.")
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)  # F: (N, C, M)
    # F Fᵀ / M: (N, C, C), one matrix product per image: on a CPU, torch's batched product (f @ f.mT) took twice as
    # long for VGG-19's conv1_1 at 256 px (16 ms against 8, forward and backward)
    return torch.stack([_Gram.apply(fi) for fi in f]) if n else f.new_zeros(0, c, c)


class _Gram(torch.autograd.Function):
    """G = F Fᵀ / M for one image's F (C, M), with its gradient in one product: ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ) F / M.
    Autograd's rule for a product of two matrices takes two products, one per factor, not knowing that both are F:
    over VGG-19's five style layers at 256 px, this one saves a quarter of the Gram matrices' time (forward and
    backward), the part of a style transfer's evaluation that is not the network."""

    @staticmethod
    def forward(ctx, f: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(f)
        return f @ f.T / f.shape[1]

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (f,) = ctx.saved_tensors
        return (grad + grad.T) @ f / f.shape[1]


def style_loss(features: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
               weights: dict[str, float]) -> torch.Tensor:
    """E = Σ_l w_l · (1/C_l²) Σ_ij (Ĝ^l_ij − G^l_ij)² over the layers of ``targets``: a scalar tensor.

    features: {layer: (N, C_l, h_l, w_l)}, the image's activations; it may hold more layers (the content layer),
    only those of ``targets`` count. targets: {layer: (N, C_l, C_l)}, the style's Gram matrices. weights:
    {layer: w_l} (``style_targets`` makes them 1 / mean((G^l)²)).
    """
    total = 0.0
    for name, target in targets.items():
        gram = gram_matrix(features[name])                             # Ĝ^l: (N, C_l, C_l)
        total = total + weights[name] * (gram - target).pow(2).mean()  # w_l · (1/C_l²) Σ_ij (Ĝ^l_ij − G^l_ij)²
    return total


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Σ (F̂ − P)² / Σ P²: the squared error of the image's features F̂ to the content photo's P, both
    (N, C, H, W), relative to P's energy, so that it does not depend on the layer's scale and is 1 for F̂ = 0."""
    return (features - target).pow(2).sum() / target.pow(2).sum().clamp_min(1e-12)  # Σ (F̂ − P)² / Σ P²


def total_variation(images: torch.Tensor) -> torch.Tensor:
    """TV(x) = mean (x[i+1, j] − x[i, j])² + mean (x[i, j+1] − x[i, j])² over images (N, C, H, W): the mean squared
    difference between vertical, then horizontal, neighbours. A smoothness prior: pixel noise costs much, a smooth
    image little. Squared, not absolute: smooth everywhere, which L-BFGS needs."""
    down = images[..., 1:, :] - images[..., :-1, :]     # x[i+1, j] − x[i, j]: (N, C, H−1, W)
    right = images[..., :, 1:] - images[..., :, :-1]    # x[i, j+1] − x[i, j]: (N, C, H, W−1)
    return down.pow(2).mean() + right.pow(2).mean()


@dataclass(frozen=True)
class LossTerms:
    """The loss terms that ``synthesize_texture`` and ``style_transfer`` are built from: swap any for your own with
    the same signature (notebook 06 passes the student's).

    style: (features {layer: (N, C, h, w)}, targets {layer: (N, C, C)}, weights {layer: w_l}) → scalar tensor.
    content: (features (N, C, h, w), target (N, C, h, w)) → scalar tensor, relative.
    total_variation: (images (N, 3, H, W)) → scalar tensor.
    """

    style: Callable = style_loss
    content: Callable = content_loss
    total_variation: Callable = total_variation


def _as_batch(image: torch.Tensor, name: str, extractor) -> tuple[torch.Tensor, torch.device]:
    """``image`` checked, as a batch of one on ``extractor``'s device (where the optimisation runs), and the device
    it came from (where the result goes back)."""
    if not isinstance(image, torch.Tensor) or image.ndim not in (3, 4) or image.shape[-3] != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"{name} must be an RGB image (3, H, W) or (1, 3, H, W) in [0, 1], got {shape}; "
                         "coursekit.data.images.as_rgb converts paths, arrays, gray and RGBA images.")
    check_unit_range(image, name)
    return (image[None] if image.ndim == 3 else image).to(device_of(extractor)), image.device


def style_targets(extractor, style: torch.Tensor, layers=None) -> tuple[dict, dict]:
    """The Gram matrices of ``style`` (1, 3, H, W) on ``layers`` (default: the extractor's style layers), and the
    weights w_l = 1 / mean(G_l²) that make each layer's loss relative, so that every layer counts the same whatever
    the scale of its activations. Returns (targets, weights)."""
    layers = extractor.style_layers if layers is None else tuple(layers)
    with torch.no_grad():
        targets = {name: gram_matrix(f) for name, f in extractor(style.to(device_of(extractor)), layers).items()}
    weights = {name: 1.0 / g.pow(2).mean().clamp_min(1e-12).item() for name, g in targets.items()}
    return targets, weights


def _lbfgs(x0: torch.Tensor, objective, steps: int, desc: str) -> tuple[torch.Tensor, dict[str, list[float]]]:
    """Minimise objective(x)["total"] over the pixels x by L-BFGS (``torch.optim.LBFGS``, with a strong-Wolfe line
    search and 20 past steps), gradients by autograd, on x0's device; a progress bar over the iterations.

    Pixels must end in [0, 1]. Hard bounds stall the descent when the noise start has many pixels pushed against
    them, so the range is a soft penalty instead, RANGE_PENALTY · L(x₀) · mean(distance outside [0, 1])² (L(x₀): the
    starting loss, so that the penalty keeps its weight whatever the loss's scale), and the result is clipped at the
    end. objective returns a dict of scalar tensors, "total" and its parts.
    Stops early once PATIENCE iterations in a row have lowered the loss by less than STALLED of itself: converged
    as far as float32 goes, where each further iteration would spend a line search of several evaluations for
    nothing (a style transfer at a small style weight converges in about 25 iterations).
    Returns (x, history): each part's value at the start, after every iteration, and for the clipped result
    (at most steps + 2 values).
    """
    x = x0.detach().clone().requires_grad_(True)
    # one iteration per step() call, so that the history and the progress bar follow the iterations; the line
    # search may evaluate up to 25 points of each
    optimizer = torch.optim.LBFGS([x], lr=1.0, max_iter=1, max_eval=26, history_size=20,
                                  line_search_fn="strong_wolfe", tolerance_grad=0.0, tolerance_change=0.0)
    last: dict = {}  # the last evaluation: its point, penalised loss, gradient and parts; the penalty's scale

    def closure():
        if "at" in last and torch.equal(x, last["at"]):  # each step() starts by evaluating where it stands
            x.grad = last["grad"].clone()
            return last["loss"]
        optimizer.zero_grad()
        terms = objective(x)
        if "scale" not in last:  # the first evaluation, at x₀: the penalty is weighed against the loss it competes with
            last["scale"] = max(float(terms["total"].detach()), 1e-3)
        outside = (x - x.clamp(0, 1)).pow(2).mean()  # 0 inside [0, 1]
        penalised = terms["total"] + RANGE_PENALTY * last["scale"] * outside
        penalised.backward()
        last.update(at=x.detach().clone(), grad=x.grad.clone(), loss=penalised.detach(),
                    terms={name: value.detach() for name, value in terms.items()})
        return last["loss"]

    recorded = []  # the parts at the start and after each iteration, as tensors, made numbers once at the end
    closure()
    recorded.append(last["terms"])
    stalled = 0  # iterations in a row that lowered the loss by less than STALLED of itself
    for _ in progress(range(steps), desc=desc):
        before = float(last["loss"])
        optimizer.step(closure)
        closure()  # the point the iteration accepted: already evaluated unless the line search ended elsewhere
        recorded.append(last["terms"])
        stalled = stalled + 1 if before - float(last["loss"]) <= STALLED * abs(before) else 0
        if stalled == PATIENCE:  # converged as far as float32 goes: more steps would only spend line searches
            break
    image = x.detach().clamp(0, 1)
    with torch.no_grad():
        recorded.append(objective(image))  # the losses of the image as returned, clipped
    history = {name: torch.stack([r[name].reshape(()) for r in recorded]).tolist() for name in recorded[0]}
    return image, history


def _relative_tv(terms: LossTerms, reference: torch.Tensor):
    """x ↦ TV(x) / TV(reference): the prior relative to the example's (or photo's) own roughness, 1 at its level."""
    with torch.no_grad():
        scale = float(terms.total_variation(reference))
    return lambda x: terms.total_variation(x) / max(scale, 1e-12)


def synthesize_texture(extractor, texture: torch.Tensor, size: tuple[int, int] | None = None, steps: int = 200,
                       layers=None, seed: int = 0, tv_weight: float = 0.0,
                       terms: LossTerms = LossTerms()) -> tuple[torch.Tensor, list[float]]:
    """Texture synthesis by Gram matching: from uniform noise of ``size`` (default: the texture's), minimise the Gram
    loss E to ``texture`` (3, H, W) on ``layers`` (default: the extractor's style layers) by L-BFGS, plus
    ``tv_weight`` · TV(x̂) / TV(texture) when tv_weight > 0 (a smoothness prior). ``terms``: the loss functions
    (``terms.style`` for E, ``terms.total_variation`` for TV). Returns (image (1, 3, h, w) in [0, 1], the Gram loss E
    before each step and at the end; the first value is the noise's)."""
    texture, back = _as_batch(texture, "texture", extractor)
    targets, weights = style_targets(extractor, texture, layers)
    h, w = size or texture.shape[-2:]
    noise = uniform((1, 3, h, w), torch.Generator().manual_seed(seed), texture.device)  # drawn on the CPU
    tv = _relative_tv(terms, texture) if tv_weight else None

    def objective(x):
        e = terms.style(extractor(x, list(targets)), targets, weights)
        if tv is None:
            return {"total": e, "style": e}
        l_tv = tv(x)
        return {"total": e + tv_weight * l_tv, "style": e, "tv": l_tv}

    image, history = _lbfgs(noise, objective, steps, "texture")
    return image.to(back), history["style"]


def style_transfer(extractor, content: torch.Tensor, style: torch.Tensor, style_weight: float = 10.0,
                   steps: int = 200, content_layer: str | None = None, style_layers=None, tv_weight: float = 0.0,
                   terms: LossTerms = LossTerms()):
    """Gatys et al.'s style transfer: from the ``content`` photo, minimise L = L_content + style_weight · L_style by
    L-BFGS, both relative losses (each layer divided by its target's mean square), plus ``tv_weight`` · TV(x) /
    TV(content) when tv_weight > 0. ``terms``: the loss functions (``terms.content``, ``terms.style``,
    ``terms.total_variation``).

    content and style: (3, H, W) or (1, 3, H, W) in [0, 1], of any sizes: Gram matrices are averages over positions,
    so the style image is used at its own size. Returns (image (1, 3, H, W), history), history holding lists
    "total", "content" and "style" (and "tv" when tv_weight > 0): the values before each step and at the end.
    """
    (content, back), (style, _) = _as_batch(content, "content", extractor), _as_batch(style, "style", extractor)
    layer = content_layer or extractor.content_layer
    targets, weights = style_targets(extractor, style, style_layers)
    with torch.no_grad():
        p = extractor(content, [layer])[layer]
    tv = _relative_tv(terms, content) if tv_weight else None

    def objective(x):
        feats = extractor(x, list(targets) + [layer])                  # one forward pass for every layer
        l_content = terms.content(feats[layer], p)
        l_style = terms.style(feats, targets, weights)
        parts = {"total": l_content + style_weight * l_style, "content": l_content, "style": l_style}
        if tv is not None:
            parts["tv"] = tv(x)
            parts["total"] = parts["total"] + tv_weight * parts["tv"]
        return parts

    image, history = _lbfgs(content, objective, steps, "style transfer")
    return image.to(back), history


def relative_losses(extractor, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor,
                    content_layer: str | None = None, terms: LossTerms = LossTerms()) -> dict[str, float]:
    """The content and style losses of ``image`` as ``style_transfer`` defines them: {"content": …, "style": …}.
    Use it to compare the result with the content photo and the style image."""
    image, content, style = (_as_batch(x, name, extractor)[0] for x, name in
                             ((image, "image"), (content, "content"), (style, "style")))
    layer = content_layer or extractor.content_layer
    targets, weights = style_targets(extractor, style)
    with torch.no_grad():
        p = extractor(content, [layer])[layer]
        feats = extractor(image, list(targets) + [layer])
        if feats[layer].shape != p.shape:
            raise ValueError(f"image and content must have the same size for a content loss, got "
                             f"{tuple(image.shape[-2:])} and {tuple(content.shape[-2:])}.")
        return {"content": float(terms.content(feats[layer], p)), "style": float(terms.style(feats, targets, weights))}


# What a student sees in a style transfer, measured on the images themselves rather than on the features the
# optimisation matched: a loss can fall by orders of magnitude while the picture loses its content.

def _image_array(image: torch.Tensor, name: str) -> np.ndarray:
    """``image`` (3, H, W) or (1, 3, H, W) in [0, 1] → an (H, W, 3) float64 array on the CPU."""
    if not isinstance(image, torch.Tensor) or image.ndim not in (3, 4) or image.shape[-3] != 3 or (
            image.ndim == 4 and image.shape[0] != 1):
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"{name} must be one RGB image (3, H, W) or (1, 3, H, W) in [0, 1], got {shape}.")
    check_unit_range(image, name)
    return image.detach().reshape(image.shape[-3:]).permute(1, 2, 0).double().cpu().numpy()


def edge_correlation(image: torch.Tensor, content: torch.Tensor) -> float:
    """"Content kept": the correlation of the edge maps of ``image`` and ``content`` (same size), each the Sobel
    gradient magnitude of the luminance (``skimage.filters.sobel`` of ``skimage.color.rgb2gray``). 1: every edge of
    the photo where it was, with any contrast (a darker copy still scores 1); 0: edges unrelated to the photo's."""
    a, b = _image_array(image, "image"), _image_array(content, "content")
    if a.shape != b.shape:
        raise ValueError(f"image and content must have the same size, got {a.shape[:2]} and {b.shape[:2]}.")
    ea, eb = sobel(rgb2gray(a)).ravel(), sobel(rgb2gray(b)).ravel()
    if ea.std() == 0 or eb.std() == 0:
        return 0.0  # an image without edges keeps none of the photo's
    return float(np.corrcoef(ea, eb)[0, 1])


def _wasserstein(a: np.ndarray, b: np.ndarray, levels: int = 1001) -> float:
    """W1 between the distributions of the values of a and b: the mean distance between their quantiles."""
    q = np.linspace(0, 1, levels)
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


def style_shift(image: torch.Tensor, content: torch.Tensor, style: torch.Tensor) -> dict[str, float]:
    """"Style carried", on what the eye sees first: how far ``image`` went from the content photo towards the style
    image, 0 (the photo's) to 1 (the style's), by

    - "luminance": its mean luminance, (L̄_content − L̄_image) / (L̄_content − L̄_style);
    - "colours": its colour histograms, 1 − W1(image, style) / W1(content, style) averaged over R, G and B, with W1
      the Wasserstein (earth mover's) distance between the distributions of a channel's values.

    Neither is a feature the optimisation matched. The images may have different sizes."""
    x, c, s = (_image_array(t, name) for t, name in ((image, "image"), (content, "content"), (style, "style")))
    lum = {name: rgb2gray(a).mean() for name, a in (("image", x), ("content", c), ("style", s))}
    gap = lum["content"] - lum["style"]
    if abs(gap) < 1e-3:
        raise ValueError("the content and the style have the same mean luminance; a luminance shift means nothing.")
    colours = [1 - _wasserstein(x[..., k], s[..., k]) / max(_wasserstein(c[..., k], s[..., k]), 1e-6)
               for k in range(3)]
    return {"luminance": float((lum["content"] - lum["image"]) / gap), "colours": float(np.mean(colours))}
