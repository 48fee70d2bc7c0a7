"""What a network learns: the lecture's «Qu'est-ce que le réseau apprend?» and «Extraire les caractéristiques».

Four ways to look inside a trained CNN:

1. **first-layer filters** as images (``filters_as_images``): on natural images they become oriented edges, gratings
   and colour blobs (Krizhevsky et al. 2012), like Hubel and Wiesel's simple cells; ``orientation_selectivity``
   measures it with gratings: a filter's linear response R(θ) to its best grating, against R(θ + 90°);
2. **feature maps**: the activations of a layer for one image, one small image per channel («activations de conv2»);
3. **top-activating patches** (``top_patches``): the dataset images that excite a unit most, cut to the window of
   the image the unit sees, its receptive field (``receptive_field``: a unit of layer l at position i sees the input
   pixels start + i·jump … start + i·jump + size − 1) (Zeiler & Fergus 2014; Araujo et al. 2019);
4. **activation maximisation** (``maximize_activation``): gradient ascent on the input image, x ← x + η ∂a/∂x, from
   noise, with random jitter and a little blur between steps so that the image stays natural-looking rather than
   adversarial noise (Mordvintsev et al. 2015, Olah et al. 2017).

Used in notebook 03.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from coursekit.conv import grating
from coursekit.runtime import integers, normal


def filters_as_images(weight: torch.Tensor) -> torch.Tensor:
    """Conv weights (C_out, C_in, K, K) → images (C_out, C_in, K, K) in [0, 1], each scaled on its own (0 → 0.5)."""
    scale = weight.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
    return (0.5 + 0.5 * weight / scale).clamp(0, 1)


def orientation_tuning(weight: torch.Tensor, angles: int = 16, wavelengths=(3.0, 4.0, 5.5, 7.5),
                       phases: int = 8) -> torch.Tensor:
    """Each filter's response R(θ) to luminance gratings at ``angles`` evenly spaced angles θ in [0, π).

    weight: (C_out, C_in, K, K). A grating g is the same on every input channel; R(θ) is the root mean square of the
    filter's linear response Σ w · g over the gratings' phases and ``wavelengths`` (in pixels). Returns (C_out, angles).
    """
    k = weight.shape[-1]
    w = weight.sum(dim=1)  # a luminance grating is the same on every channel: (C_out, K, K)
    bank = torch.stack([torch.stack([torch.stack([grating(math.pi * a / angles, k, lam, 2 * math.pi * p / phases)
                                                  for p in range(phases)]) for lam in wavelengths])
                        for a in range(angles)]).to(w)  # (A, L, P, K, K), beside the filters
    return torch.einsum("cij,alpij->calp", w, bank).pow(2).mean(dim=(-1, -2)).sqrt()


def orientation_selectivity(weight: torch.Tensor, angles: int = 16, wavelengths=(3.0, 4.0, 5.5, 7.5),
                            phases: int = 8) -> torch.Tensor:
    """For each filter of a conv weight (C_out, C_in, K, K): R(θ*) / R(θ* + 90°), from ``orientation_tuning``.

    θ* is the filter's preferred angle; ``angles`` must be even, so that θ* + 90° is one of the angles. A ratio of 3
    or more means the filter clearly prefers one orientation (a Gabor-like edge detector); colour blobs and random
    filters stay near 1.5 (measured: 3–6% of randomly initialised 7×7 filters reach 3). Returns (C_out,) ratios.
    """
    r = orientation_tuning(weight, angles, wavelengths, phases)  # R(θ): (C, A)
    preferred_angle = r.argmax(dim=1)
    rows = torch.arange(r.shape[0], device=r.device)
    preferred = r[rows, preferred_angle]
    orthogonal = r[rows, (preferred_angle + angles // 2) % angles]
    return preferred / orthogonal.clamp_min(1e-6 * preferred.max().item() + 1e-12)


def receptive_field(layers) -> tuple[int, int, int]:
    """The window of the input that one output position of a stack of layers sees.

    layers: (kernel, stride, padding) of every convolution and pooling from the input up, in order. Returns
    (size, jump, start): output position i sees the input pixels start + i·jump … start + i·jump + size − 1 (the same
    along both axes); start < 0 where the window overhangs the image into the padding. Through one layer, with the
    jump j of its input (the distance in input pixels between two neighbouring positions of that input):
    size ← size + (k − 1)·j, start ← start − p·j, j ← j·s (Araujo et al. 2019, "Computing receptive fields").
    """
    size, jump, start = 1, 1, 0  # one input pixel sees itself
    for kernel, stride, padding in layers:
        size += (kernel - 1) * jump  # k neighbouring positions of the input, j pixels apart
        start -= padding * jump  # the window starts p positions before the first input position
        jump *= stride  # neighbouring outputs are s input positions apart
    return size, jump, start


def top_patches(activations: torch.Tensor, images: torch.Tensor, k: int = 9,
                field: tuple[int, int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` images that excite a unit most: activations (N, H, W) or (N,) of one unit for images (N, C, H, W).

    A unit's score for an image is its maximum over positions. With ``field`` = (size, jump, start), the receptive
    field of the unit's layer (``receptive_field``), each image is cut to the window the unit sees at its strongest
    position, grey (0.5) where the window overhangs the image. Returns (patches (k, C, size, size), or whole images
    (k, C, H, W) without ``field``; their scores (k,)), strongest first.
    """
    if activations.dim() == 1:
        score, where = activations, None
    else:
        score, where = activations.flatten(1).max(dim=1)  # each image's strongest value and its (flat) position
    top = score.topk(k).indices
    if field is None:
        return images[top], score[top]
    if where is None:
        raise ValueError("top_patches needs the unit's maps (N, H, W), not one score per image, to cut out patches.")
    size, jump, start = field
    width = activations.shape[-1]
    pad = size + abs(start)  # enough for a window at any position to fall inside the padded image
    padded = F.pad(images[top], (pad, pad, pad, pad), value=0.5)
    patches = []
    for n, position in enumerate(where[top].tolist()):
        i, j = divmod(position, width)  # row and column of the strongest position
        y, x = start + i * jump + pad, start + j * jump + pad  # its window's first pixel, in the padded image
        patches.append(padded[n, :, y:y + size, x:x + size])
    return torch.stack(patches), score[top]


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A Gaussian blur of standard deviation ``sigma`` pixels: images (N, C, H, W) → (N, C, H, W), reflected edges.

    Separable: one 1-D kernel exp(−t²/2σ²)/Σ along the rows, then along the columns.
    """
    radius = max(1, int(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1),
                 groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
                    groups=c)


def maximize_activation(model, layer: str, unit: int, size: int = 32, channels: int = 3, steps: int = 200,
                        lr: float = 5e-4, jitter: int = 2, blur_sigma: float = 0.5, blur_every: int = 4,
                        seed: int = 0) -> tuple[torch.Tensor, list[float]]:
    """Gradient ascent on an image to excite one unit: x ← x + η ∂a/∂x, a = mean activation of ``unit`` in ``layer``.

    model: has ``features(x)`` returning named activations (N, C, H, W). Each step shifts the image by a random jitter
    (up to ``jitter`` px) before the forward pass; every ``blur_every`` steps the image is blurred a little: both keep
    high-frequency noise out. Returns (image (channels, size, size) in [0, 1], activation at every step).
    """
    g = torch.Generator().manual_seed(seed)  # drawn on the CPU, the image made on the model's device
    device = next(model.parameters()).device
    x = (0.5 + 0.01 * normal((1, channels, size, size), g, device)).requires_grad_(True)  # grey noise
    shifts = (integers(2 * jitter + 1, (steps, 2), g, "cpu") - jitter).tolist()  # the jitter (dy, dx) of every step
    history = []
    for step, (dy, dx) in enumerate(shifts):
        shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        activation = model.features(shifted.clamp(0, 1))[layer][0, unit].mean()  # a
        (grad,) = torch.autograd.grad(activation, x)  # ∂a/∂x
        with torch.no_grad():
            x += lr * grad / (grad.abs().mean() + 1e-8)  # x ← x + η ∂a/∂x, normalised: η per pixel on average
            if blur_every and step % blur_every == 0:
                x.copy_(blur(x, blur_sigma))
            x.clamp_(0, 1)
        history.append(activation.item())
    return x.detach()[0], history
