"""PixelCNN: an image generated one pixel at a time, the lecture's «Échantillonnage» and «Générer des images entières».

An image x of n pixels in raster order (row by row, left to right) has the exact factorisation

    p(x) = Π_i p(x_i | x_1, …, x_{i−1}),

so a network that predicts each pixel from the pixels before it is a complete generative model: training maximises
log p(x) = Σ_i log p(x_i | x_<i) (a cross-entropy per pixel), sampling draws x_1, then x_2 given x_1, and so on
(van den Oord et al. 2016, «Pixel recurrent neural networks»).

Two ways to keep a convolutional network from looking at the future:

- **masked convolutions** (``MaskedConv2d``): the kernel's weights on the current row right of the centre, and on every
  row below, are zeroed. Mask A (first layer) also hides the centre pixel itself; mask B (later layers) lets it
  through, since by then the centre position only carries information about earlier pixels. Stacked masked 3×3
  convolutions have a **blind spot**: pixels above and to the right that never reach the output.
- the **gated PixelCNN** (``GatedPixelCNN``; van den Oord et al. 2016, «Conditional image generation with PixelCNN
  decoders»): a *vertical* stack sees every row above, a *horizontal* stack the current row to the left, and the
  vertical stack feeds the horizontal one: no blind spot. Units are gated, tanh(W_f ∗ x) ⊙ σ(W_g ∗ x), and a class
  embedding added to both makes the model class-conditional ("draw a 7").

Pixels here are binary (digits thresholded at ½): the network outputs one logit per pixel, p(x_i = 1 | x_<i) =
σ(logit_i), and an image's likelihood is reported in bits per dimension, −log₂ p(x) / (number of pixels)
(``bits_per_dim``). ``sample`` draws pixel after pixel; ``sample_cached`` computes the vertical stack once per row and
only the horizontal stack per pixel, and gives exactly the same images for the same random numbers.

Used in notebook 04, whose exercises are ``causal_mask`` (it builds ``MaskedConv2d`` through the ``mask`` argument),
``bits_per_dim`` and ``sample_pixels``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import checkpoints
from coursekit.runtime import check_unit_range, device_of, in_batches, uniform

# ---------------------------------------------------------------------------------------------------------------
# Masked convolution
# ---------------------------------------------------------------------------------------------------------------


def causal_mask(kernel_size: int, mask_type: str) -> torch.Tensor:
    """The (K, K) mask of a masked convolution: 1 on the rows above the centre and left of it on the centre row.

    mask_type "A" hides the centre pixel (first layer: a pixel must not see itself); "B" keeps it.
    """
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' (first layer) or 'B' (later layers), got {mask_type!r}.")
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd so that the kernel has a centre, got {kernel_size}.")
    c = kernel_size // 2
    mask = torch.zeros(kernel_size, kernel_size, device="cpu")  # a pattern: its users move it where they need it
    mask[:c, :] = 1  # every row above the centre
    mask[c, :c] = 1  # the centre row, left of the centre
    if mask_type == "B":
        mask[c, c] = 1  # the centre itself
    return mask


MaskFunction = Callable[[int, str], torch.Tensor]  # (kernel_size, mask_type) → (K, K) mask, as ``causal_mask``


class MaskedConv2d(nn.Conv2d):
    """A convolution whose kernel sees only earlier pixels (raster order): weight · mask, mask from ``causal_mask``.

    in_channels, out_channels, kernel_size (odd), mask_type "A" or "B". Input (N, C_in, H, W) → (N, C_out, H, W)
    ("same" padding). Channels of one pixel are not ordered among themselves: every input channel of an allowed
    position is seen. mask: the function that makes the (K, K) mask (notebook 04 passes the student's own).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str,
                 mask: MaskFunction = causal_mask):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.mask_type = mask_type
        kernel_mask = torch.as_tensor(mask(kernel_size, mask_type), dtype=torch.float32, device=self.weight.device)
        if kernel_mask.shape != (kernel_size, kernel_size):
            raise ValueError(f"mask({kernel_size}, {mask_type!r}) must have shape ({kernel_size}, {kernel_size}), "
                             f"got {tuple(kernel_mask.shape)}.")
        self.register_buffer("mask", kernel_mask[None, None], persistent=False)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", mask_type={self.mask_type!r}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)  # w ⊙ mask


