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
- ``compare_extractors``: the offline feature extractors that could stand in for VGG-19 when its weights cannot be
  downloaded (``extractor_candidates``), on the same style-transfer pairs at the same style weights: the measures of
  ``gram.edge_correlation`` and ``gram.style_shift`` and the seconds per iteration (``coursekit bench extractors``).
"""

from __future__ import annotations

import textwrap
import time

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from coursekit import features, gram, models, pixelcnn, runtime
from coursekit.data import photos, textures
from coursekit.data.images import as_rgb


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


def offline_transfer(side: int = 256, steps: int = 100, style_weight: float = 0.1) -> dict:
    """Notebook 06's style transfer as it runs offline (the temple and the deep field at ``side`` px, the random
    filters, its checked style weight β = 0.1) on this machine's default device: {"seconds", "iterations" (run, at
    most ``steps``), "edges", "luminance", "colours"}."""
    extractor = features.RandomFeatures().to(runtime.device())
    content, style = style_pairs(side)["temple by night"]
    start = time.perf_counter()
    image, history = gram.style_transfer(extractor, content, style, style_weight=style_weight, steps=steps)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "iterations": len(history["total"]) - 2,
            "edges": gram.edge_correlation(image, content), **gram.style_shift(image, content, style)}


class _NaturalFeatures(nn.Module):
    """Notebook 03's trained ``NaturalCNN`` as a feature extractor: style on conv1 … conv3, content on conv2."""

    style_layers = ("conv1", "conv2", "conv3")
    content_layer = "conv2"

    def __init__(self):
        super().__init__()
        self.net = models.natural_classifier(pretrained=True).requires_grad_(False)

    def forward(self, images, layers=None):
        wanted = self.style_layers if layers is None else tuple(layers)
        out = self.net.features(images)
        return {name: out[name] for name in wanted}


def random_vgg19(width: float = 1.0, seed: int = 0) -> features.VGGFeatures:
    """VGG-19's convolutional part with random weights, ``width`` times its channels (64·width … 512·width), He
    initialisation as torchvision's, zero biases: He, Wang & Hopcroft (2016) transfer style with random VGG
    weights. The scale of the weights does not matter here: every loss is relative."""
    g = torch.Generator().manual_seed(seed)
    layers, channels_in = [], 3
    for block, convs in enumerate(features.VGG19_BLOCKS):
        channels = max(1, round(min(64 * 2 ** block, 512) * width))
        for _ in range(convs):
            conv = nn.Conv2d(channels_in, channels, 3, padding=1)
            with torch.no_grad():  # kaiming_normal_(mode="fan_out", nonlinearity="relu"), from the generator
                conv.weight.normal_(0, (2 / (channels * 9)) ** 0.5, generator=g)
                conv.bias.zero_()
            layers += [conv, nn.ReLU()]
            channels_in = channels
        layers.append(nn.MaxPool2d(2, 2))
    return features.VGGFeatures(nn.Sequential(*layers), False, "avg")


def extractor_candidates() -> dict[str, nn.Module]:
    """The offline extractors compared by ``compare_extractors``, by name; each has its own content layer."""
    before = features.RandomFeaturesConfig(content_size=None)  # the content layer of November 2026: k11
    return {"random filters, zero-mean content (the course's)": features.RandomFeatures(),
            "random filters, content on k11 (until 2026-11)": features.RandomFeatures(before),
            "random VGG-19 (He et al. 2016)": random_vgg19(1.0),
            "random VGG-19, half width": random_vgg19(0.5),
            "notebook 03's natural CNN (trained)": _NaturalFeatures()}


def style_pairs(side: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Notebook 06's pairs, (content, style) with the longer side ``side``: the temple by night (the Hubble deep
    field's style) and the cat in gravel (a texture as style)."""
    return {"temple by night": (as_rgb(photos.photo("china"), max_side=side, verbose=False),
                                as_rgb(photos.photo("hubble_deep_field"), max_side=side, verbose=False)),
            "cat in gravel": (as_rgb(photos.photo("chelsea"), max_side=side, verbose=False),
                              textures.texture("gravel", side))}


def compare_extractors(candidates: dict, pairs: dict, style_weights=(0.01, 0.1, 1.0, 10.0),
                       steps: int = 60) -> list[dict]:
    """Every candidate extractor on every (content, style) pair at every style weight, ``steps`` L-BFGS
    iterations each, on the candidate's own content layer and style layers. Returns one row per transfer:
    {"extractor", "pair", "beta", "edges" (``gram.edge_correlation``), "luminance", "colours"
    (``gram.style_shift``), "seconds_per_iteration", "image" (1, 3, H, W)}."""
    rows = []
    for name, extractor in candidates.items():
        for pair, (content, style) in pairs.items():
            for beta in style_weights:
                start = time.perf_counter()
                image, history = gram.style_transfer(extractor, content, style, style_weight=beta, steps=steps)
                seconds = (time.perf_counter() - start) / (len(history["total"]) - 2)  # per iteration run
                rows.append({"extractor": name, "pair": pair, "beta": beta,
                             "edges": gram.edge_correlation(image, content), **gram.style_shift(image, content, style),
                             "seconds_per_iteration": seconds, "image": image})
    return rows


def comparison_figure(rows: list[dict], pairs: dict) -> Figure:
    """The rows of ``compare_extractors`` as one figure: the pairs' content and style on top, then one row per
    extractor, one column per pair and style weight, each result titled with its measures."""
    names = list(dict.fromkeys(row["extractor"] for row in rows))
    columns = list(dict.fromkeys((row["pair"], row["beta"]) for row in rows))
    fig = Figure(figsize=(2.6 * len(columns), 2.2 * (len(names) + 1)))
    axes = fig.subplots(len(names) + 1, len(columns), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for pair, images in pairs.items():  # the top row: each pair's content, then its style, above its columns
        under = [c for c, (p, _) in enumerate(columns) if p == pair]
        for col, image, what in zip(under, images, ("content", "style")):
            axes[0, col].imshow(image.permute(1, 2, 0).numpy())
            axes[0, col].set_title(f"{pair}: {what}", fontsize=8)
    for row in rows:
        ax = axes[1 + names.index(row["extractor"]), columns.index((row["pair"], row["beta"]))]
        ax.imshow(row["image"][0].permute(1, 2, 0).numpy())
        ax.set_title(f"β = {row['beta']:g} · edges {row['edges']:.2f}\nluminance {row['luminance']:.0%} · colours "
                     f"{row['colours']:.0%} · {row['seconds_per_iteration']:.2f} s/it", fontsize=7)
    for k, name in enumerate(names):
        axes[1 + k, 0].text(-0.05, 0.5, textwrap.fill(name, 30), transform=axes[1 + k, 0].transAxes, rotation=90,
                            ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


def comparison_table(rows: list[dict]) -> str:
    """The rows of ``compare_extractors`` as a Markdown table."""
    lines = ["| extractor | pair | β | edges kept | luminance moved | colours moved | s per iteration |",
             "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['extractor']} | {r['pair']} | {r['beta']:g} | {r['edges']:.2f} | {r['luminance']:.0%} | "
              f"{r['colours']:.0%} | {r['seconds_per_iteration']:.3f} |" for r in rows]
    return "\n".join(lines)
