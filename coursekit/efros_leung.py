"""Non-parametric texture synthesis (Efros & Leung 1999): the lecture's «Synthèse de texture: rappel».

A texture is grown one pixel at a time. For each new pixel p, look at its neighbourhood N(p), the pixels already
synthesised around it, and find the windows of the example texture that look most like it (sum of squared
differences over the known neighbours, weighted by a Gaussian). The new pixel copies the centre of one of those best
windows, picked at random: it is a sample from the empirical distribution P(p | N(p)).

Efros and Leung grow the texture outwards from a seed, the unknown pixels with the most known neighbours first.
Here the pixels are visited in raster order instead, so the known neighbourhood is exactly the causal one of a
PixelCNN's mask A (``coursekit.pixelcnn.causal_mask``): rows above, and the current row to the left. Replace "look up
the example texture" by "predict with a network" and this becomes PixelCNN, P(p_i | p_1, …, p_{i−1}) (notebook 04).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit.pixelcnn import causal_mask
from coursekit.runtime import integers


def synthesize(example: torch.Tensor, height: int, width: int, window: int = 9, tolerance: float = 0.1,
               seed: int = 0, record: tuple[int, ...] = ()):
    """Grow a (C, height, width) texture from ``example`` (C, H, W) in [0, 1], pixel by pixel in raster order.

    window: side of the (odd) neighbourhood compared. tolerance: candidates are the windows whose distance is within
    (1 + tolerance) × the best one's; one is picked uniformly. record: pixel counts after which to keep a copy of the
    canvas (NaN where nothing was synthesised yet). Returns (texture (C, height, width), {count: canvas copy}).
    """
    if example.dim() != 3:
        raise ValueError(f"example must be a (C, H, W) image, got shape {tuple(example.shape)}.")
    if window % 2 != 1 or window > min(example.shape[1:]):
        raise ValueError(f"window must be odd and fit in the example ({tuple(example.shape[1:])}), got {window}.")
    g = torch.Generator().manual_seed(seed)
    c, half = example.shape[0], window // 2
    patches = F.unfold(example[None], window)[0].T.reshape(-1, c, window, window)  # (P, C, k, k) every window
    centres = patches[:, :, half, half]  # (P, C) the pixel each window would give
    device = example.device  # the canvas and the masks beside the example; the random picks drawn on the CPU
    yy = torch.arange(window, dtype=torch.float32, device=device) - half
    gauss = torch.exp(-(yy[:, None] ** 2 + yy[None] ** 2) / (2 * (window / 6.4) ** 2))  # Efros & Leung's σ = k/6.4
    causal = causal_mask(window, "A").to(device)  # rows above + the row's left part: what raster order knows

    canvas = torch.zeros(c, height + 2 * half, width + 2 * half, device=device)
    known = torch.zeros(height + 2 * half, width + 2 * half, device=device)
    snapshots = {}
    for i in range(height):
        for j in range(width):
            neighbourhood = canvas[:, i:i + window, j:j + window]
            weight = gauss * causal * known[i:i + window, j:j + window]  # only pixels already synthesised count
            if weight.sum() == 0:  # the very first pixel: no context, take any pixel of the example
                pick = integers(len(centres), (1,), g, device)
            else:
                ssd = ((patches - neighbourhood) ** 2 * weight).sum(dim=(1, 2, 3)) / weight.sum()  # (P,)
                candidates = (ssd <= ssd.min() * (1 + tolerance) + 1e-8).nonzero()[:, 0]
                pick = candidates[integers(len(candidates), (1,), g, device)]
            canvas[:, i + half, j + half] = centres[pick][0]
            known[i + half, j + half] = 1
            count = i * width + j + 1
            if count in record:
                partial = canvas[:, half:half + height, half:half + width].clone()
                partial[:, known[half:half + height, half:half + width] == 0] = float("nan")
                snapshots[count] = partial
    return canvas[:, half:half + height, half:half + width], snapshots
