"""Convolution: the lecture's «Réseaux de neurones à convolution».

A convolutional layer slides the same small filter over the whole image. Each output is a weighted sum of one
neighbourhood, with the weights shared by every position:

    y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[n, c, i·s + u, j·s + v]

(n: image of the batch, o: output channel, c: input channel, (u, v): position in the K×K kernel, s: stride; the
input is zero-padded by ``padding`` pixels first). Deep-learning "convolution" is this cross-correlation: the kernel
is not flipped, unlike the convolution of signal processing, which makes no difference to a filter that is learned.

Sharing makes the layer small (c_in·c_out·K² + c_out parameters, whatever the image size) and makes it see the same
pattern wherever it occurs. Hubel and Wiesel found neurons of the cat's visual cortex that respond to edges of one
orientation; ``gabor_bank`` builds such oriented filters by hand, and notebook 03 shows a CNN learning them.

Used in notebook 02 (the hand-written convolution is an exercise there); notebooks 03 and 04 build on it.
"""

from __future__ import annotations

import math

import torch


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any((not isinstance(v, int)) or v < 0 for v in pair):
        raise ValueError(f"{name} must be a non-negative integer or a pair of them, got {value!r}.")
    return pair


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1, padding=0):
    """A 2-D convolution (cross-correlation) written out, equal to ``torch.nn.functional.conv2d``.

    x: (N, C_in, H, W); weight: (C_out, C_in, K_h, K_w); bias: (C_out,) or None; stride, padding: an int or a pair.
    Returns (N, C_out, H_out, W_out) with H_out = (H + 2·padding − K_h) // stride + 1 (and the same for W).
    """
    if x.dim() != 4 or weight.dim() != 4:
        raise ValueError(f"conv2d expects x (N, C_in, H, W) and weight (C_out, C_in, K_h, K_w), got shapes "
                         f"{tuple(x.shape)} and {tuple(weight.shape)}.")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but weight expects {weight.shape[1]} (weight.shape[1]).")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    if sh == 0 or sw == 0:
        raise ValueError(f"stride must be at least 1, got {stride!r}.")
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    x = torch.nn.functional.pad(x, (pw, pw, ph, ph))  # zeros around the image
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"the {kh}×{kw} kernel does not fit in the padded {h + 2 * ph}×{w + 2 * pw} input.")
    y = x.new_zeros(n, c_out, h_out, w_out)
    for u in range(kh):  # one kernel position at a time: every output pixel at once
        for v in range(kw):
            # x[n, c, i·s + u, j·s + v] for all output positions (i, j): a strided view of the padded input
            window = x[:, :, u:u + sh * (h_out - 1) + 1:sh, v:v + sw * (w_out - 1) + 1:sw]  # (N, C_in, H_out, W_out)
            y = y + torch.einsum("nchw,oc->nohw", window, weight[:, :, u, v])  # Σ_c w[o, c, u, v] · x[…]
    if bias is not None:
        y = y + bias[None, :, None, None]
    return y


def conv_parameter_count(in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> int:
    """Parameters of a convolutional layer: c_in·c_out·K² shared weights (+ c_out biases), for any image size."""
    return in_channels * out_channels * kernel_size**2 + (out_channels if bias else 0)


def output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Side of a convolution's output: (size + 2·padding − K) // stride + 1."""
    return (size + 2 * padding - kernel_size) // stride + 1


def gabor(theta: float, size: int = 11, wavelength: float = 5.0, sigma: float = 2.5) -> torch.Tensor:
    """An oriented Gabor filter (size, size): a cosine grating at angle ``theta`` (radians) under a Gaussian.

    g(x, y) = exp(−(x² + y²) / 2σ²) · cos(2π x' / λ), with x' = x cos θ + y sin θ: θ is the direction along which
    the grating varies (θ = 0: from left to right, so the stripes are vertical). It responds to edges and bars
    parallel to its stripes, like the simple cells of Hubel and Wiesel. Zero mean, unit norm.
    """
    r = (size - 1) / 2
    t = torch.linspace(-r, r, size, device="cpu")  # a filter on the CPU: move it beside the images it filters
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    x_rot = xx * math.cos(theta) + yy * math.sin(theta)
    g = torch.exp(-(xx**2 + yy**2) / (2 * sigma**2)) * torch.cos(2 * math.pi * x_rot / wavelength)
    g = g - g.mean()
    return g / g.norm()


def gabor_bank(orientations: int = 4, size: int = 11, wavelength: float = 5.0, sigma: float = 2.5) -> torch.Tensor:
    """``orientations`` Gabor filters at evenly spaced angles in [0, π), as a conv weight (orientations, 1, size, size)."""
    angles = [math.pi * k / orientations for k in range(orientations)]
    return torch.stack([gabor(a, size, wavelength, sigma) for a in angles])[:, None]


def grating(theta: float, size: int, wavelength: float, phase: float = 0.0) -> torch.Tensor:
    """A sinusoidal grating (size, size) in [−1, 1] whose stripes vary along angle ``theta`` with period ``wavelength``.

    Used to measure a filter's preferred orientation (notebook 03).
    """
    coords = torch.arange(size, dtype=torch.float32, device="cpu") - (size - 1) / 2
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    return torch.cos(2 * math.pi * (xx * math.cos(theta) + yy * math.sin(theta)) / wavelength + phase)