def _check_input(x: torch.Tensor, labels: torch.Tensor | None, classes: int, no_class: bool = False) -> None:
    """Refuse, with a message, what a PixelCNN cannot model: anything but binary images (N, 1, H, W) in [0, 1], and
    labels outside 0 … classes − 1 (for a conditional model; ``no_class`` also allows ``classes``, the "no class"
    token that training swaps in for some labels)."""
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"a PixelCNN models binary images shaped (N, 1, H, W), got {tuple(x.shape)}; keep one "
                         "channel and threshold it, e.g. (gray > 0.5).float().")
    check_unit_range(x, "the PixelCNN's input", slack=0)
    if labels is not None and classes:
        if labels.shape != (len(x),) or torch.is_floating_point(labels):
            raise ValueError(f"labels must be one integer class per image, shaped ({len(x)},), got "
                             f"{tuple(labels.shape)} {labels.dtype}.")
        if len(labels) and (labels.min() < 0 or labels.max() > classes - 1 + no_class):
            allowed = f"0 to {classes - 1}" + (f" ({classes}: no class)" if no_class else "")
            raise ValueError(f"labels must be classes {allowed}, got values in [{labels.min().item()}, "
                             f"{labels.max().item()}]; pass labels=None to sample without a class.")


def _check_temperature(temperature: float) -> None:
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError(f"temperature must be a positive number (T < 1 sharpens, T > 1 flattens), got "
                         f"{temperature!r}; T → 0 approaches always drawing the likelier value.")


class MaskedPixelCNN(nn.Module):
    """The original PixelCNN: a mask-A convolution, then mask-B convolutions with ReLU, then one logit per pixel.

    Its receptive field has a blind spot (notebook 04 draws it); kept small, as a comparison for ``GatedPixelCNN``.
    mask: the function that makes each layer's mask (``causal_mask``, or a student's). Unconditional: ``labels`` is
    accepted and ignored, so that it samples and trains like a ``GatedPixelCNN``.
    """

    def __init__(self, channels: int = 32, layers: int = 5, kernel_size: int = 3, first_kernel: int = 7,
                 mask: MaskFunction = causal_mask):
        super().__init__()
        self.input = MaskedConv2d(1, channels, first_kernel, "A", mask)
        self.hidden = nn.ModuleList(MaskedConv2d(channels, channels, kernel_size, "B", mask) for _ in range(layers))
        self.output = nn.Conv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _check_input(x, None, 0)
        h = F.relu(self.input(x))
        for layer in self.hidden:
            h = F.relu(layer(h))
        return self.output(h)


# ---------------------------------------------------------------------------------------------------------------
# Gated PixelCNN: a vertical and a horizontal stack
# ---------------------------------------------------------------------------------------------------------------


