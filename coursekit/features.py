"""Feature extractors that return named activations, for textures and style (notebook 06).

«Extraire les caractéristiques d'une image»: a CNN's activations describe an image at several scales, from edges and
colours (first layers) to object parts (deep layers). Gatys et al. use VGG-19 trained on ImageNet; its layers are
named by **block and position**: ``conv3_1`` is the first convolution of block 3, ``relu3_1`` its ReLU, ``pool3`` the
pooling that ends the block. (The PyTorch tutorial counts convolutions instead: its content layer "conv_4", the fourth
convolution, is conv2_2, where Gatys et al. take conv4_2.)

Two extractors with one interface: ``extractor(images, layers)`` → {name: (N, C, h, w)}, images (N, 3, H, W) in
[0, 1]; each has ``style_layers`` and ``content_layer``.

- ``VGGFeatures``: torchvision's VGG-19, with ImageNet weights when they are cached or can be downloaded (about
  550 MB, once), max pooling replaced by average pooling as Gatys et al. recommend for synthesis.
- ``RandomFeatures``: no training at all. One layer of random filters at several sizes, 3 to 55 px, then ReLU
  (Ustyuzhaninov et al. 2017, "What does it take to generate natural textures?"): their textures come close to
  VGG's. To keep a 55-px filter affordable on a CPU, sizes above ``RandomFeaturesConfig.largest_kernel`` are made as a
  random ``largest_kernel``-wide filter applied to the image downsampled by size / largest_kernel: a random filter
  of that size that is smooth at the downsampling scale. Its content layer, ``e5``, is a separate set of random
  5-px filters with zero mean: they answer to the photo's edges, not to its colours.

``feature_extractor("auto")`` picks VGG-19 when its weights can be had and the random network otherwise, and says
which. Why this random network offline: ``coursekit bench extractors`` compares it, on notebook 06's style-transfer
pairs, with the same random filters with their 11-px style layer as the content layer (the course's until
December 2026), a random VGG-19 (He, Wang & Hopcroft 2016), a half-width one and notebook 03's trained CNN.

- A random filter that is not zero-mean answers mostly to the mean colour under it. A content layer made of such
  filters pins the photo's colours as much as its edges, so the deep field's darkness can only come by giving up
  the edges: a black silhouette of the hillside under a pale band, the temple gone from β = 1.
- The zero-mean content layer lets the colours go and keeps the edges. The sky turns black and the temple stays,
  lit: in notebook 06 (256 px, β = 0.1), edges kept 0.96, with the mean luminance 93% of the way to the deep field's.
  (5-px content filters keep the edges a little better than 11-px ones, 0.95 against 0.93 at β = 1, and cost half
  as much.)
- The random VGGs cover the sky with coloured noise whose edges drown the temple's, and the small trained CNN leaves
  a grid of pooling artefacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data.download import download, mirrored
from coursekit.environment import data_dir, mirror

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
VGG19_BLOCKS = (2, 2, 4, 4, 4)  # convolutions per block of VGG-19
VGG_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
VGG_CONTENT_LAYER = "relu4_2"
# torchvision's file of VGG-19's ImageNet weights (VGG19_Weights.IMAGENET1K_V1); torch hub names a file by the first
# hex digits of its SHA-256, checked when it comes from a class's mirror
VGG19_FILE = "vgg19-dcbb9e9d.pth"
VGG19_SHA256_PREFIX = "dcbb9e9d"


def imagenet_normalize(images: torch.Tensor) -> torch.Tensor:
    """(x − mean) / std with ImageNet's channel statistics: what ImageNet-trained networks expect. New tensor."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images - mean) / std


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] != 3:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"features expect RGB images shaped (N, 3, H, W) in [0, 1], got {shape}; "
                         "coursekit.data.images.as_rgb converts gray or RGBA images.")


def vgg_layer_names(blocks=VGG19_BLOCKS) -> list[str]:
    """The names of the layers of VGG's ``features``, in order: conv1_1, relu1_1, conv1_2, relu1_2, pool1, …"""
    names = []
    for b, convs in enumerate(blocks, start=1):
        for p in range(1, convs + 1):
            names += [f"conv{b}_{p}", f"relu{b}_{p}"]
        names.append(f"pool{b}")
    return names


