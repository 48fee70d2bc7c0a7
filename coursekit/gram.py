"""Textures and style as Gram statistics of CNN features (Gatys, Ecker & Bethge 2015, 2016).

«Représenter les textures»: a texture is stationary, so what matters is *which features occur together*, not where.
Take the activations F^l of layer l, shaped (C_l, H_l·W_l) (C_l feature maps of M_l = H_l·W_l positions); their
Gram matrix

    G^l_ij = (1 / M_l) Σ_k F^l_ik F^l_jk        (C_l × C_l)

is the average over positions of the product of features i and j: a summary that forgets the layout. Here G is
divided by M_l (the number of positions) so that images of different sizes have comparable Gram matrices.

- **Texture synthesis** («Synthèse de textures par CNN»): start from noise x̂ and minimise the Gram loss
  E = Σ_l w_l · (1/C_l²) Σ_ij (Ĝ^l_ij − G^l_ij)² by L-BFGS on the pixels, with w_l = 1 / mean((G^l)²) so that every
  layer's error is relative and all layers count alike. (Gatys et al. write E_l = 1/(4 N_l² M_l²) Σ_ij (Ĝ_ij − G_ij)²
  with un-normalised G and equal w_l; with G divided by M_l that is ¼ of (1/C_l²) Σ_ij (Ĝ_ij − G_ij)².)
- **Style transfer** («Capturer le style artistique»): start from the content photo p and minimise
  L = L_content + β · L_style, L_content = Σ_{c,k} (F̂_ck − P_ck)² / Σ_{c,k} P_ck² on one deep layer (relu4_2 of
  VGG-19), L_style the Gram loss above on relu1_1 … relu5_1 (Gatys et al.'s α/β ratio is our 1/β).

The pixels are kept in [0, 1] by a soft penalty during L-BFGS and clipped at the end (see ``_lbfgs``).

``style_transfer`` and ``synthesize_texture`` run these with a progress bar and return the image and the loss
history; they work outside the notebook. The features come from ``coursekit.features``. Used in notebook 06.
"""

from __future__ import annotations

import torch

RANGE_PENALTY = 100.0  # weight of the soft [0, 1] constraint on the pixels, relative to the starting loss


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """G_ij = (1/M) Σ_k F_ik F_jk for features (N, C, H, W) → (N, C, C), with M = H·W the number of positions.

    Divided by M (not by C·M, not un-normalised) so that a texture's statistics do not depend on the image size.
    """
    if not isinstance(features, torch.Tensor) or features.ndim != 4:
        shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise ValueError(f"gram_matrix expects features shaped (N, C, H, W), got {shape}.")
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)  # F: (N, C, M)
    return f @ f.transpose(1, 2) / (h * w)  # F Fᵀ / M: (N, C, C)