def _gate(x: torch.Tensor) -> torch.Tensor:
    """tanh(a) ⊙ σ(b) for the two halves (a, b) of the channels: the gated activation unit."""
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """One gated layer. Vertical: rows above (and, after the first layer, the current row of the vertical features,
    which themselves only know rows above). Horizontal: the current row, to the left (strictly, in the first layer).

    Invariants (i, j = row, column of the output):
      v[i, j] depends on input rows < i;   h[i, j] on rows < i and on row i, columns < j.
    """

    def __init__(self, channels: int, kernel_size: int, first: bool, classes: int):
        super().__init__()
        self.first = first
        self.k = kernel_size
        half = kernel_size // 2
        in_channels = 1 if first else channels
        # vertical kernel: `half` rows above (+ the current row after the first layer), full width
        self.v_rows = half if first else half + 1
        self.v_conv = nn.Conv2d(in_channels, 2 * channels, (self.v_rows, kernel_size))
        # horizontal kernel: `half` columns to the left (+ the current column after the first layer)
        self.h_cols = half if first else half + 1
        self.h_conv = nn.Conv2d(in_channels, 2 * channels, (1, self.h_cols))
        self.v_to_h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h_out = nn.Conv2d(channels, channels, 1)
        # one bias per class, plus one for "no class" (index `classes`): the same model samples unconditionally
        self.class_bias = nn.Embedding(classes + 1, 4 * channels) if classes else None

    def vertical(self, v_in: torch.Tensor, cond: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Vertical stack: (pre-activation passed to the horizontal stack, gated output)."""
        half = self.k // 2
        if self.first:  # output row i reads input rows i−half … i−1: pad `half` rows on top, drop the last row
            v = self.v_conv(F.pad(v_in, (half, half, self.v_rows, 0)))[:, :, :-1]
        else:  # output row i reads rows i−half … i of features that only know rows < i
            v = self.v_conv(F.pad(v_in, (half, half, self.v_rows - 1, 0)))
        if cond is not None:
            v = v + cond[:, : v.shape[1], None, None]
        return v, _gate(v)

    def horizontal(self, h_in: torch.Tensor, v_pre: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """Horizontal stack at full width (or one row): h_in (N, C, R, W), v_pre the vertical pre-activation."""
        if self.first:  # column j reads columns j−half … j−1
            h = self.h_conv(F.pad(h_in, (self.h_cols, 0, 0, 0)))[:, :, :, :-1]
        else:  # column j reads columns j−half … j
            h = self.h_conv(F.pad(h_in, (self.h_cols - 1, 0, 0, 0)))
        h = h + self.v_to_h(v_pre)
        if cond is not None:
            h = h + cond[:, h.shape[1]:, None, None]
        out = self.h_out(_gate(h))
        return out if self.first else h_in + out  # residual connection after the first layer

    def forward(self, v_in, h_in, labels_embedding):
        v_pre, v = self.vertical(v_in, labels_embedding)
        return v, self.horizontal(h_in, v_pre, labels_embedding)


@dataclass(frozen=True)
class GatedPixelCNNConfig:
    """Hyperparameters of ``GatedPixelCNN``; the defaults are those of the shipped checkpoint."""

    channels: int = 32  # 64 trains twice as slowly on a laptop CPU for a few nats
    layers: int = 8
    kernel_size: int = 5  # each layer reaches 2 more rows up and 2 more columns sideways: 16 rows after 8 layers
    classes: int = 10  # class conditioning; 0 for an unconditional model


class GatedPixelCNN(nn.Module):
    """Gated PixelCNN for binary images: (N, 1, H, W) in {0, 1} (+ labels (N,)) → (N, 1, H, W) logits.

    logit[i, j] depends only on pixels before (i, j) in raster order, and on every such pixel within the receptive
    field (no blind spot). labels: (N,) classes in [0, classes), or None for unconditional generation (the "no
    class" label ``classes``, which training uses for a random fifth of the images).
    """

    def __init__(self, config: GatedPixelCNNConfig = GatedPixelCNNConfig()):
        super().__init__()
        self.config = config
        c, k = config.channels, config.kernel_size
        self.layers = nn.ModuleList(GatedLayer(c, k, first=(i == 0), classes=config.classes)
                                    for i in range(config.layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, 1, 1))

    def extra_repr(self) -> str:
        return f"{self.config}, parameters={sum(p.numel() for p in self.parameters()):,}"

    def _conditions(self, labels: torch.Tensor | None, n: int):
        if not self.config.classes:
            return [None] * len(self.layers)
        if labels is None:
            labels = torch.full((n,), self.config.classes, dtype=torch.int64, device=device_of(self))
        return [layer.class_bias(labels) for layer in self.layers]

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _check_input(x, labels, self.config.classes, no_class=True)
        v, h = x, x
        for layer, cond in zip(self.layers, self._conditions(labels, len(x))):
            v, h = layer(v, h, cond)
        return self.head(h)


# ---------------------------------------------------------------------------------------------------------------
# Likelihood
# ---------------------------------------------------------------------------------------------------------------


def nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood in nats of each binary image: −Σ_i log p(x_i | x_<i). (N, 1, H, W) → (N,)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def bits_per_dim(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of each binary image in bits per pixel (N,): −Σ_i log₂ p(x_i | x_<i) / D.

    logits, x: (N, 1, H, W), D = H·W pixels. 1 bit per pixel is a fair coin; the notebook 04 exercise of the same
    name. Comparable across image sizes: CIFAR-10's 8-bit colour images are scored the same way (3.03 bits/dim for
    the Gated PixelCNN).
    """
    return nll(logits, x) / (x[0].numel() * math.log(2))  # nats / (D ln 2)


def independent_bernoulli_nll(train: torch.Tensor, test: torch.Tensor) -> torch.Tensor:
    """The baseline: every pixel an independent coin with p_i = its frequency in ``train`` (smoothed).

    train, test: (N, 1, H, W) binary. Returns the NLL in nats of each test image (N_test,).
    """
    p = (train.sum(0) + 1) / (len(train) + 2)  # Laplace smoothing: no pixel gets probability 0 or 1
    return -(test * torch.log(p) + (1 - test) * torch.log(1 - p)).flatten(1).sum(1)


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
               labels: torch.Tensor | None = None, drop_labels: float = 0.2,
               generator: torch.Generator | None = None) -> dict[str, float]:
    """One step of maximum likelihood on binary images x (B, 1, H, W): minimise the mean of −log p(x) per image.

    model: a ``GatedPixelCNN`` or a ``MaskedPixelCNN`` (unconditional: labels are ignored). For a class-conditional
    model, a fraction ``drop_labels`` of the labels is replaced by "no class", so that one model learns p(x | class)
    and p(x). Returns {"nll": nats per image, "bits_per_dim": bits per pixel} on this batch, before the step. The
    batch is moved to the model's device.
    """
    model.train()
    x = x.to(device_of(model))
    labels = None if labels is None else labels.to(x.device)
    classes = model.config.classes if isinstance(model, GatedPixelCNN) else 0
    if labels is not None and classes and drop_labels > 0:
        dropped = uniform(len(labels), generator, labels.device) < drop_labels
        labels = torch.where(dropped, torch.full_like(labels, classes), labels)
    nats = nll(model(x, labels), x).mean()
    optimizer.zero_grad()
    nats.backward()
    optimizer.step()
    return {"nll": nats.item(), "bits_per_dim": nats.item() / (x[0].numel() * math.log(2))}


@torch.no_grad()
def test_nll(model: nn.Module, x: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256):
    """Negative log-likelihood in nats of each binary test image (N,), unconditional when labels is None."""
    model.eval()
    return in_batches(lambda x, labels: nll(model(x, labels), x), x, labels, batch_size=batch_size,
                      device=device_of(model))


# ---------------------------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------------------------


def _start(model: nn.Module, n: int, size: int, labels, generator, uniforms, known, known_mask):
    """What a sampler starts from, on the model's device: (u, canvas, which pixels are kept, labels). The uniforms
    are drawn on the CPU (``generator``), so that a seed gives the same random numbers on every device."""
    device = device_of(model)
    shape = (n, 1, size, size)
    if uniforms is not None and uniforms.shape != shape:
        raise ValueError(f"uniforms must have shape {shape}, got {tuple(uniforms.shape)}.")
    u = uniform(shape, generator, device) if uniforms is None else uniforms.to(device)
    x = torch.zeros(shape, device=device) if known is None else known.to(device, copy=True)
    keep = torch.zeros_like(x, dtype=torch.bool) if known_mask is None else known_mask.to(device).bool()
    return u, x, keep, None if labels is None else labels.to(device)


def sample(model: nn.Module, n: int, size: int = 28, labels: torch.Tensor | None = None, temperature: float = 1.0,
           generator: torch.Generator | None = None, uniforms: torch.Tensor | None = None,
           known: torch.Tensor | None = None, known_mask: torch.Tensor | None = None, record: tuple[int, ...] = ()):
    """Draw ``n`` binary images pixel by pixel: x_i = 1 if u_i < σ(logit_i / T), one forward pass per pixel.

    labels: (n,) classes for a conditional model. temperature: T < 1 sharpens, T > 1 flattens p. uniforms: the
    random numbers u (n, 1, size, size) (drawn from ``generator`` when None). known, known_mask: pixels to keep as
    they are (image completion). record: pixel counts after which to save a copy of the canvas.
    Returns (images (n, 1, size, size) in {0, 1} on the model's device, {count: canvas copy} for each count in
    ``record``).
    """
    _check_temperature(temperature)
    with torch.no_grad():  # sampling needs no gradients
        model.eval()
        u, x, keep, labels = _start(model, n, size, labels, generator, uniforms, known, known_mask)
        _check_input(x, labels, getattr(getattr(model, "config", None), "classes", 0))
        snapshots = {}
        for i in range(size):
            for j in range(size):
                if keep[:, 0, i, j].all():
                    continue
                logit = model(x, labels)[:, 0, i, j]
                drawn = (u[:, 0, i, j] < torch.sigmoid(logit / temperature)).float()
                x[:, 0, i, j] = torch.where(keep[:, 0, i, j], x[:, 0, i, j], drawn)
                if i * size + j + 1 in record:
                    snapshots[i * size + j + 1] = x.clone()
        return x, snapshots


def sample_pixels(model: nn.Module, x: torch.Tensor, known: torch.Tensor, temperature: float,
                  u: torch.Tensor) -> torch.Tensor:
    """The sampling loop of notebook 04's exercise: ``sample`` on a given canvas. Draws every pixel of x where
    ``known`` is False, in raster order, x_ij = [u_ij < σ(logit_ij / T)], one forward pass per pixel position (none
    where every image's pixel is known), and keeps the others.

    x: (n, 1, S, S) binary canvas; known: (n, 1, S, S) booleans; u: (n, 1, S, S) uniforms in [0, 1). Returns a new
    (n, 1, S, S) tensor; x is left as it was.
    """
    images, _ = sample(model, len(x), x.shape[-1], None, temperature, uniforms=u, known=x, known_mask=known)
    return images


def sample_cached(model: GatedPixelCNN, n: int, size: int = 28, labels: torch.Tensor | None = None,
                  temperature: float = 1.0, generator: torch.Generator | None = None,
                  uniforms: torch.Tensor | None = None, known: torch.Tensor | None = None,
                  known_mask: torch.Tensor | None = None, record: tuple[int, ...] = ()):
    """``sample`` for a ``GatedPixelCNN``, reusing computation: the vertical stack once per row, then only the
    horizontal stack, on that one row, for each pixel. Same arguments, same results for the same random numbers.
    """
    _check_temperature(temperature)
    with torch.no_grad():  # sampling needs no gradients
        model.eval()
        u, x, keep, labels = _start(model, n, size, labels, generator, uniforms, known, known_mask)
        _check_input(x, labels, model.config.classes)
        conds = model._conditions(labels, n)
        snapshots = {}
        for i in range(size):
            # the vertical stack at row i depends only on rows < i, fixed for the whole row: compute it once
            v, v_pre_rows = x, []
            for layer, cond in zip(model.layers, conds):
                v_pre, v = layer.vertical(v, cond)
                v_pre_rows.append(v_pre[:, :, i:i + 1])
            for j in range(size):
                if keep[:, 0, i, j].all():
                    continue
                h = x[:, :, i:i + 1]  # (n, 1, 1, size): the current row only
                for layer, cond, v_pre in zip(model.layers, conds, v_pre_rows):
                    h = layer.horizontal(h, v_pre, cond)
                logit = model.head(h)[:, 0, 0, j]
                drawn = (u[:, 0, i, j] < torch.sigmoid(logit / temperature)).float()
                x[:, 0, i, j] = torch.where(keep[:, 0, i, j], x[:, 0, i, j], drawn)
                if i * size + j + 1 in record:
                    snapshots[i * size + j + 1] = x.clone()
        return x, snapshots


def receptive_field(model: nn.Module, size: int = 15, at: tuple[int, int] | None = None) -> torch.Tensor:
    """|∂ logit(at) / ∂ x| over the input: which pixels the output at ``at`` (default: the centre) depends on.

    Returns (size, size) gradients magnitudes; zero means the pixel cannot influence that output.
    """
    i, j = at if at is not None else (size // 2, size // 2)
    x = uniform((1, 1, size, size), None, device_of(model)).round().requires_grad_(True)
    logits = model(x)
    (grad,) = torch.autograd.grad(logits[0, 0, i, j], x)
    return grad[0, 0].abs()


# ---------------------------------------------------------------------------------------------------------------
# The shipped model
# ---------------------------------------------------------------------------------------------------------------


def binarize(images: torch.Tensor) -> torch.Tensor:
    """Grayscale images in [0, 1] → binary {0, 1} (threshold ½). The literature's "binarised MNIST" draws each pixel
    at random instead, 1 with its gray level as probability (Salakhutdinov & Murray 2008): scores on the two do not
    compare."""
    return (images > 0.5).float()


def gated_pixelcnn(pretrained: bool = True, config: GatedPixelCNNConfig = GatedPixelCNNConfig()) -> GatedPixelCNN:
    """A ``GatedPixelCNN`` in eval mode, with the shipped weights (``data/checkpoints/gated_pixelcnn.pt``)."""
    model = GatedPixelCNN(config)
    if pretrained:
        checkpoints.load_shipped(model, "gated_pixelcnn", asdict(config))
    return model.eval()
