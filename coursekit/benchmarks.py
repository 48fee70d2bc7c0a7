"""What ``coursekit bench pixelcnn`` and ``coursekit bench style`` measure: the course's code against a baseline.

- ``pixelcnn_sampling``: naive sampling (one forward pass per pixel) against the cached sampler, same numbers.
- ``style_transfer``: ``gram.style_transfer`` (``torch.optim.LBFGS`` with a line search, the soft range penalty, a
  history) against the loop of the PyTorch tutorial "Neural Transfer Using PyTorch" (``tutorial_style_transfer``:
  ``torch.optim.LBFGS`` with its defaults, the pixels clamped in place before every evaluation, MSE losses on Gram
  matrices divided by the number of their entries' terms). Both use the same extractor and the same layers, so
  that the ratio of their seconds per evaluation (one forward and one backward pass, and the optimiser's work until
  the next) measures the optimisation code alone. The time runs from the first evaluation to the last, so that the
  set-up (the targets' features) and the course's final measure of the clipped image count for neither. Neither
  needs the ImageNet weights: an evaluation costs the same with random ones.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from coursekit import gram, pixelcnn


def pixelcnn_sampling(n: int = 16, size: int = 28) -> dict:
    """Seconds to draw ``n`` digits with the naive and the cached sampler from the shipped Gated PixelCNN, with the
    same random numbers: {"naive": s, "cached": s, "identical": whether the samples are the same}."""
    model = pixelcnn.gated_pixelcnn(pretrained=True)
    u = torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(0))
    seconds, images = {}, {}
    for name, sampler in (("naive", pixelcnn.sample), ("cached", pixelcnn.sample_cached)):
        start = time.perf_counter()
        images[name], _ = sampler(model, n, size, None, uniforms=u)
        seconds[name] = time.perf_counter() - start
    return seconds | {"identical": torch.equal(images["naive"], images["cached"])}


class _Counted(torch.nn.Module):
    """An extractor that notes when each call that will be differentiated starts: the evaluations of an
    optimisation."""

    def __init__(self, extractor):
        super().__init__()
        self.extractor, self.starts = extractor, []
        self.style_layers, self.content_layer = extractor.style_layers, extractor.content_layer

    @property
    def evaluations(self) -> int:
        return len(self.starts)

    def seconds_per_evaluation(self) -> float:
        """From the first evaluation's start to the last one's, per evaluation in between."""
        return (self.starts[-1] - self.starts[0]) / (len(self.starts) - 1)

    def forward(self, images, layers=None):
        if torch.is_grad_enabled() and images.requires_grad:
            self.starts.append(time.perf_counter())
        return self.extractor(images, layers)


def _tutorial_gram(features: torch.Tensor) -> torch.Tensor:
    a, b, c, d = features.size()  # the tutorial's gram_matrix
    flat = features.view(a * b, c * d)
    return torch.mm(flat, flat.t()).div(a * b * c * d)


def tutorial_style_transfer(extractor, content: torch.Tensor, style: torch.Tensor, evaluations: int,
                            style_weight: float = 1e6, content_weight: float = 1.0) -> torch.Tensor:
    """The PyTorch tutorial's optimisation loop, on ``extractor``'s layers: ``torch.optim.LBFGS([x])`` with its
    defaults, ``optimizer.step(closure)`` until ``evaluations`` closures have run. content, style: (1, 3, H, W).
    Returns the image (1, 3, H, W)."""
    layers = [*extractor.style_layers, extractor.content_layer]
    with torch.no_grad():
        style_targets = {k: _tutorial_gram(v) for k, v in extractor(style, extractor.style_layers).items()}
        content_target = extractor(content, [extractor.content_layer])[extractor.content_layer]
    x = content.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([x])
    run = [0]
    while run[0] < evaluations:

        def closure():
            with torch.no_grad():
                x.clamp_(0, 1)
            optimizer.zero_grad()
            feats = extractor(x, layers)
            style_score = sum(F.mse_loss(_tutorial_gram(feats[k]), t) for k, t in style_targets.items())
            content_score = F.mse_loss(feats[extractor.content_layer], content_target)
            loss = style_weight * style_score + content_weight * content_score
            loss.backward()
            run[0] += 1
            return loss

        optimizer.step(closure)
    with torch.no_grad():
        x.clamp_(0, 1)
    return x.detach()


def style_transfer(extractor, content: torch.Tensor, style: torch.Tensor, steps: int = 20,
                   rounds: int = 3) -> dict:
    """Seconds per evaluation of ``gram.style_transfer`` (``steps`` iterations) and of the tutorial's loop (at
    least as many evaluations: its L-BFGS steps run 20 iterations each), run in turn ``rounds`` times, each first
    in every other round, the fastest round of each kept (the first pays for warming up).
    Returns {"course": s, "tutorial": s, "ratio": course / tutorial, "evaluations": of the course's run,
    "iterations": steps, "history": the course's last history}."""
    if rounds < 1 or steps < 1:
        raise ValueError(f"steps and rounds must be at least 1, got {steps} and {rounds}.")
    counted = _Counted(extractor)
    best = {"course": float("inf"), "tutorial": float("inf")}
    evaluations = 3 * steps  # the tutorial's, until the course's first run has counted its own
    for turn in range(rounds):
        for name in ("course", "tutorial")[::1 if turn % 2 == 0 else -1]:  # each goes first in every other round
            counted.starts = []
            if name == "course":
                _, history = gram.style_transfer(counted, content, style, style_weight=10.0, steps=steps)
                evaluations = counted.evaluations
            else:
                tutorial_style_transfer(counted, content[None], style[None], evaluations)
            best[name] = min(best[name], counted.seconds_per_evaluation())
    return best | {"ratio": best["course"] / best["tutorial"], "evaluations": evaluations, "iterations": steps,
                   "history": history}