def gram_loss(grams: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
              weights: dict[str, float] | None = None) -> torch.Tensor:
    """Σ_l w_l · mean_ij (Ĝ^l_ij − G^l_ij)² over the layers of ``targets`` (each (N, C, C)); w_l = 1 by default."""
    total = 0.0
    for name, target in targets.items():
        w = 1.0 if weights is None else weights[name]
        total = total + w * (grams[name] - target).pow(2).mean()
    return total


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean (F̂ − P)² between the features of the image and of the content photo, both (N, C, H, W)."""
    return (features - target).pow(2).mean()


def _as_batch(image: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(image, torch.Tensor) or image.ndim not in (3, 4) or image.shape[-3] != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"{name} must be an RGB image (3, H, W) or (1, 3, H, W) in [0, 1], got {shape}; "
                         "coursekit.data.images.as_rgb converts paths, arrays, gray and RGBA images.")
    return image[None] if image.ndim == 3 else image


def style_targets(extractor, style: torch.Tensor, layers=None) -> tuple[dict, dict]:
    """The Gram matrices of ``style`` (1, 3, H, W) on ``layers`` (default: the extractor's style layers), and the
    weights w_l = 1 / mean(G_l²) that make each layer's loss relative, so that every layer counts the same whatever
    the scale of its activations. Returns (targets, weights)."""
    layers = extractor.style_layers if layers is None else tuple(layers)
    with torch.no_grad():
        targets = {name: gram_matrix(f) for name, f in extractor(style, layers).items()}
    weights = {name: 1.0 / g.pow(2).mean().clamp_min(1e-12).item() for name, g in targets.items()}
    return targets, weights


def style_loss(extractor, image: torch.Tensor, targets: dict, weights: dict) -> torch.Tensor:
    """Σ_l w_l · mean (Ĝ^l − G^l)² of ``image`` against the style's ``targets`` (see ``style_targets``)."""
    grams = {name: gram_matrix(f) for name, f in extractor(image, list(targets)).items()}
    return gram_loss(grams, targets, weights)


def _lbfgs(x0: torch.Tensor, objective, steps: int, desc: str) -> tuple[torch.Tensor, dict[str, list[float]]]:
    """Minimise objective(x)["total"] over the pixels x by L-BFGS (scipy's), gradients by autograd; a progress bar
    over the iterations.

    Pixels must end in [0, 1]. Hard bounds (L-BFGS-B's) stall the descent when the noise start has many pixels
    pushed against them, so the range is a soft penalty instead, RANGE_PENALTY · L(x₀) · mean(distance outside
    [0, 1])² (L(x₀): the starting loss, so that the penalty keeps its weight whatever the loss's scale), and the
    result is clipped at the end. objective returns a dict of scalar tensors, "total" and its parts.
    Returns (x, history): each part's value at the start, after every iteration, and for the clipped result
    (at most steps + 2 values).
    """
    import numpy as np
    from scipy.optimize import minimize

    from coursekit.runtime import progress

    shape, dtype = x0.shape, x0.dtype
    history: dict[str, list[float]] = {}
    last: dict[str, float] = {}
    last_fun = [None]  # the value scipy sees (with the range penalty) at the last evaluation

    with torch.no_grad():
        scale = max(float(objective(x0)["total"]), 1e-3)  # the penalty is weighed against the loss it competes with

    def fun(flat):
        x = torch.from_numpy(flat).view(shape).to(dtype).requires_grad_(True)
        terms = objective(x)
        outside = (x - x.clamp(0, 1)).pow(2).mean()  # 0 inside [0, 1]
        penalised = terms["total"] + RANGE_PENALTY * scale * outside
        penalised.backward()
        last.clear()
        last.update({name: float(value.detach()) for name, value in terms.items()})
        last_fun[0] = float(penalised.detach())
        return last_fun[0], x.grad.double().flatten().numpy()

    def record():
        for name, value in last.items():
            history.setdefault(name, []).append(value)

    bar = progress(range(steps), desc=desc)
    ticks = iter(bar)
    fun(x0.detach().double().flatten().numpy())
    record()

    def callback(intermediate_result):
        if last_fun[0] != intermediate_result.fun:  # the last evaluation was not at the accepted point
            fun(intermediate_result.x)
        record()
        next(ticks, None)

    result = minimize(fun, x0.detach().double().flatten().numpy(), jac=True, method="L-BFGS-B", callback=callback,
                      options={"maxiter": steps, "maxcor": 20, "ftol": 0.0, "gtol": 0.0})
    bar.close()
    image = torch.from_numpy(np.clip(result.x, 0, 1)).view(shape).to(dtype)
    with torch.no_grad():
        last.clear()
        last.update({name: float(value) for name, value in objective(image).items()})
        record()  # the losses of the image as returned, clipped
    return image, history


def synthesize_texture(extractor, texture: torch.Tensor, size: tuple[int, int] | None = None, steps: int = 200,
                       layers=None, seed: int = 0) -> tuple[torch.Tensor, list[float]]:
    """Texture synthesis by Gram matching: from uniform noise of ``size`` (default: the texture's), minimise the Gram
    loss to ``texture`` (3, H, W) on ``layers`` (default: the extractor's style layers) by L-BFGS. Returns
    (image (1, 3, h, w) in [0, 1], the loss before each step and at the end; the first value is the noise's)."""
    texture = _as_batch(texture, "texture")
    targets, weights = style_targets(extractor, texture, layers)
    h, w = size or texture.shape[-2:]
    noise = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))
    image, history = _lbfgs(noise, lambda x: {"total": style_loss(extractor, x, targets, weights)}, steps, "texture")
    return image, history["total"]


def style_transfer(extractor, content: torch.Tensor, style: torch.Tensor, style_weight: float = 10.0,
                   steps: int = 200, content_layer: str | None = None, style_layers=None):
    """Gatys et al.'s style transfer: from the ``content`` photo, minimise L = L_content + style_weight · L_style by
    L-BFGS, both relative losses (each layer divided by its target's mean square).

    content and style: (3, H, W) or (1, 3, H, W) in [0, 1], of any sizes: Gram matrices are averages over positions,
    so the style image is used at its own size. Returns (image (1, 3, H, W), history), history holding lists
    "total", "content" and "style": the values before each step and at the end.
    """
    content, style = _as_batch(content, "content"), _as_batch(style, "style")
    layer = content_layer or extractor.content_layer
    targets, weights = style_targets(extractor, style, style_layers)
    with torch.no_grad():
        p = extractor(content, [layer])[layer]
    p_weight = 1.0 / p.pow(2).mean().clamp_min(1e-12).item()

    def objective(x):
        feats = extractor(x, list(targets) + [layer])
        l_content = p_weight * content_loss(feats[layer], p)
        l_style = gram_loss({n: gram_matrix(feats[n]) for n in targets}, targets, weights)
        return {"total": l_content + style_weight * l_style, "content": l_content, "style": l_style}

    return _lbfgs(content, objective, steps, "style transfer")


def relative_losses(extractor, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor,
                    content_layer: str | None = None) -> dict[str, float]:
    """The content and style losses of ``image`` as ``style_transfer`` defines them: {"content": …, "style": …}.
    Use it to compare the result with the content photo and the style image."""
    image, content, style = _as_batch(image, "image"), _as_batch(content, "content"), _as_batch(style, "style")
    layer = content_layer or extractor.content_layer
    targets, weights = style_targets(extractor, style)
    with torch.no_grad():
        p = extractor(content, [layer])[layer]
        f = extractor(image, [layer])[layer]
        if f.shape != p.shape:
            raise ValueError(f"image and content must have the same size for a content loss, got "
                             f"{tuple(image.shape[-2:])} and {tuple(content.shape[-2:])}.")
        return {"content": float(content_loss(f, p) / p.pow(2).mean().clamp_min(1e-12)),
                "style": float(style_loss(extractor, image, targets, weights))}