class VGGFeatures(nn.Module):
    """Named activations of VGG-19's convolutional part, frozen. ``features``: torchvision's ``vgg19().features``."""

    style_layers = VGG_STYLE_LAYERS
    content_layer = VGG_CONTENT_LAYER

    def __init__(self, features: nn.Sequential, pretrained: bool, pool: str = "avg"):
        super().__init__()
        names = vgg_layer_names()
        if len(features) != len(names):
            raise ValueError(f"expected VGG-19's {len(names)} feature layers, got {len(features)}.")
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}.")
        layers = {}
        for name, layer in zip(names, features):
            if isinstance(layer, nn.ReLU):
                layer = nn.ReLU(inplace=False)  # in place would overwrite the conv output we may return
            elif isinstance(layer, nn.MaxPool2d) and pool == "avg":
                layer = nn.AvgPool2d(2, 2)
            layers[name] = layer
        self.layers = nn.ModuleDict(layers)
        self.pretrained = pretrained
        self.pool = pool
        self.requires_grad_(False)
        self.eval()

    def extra_repr(self) -> str:
        return f"VGG-19, {'ImageNet weights' if self.pretrained else 'random weights'}, {self.pool} pooling"

    def describe(self) -> str:
        return f"VGG-19 with {'ImageNet' if self.pretrained else 'random (untrained)'} weights"

    def forward(self, images: torch.Tensor, layers=None) -> dict[str, torch.Tensor]:
        _check_images(images)
        wanted = set(self.layers) if layers is None else set(layers)
        unknown = wanted - set(self.layers)
        if unknown:
            raise ValueError(f"VGG-19 has no layer {sorted(unknown)}; its layers are named like conv4_2, relu4_2, "
                             "pool4 (block_position).")
        out, x = {}, imagenet_normalize(images)
        for name, layer in self.layers.items():
            x = layer(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break  # no need to run the deeper layers
        return out


def vgg19(pretrained: bool = True, pool: str = "avg", progress: bool = True) -> VGGFeatures:
    """VGG-19's features from torchvision, with ImageNet weights when ``pretrained``. Raises the download's error when
    the weights cannot be had.

    The weights come from torchvision (downloaded once into torch hub's cache over HTTPS, checked by torchvision),
    or, when ``COURSEKIT_MIRROR`` names a class's mirror or the course's cache already holds them, from the course's
    cache (``vgg19_weights_file``), checked by their SHA-256 prefix and read with ``torch.load(weights_only=True)``,
    which runs no code from the file."""
    # here: importing torchvision takes over 1 s (it loads torch._dynamo), and only VGG-19 needs it
    from torchvision.models import VGG19_Weights, vgg19 as tv_vgg19

    if not pretrained:
        return VGGFeatures(tv_vgg19(weights=None).features, False, pool)
    cached = vgg19_weights_file()
    if mirror() is None and not cached.is_file():
        return VGGFeatures(tv_vgg19(weights=VGG19_Weights.IMAGENET1K_V1, progress=progress).features, True, pool)
    download(mirrored(VGG19_Weights.IMAGENET1K_V1.url, VGG19_FILE), cached, sha256=VGG19_SHA256_PREFIX,
             progress=progress)  # a file already there is only checked
    model = tv_vgg19(weights=None)
    model.load_state_dict(torch.load(cached, map_location="cpu", weights_only=True))
    return VGGFeatures(model.features, True, pool)


def vgg19_weights_file() -> Path:
    """Where the course keeps VGG-19's ImageNet weights when they come from a class's mirror: its own cache
    (``COURSEKIT_DATA``), not torch hub's, so that torchvision never unpickles a file it did not download itself."""
    return data_dir() / VGG19_FILE


@dataclass(frozen=True)
class RandomFeaturesConfig:
    """One layer of random filters at several sizes (Ustyuzhaninov et al. 2017), ``filters`` per size, then ReLU: the
    style layers ``k3`` … ``k55``.

    Sizes above ``largest_kernel`` are applied to the image downsampled by size / largest_kernel, so that each scale
    costs at most a largest_kernel² convolution. seed: the filters are random but fixed by it.

    The content layer is its own set of ``filters`` random filters of ``content_size`` px, each with zero mean on
    every colour channel, then ReLU: ``e5`` for 5 px. A zero-mean filter does not answer to a uniform colour,
    only to how the colours change under it: the layer keeps the photo's edges and lets its colours and brightness
    go. The style layers' filters are not zero-mean, so that their Gram matrices hold the colours too. (A content
    layer taken from them, ``k11``, pins the photo's colours as much as its edges: a style transfer that darkens the
    photo then loses its edges too; ``coursekit bench extractors`` shows it.) content_size=None: the style layer
    closest to ``largest_kernel`` is the content layer, as before December 2026.
    """

    sizes: tuple[int, ...] = (3, 5, 7, 11, 23, 37, 55)
    filters: int = 64
    largest_kernel: int = 11
    seed: int = 0
    content_size: int | None = 5


class RandomFeatures(nn.Module):
    """Named activations ``k3``, ``k5``, … ``k55`` of one layer of random multi-scale filters (the style layers), and
    ``e5`` of zero-mean random filters (the content layer); nothing is trained."""

    def __init__(self, config: RandomFeaturesConfig = RandomFeaturesConfig()):
        super().__init__()
        self.config = config
        g = torch.Generator().manual_seed(config.seed)
        self.style_layers = tuple(f"k{s}" for s in config.sizes)
        for s in config.sizes:
            k = min(s, config.largest_kernel)
            w = torch.randn(config.filters, 3, k, k, generator=g) / (3 * k * k) ** 0.5  # N(0, 1/fan_in)
            self.register_buffer(f"weight_k{s}", w)
        if config.content_size is None:
            self.content_layer = f"k{min(config.sizes, key=lambda s: abs(s - config.largest_kernel))}"
        else:  # drawn after the style filters, which stay what they were without it
            k = min(config.content_size, config.largest_kernel)  # larger: on the downsampled image, as above
            w = torch.randn(config.filters, 3, k, k, generator=g)
            w = w - w.mean((2, 3), keepdim=True)                      # Σ over positions = 0 on each channel
            self.content_layer = f"e{config.content_size}"
            self.register_buffer(f"weight_{self.content_layer}", w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1))
        self.layer_names = tuple(dict.fromkeys(self.style_layers + (self.content_layer,)))

    def extra_repr(self) -> str:
        c = self.config
        return (f"sizes={c.sizes}, filters={c.filters} per size, largest kernel {c.largest_kernel}, "
                f"content layer {self.content_layer}")

    def describe(self) -> str:
        c = self.config
        content = "" if c.content_size is None else f", zero-mean {c.content_size}-px filters for the content"
        return (f"one layer of random filters ({c.filters} per size, sizes {c.sizes[0]}–{c.sizes[-1]} px{content}), "
                "untrained")

    def forward(self, images: torch.Tensor, layers=None) -> dict[str, torch.Tensor]:
        _check_images(images)
        wanted = self.style_layers if layers is None else tuple(layers)
        unknown = set(wanted) - set(self.layer_names)
        if unknown:
            raise ValueError(f"the random network has no layer {sorted(unknown)}; its layers are {self.layer_names}.")
        x = imagenet_normalize(images)
        out = {}
        for name in wanted:
            w = getattr(self, f"weight_{name}")
            factor = int(name[1:]) / self.config.largest_kernel
            xs = x
            if factor > 1:  # a smooth random filter of s px: a k×k filter on the image downsampled s/k times
                h, w_ = x.shape[-2:]
                size = (max(1, round(h / factor)), max(1, round(w_ / factor)))
                xs = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
            p = w.shape[-1] // 2
            if name == self.content_layer and self.config.content_size is not None:
                # the border repeated, not zeros: a jump from the image to 0 would show a zero-mean filter the
                # colours along the border, and the content loss would pin them there
                out[name] = F.relu(F.conv2d(F.pad(xs, (p, p, p, p), mode="replicate"), w))
            else:
                out[name] = F.relu(F.conv2d(xs, w, padding=p))
        return out


def feature_extractor(kind: str = "auto", verbose: bool = True):
    """The extractor to use: ``kind`` "vgg" (ImageNet VGG-19, downloading its weights if needed), "random"
    (``RandomFeatures``), or "auto": VGG-19 if its weights are cached or downloadable, else the random network, with
    a line saying which and why."""
    if kind not in ("auto", "vgg", "random"):
        raise ValueError(f"kind must be 'auto', 'vgg' or 'random', got {kind!r}.")
    if kind in ("auto", "vgg"):
        try:
            extractor = vgg19(pretrained=True, progress=verbose)
        except Exception as err:  # no network, a firewall, a partial file: torchvision raises many kinds
            if kind == "vgg":
                raise RuntimeError(f"VGG-19's ImageNet weights could not be loaded ({type(err).__name__}: {err}). "
                                   "Connect to the internet once (torchvision caches them), or use kind='random'."
                                   ) from err
            extractor = RandomFeatures()
            if verbose:
                print(f"features · {extractor.describe()} (VGG-19 weights unavailable: {type(err).__name__})")
            return extractor
    else:
        extractor = RandomFeatures()
    if verbose:
        print(f"features · {extractor.describe()}")
    return extractor
