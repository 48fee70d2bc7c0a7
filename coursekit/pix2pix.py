"""pix2pix: image-to-image translation with a conditional GAN (Isola, Zhu, Zhou & Efros 2017).

«Revenons à la colorisation… Quelle fonction de perte?»: an L1 or L2 loss between the output and the truth
averages the plausible answers and blurs. pix2pix adds a *learned* loss: a discriminator D that tells real pairs
(x, y) from generated pairs (x, G(x)), trained against the generator G:

    G* = arg min_G max_D  L_cGAN(G, D) + λ · L_L1(G),    λ = 100,
    L_cGAN = E[log D(x, y)] + E[log(1 − D(x, G(x)))],    L_L1 = E ‖y − G(x)‖₁.

- ``UNetGenerator``: an encoder-decoder whose decoder layers also receive the encoder's layer of the same size
  (skip connections), so that the input's edges reach the output directly; dropout in the decoder is G's only
  noise, as in the paper.
- ``PatchDiscriminator`` (PatchGAN): a fully convolutional D that outputs one real/fake logit per overlapping
  patch; with three stride-2 layers each logit sees a 70×70 patch (``receptive_field``), so D judges texture and
  sharpness while L1 takes care of the low frequencies. ``measured_receptive_field`` checks the number with
  gradients.
- ``train_step``: one step of D, then one of G, returning the losses as numbers.
- ``weight_average``: a running average of G's weights along training, which cancels the details G gets wrong
  differently at every step (the shipped façade cGAN is one); ``update_average`` is its update, written out.
- ``fcn_score`` and ``high_frequency_energy``: the paper's evaluation at small scale (does a segmentation
  network trained on real photos find the label map in the generated ones?) and a sharpness measure.

Images cross this module's boundary in [0, 1], (N, C, H, W); inside, the networks work in [−1, 1]
(``gan.to_signed``, ``gan.from_signed``), and D's loss and G's adversarial term are ``gan``'s. Used in notebook 07
(labels → façade, edges → photo).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.optim import swa_utils

from coursekit import checkpoints
from coursekit.data import load
from coursekit.gan import discriminator_loss, from_signed, non_saturating_loss, to_signed
from coursekit.runtime import check_unit_range, device_of, in_batches, uniform


# ---------------------------------------------------------------------------------------------------------------
# The generator: a U-Net
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UNetConfig:
    """in_channels → out_channels images; ``depth`` stride-2 downsamplings (the input side must be a multiple of
    2^depth); ``width`` channels after the first, doubling up to 8·width; ``dropout`` on the three innermost decoder
    layers (the paper's 0.5: G's only source of randomness)."""

    in_channels: int = 3
    out_channels: int = 3
    depth: int = 6
    width: int = 32
    dropout: float = 0.5
    logits: bool = False  # True: return the last layer's raw outputs (a segmentation net: one logit per class)
    upsample: str = "transposed"  # "transposed": ConvTranspose(4×4, stride 2), the paper's; "resize": ×2 + Conv(3×3)


def _norm(kind: str, channels: int) -> nn.Module:
    """BatchNorm (statistics over the batch) or InstanceNorm (over each image alone, with learned scale and shift)."""
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.InstanceNorm2d(channels, affine=True)


def _down(c_in: int, c_out: int, norm: bool, kind: str = "batch") -> nn.Sequential:
    layers = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not norm)]  # halves H and W
    if norm:
        layers.append(_norm(kind, c_out))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _upsampling(c_in: int, c_out: int, kind: str, bias: bool) -> nn.Module:
    """A layer that doubles H and W. "transposed": ConvTranspose(4×4, stride 2), whose kernel overlaps unevenly
    and tends to print a checkerboard; "resize": nearest-neighbour ×2 then Conv(3×3), which cannot (Odena, Dumoulin
    & Olah 2016, «Deconvolution and Checkerboard Artifacts»)."""
    if kind == "transposed":
        return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)
    if kind == "resize":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias))
    raise ValueError(f"upsample must be 'transposed' or 'resize', got {kind!r}.")


def _up(c_in: int, c_out: int, dropout: float, kind: str = "transposed") -> nn.Sequential:
    layers = [_upsampling(c_in, c_out, kind, bias=False), nn.BatchNorm2d(c_out)]  # doubles H and W
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class UNetGenerator(nn.Module):
    """G: (N, in_channels, H, W) in [0, 1] → (N, out_channels, H, W) in [0, 1]; H and W multiples of 2^depth.
    With ``config.logits`` the Tanh is left out and the output is (N, out_channels, H, W) class logits: the same
    U-Net then segments images (the FCN-score's segmentation network).

    Encoder: ``depth`` Conv(4×4, stride 2) + LeakyReLU(0.2) layers (BatchNorm except on the first and the innermost).
    Decoder: ``depth`` upsampling layers (``config.upsample``: ConvTranspose(4×4, stride 2) as in the paper, or
    nearest-neighbour ×2 then Conv(3×3), free of checkerboard artefacts) + BatchNorm + ReLU, each fed with the
    previous decoder output concatenated with the encoder output of the same size; Tanh at the end.
    """

    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = config
        c = config
        widths = [min(c.width * 2**i, 8 * c.width) for i in range(c.depth)]  # e.g. 32, 64, 128, 256, 256, 256
        self.down = nn.ModuleList(
            _down(c.in_channels if i == 0 else widths[i - 1], widths[i], norm=0 < i < c.depth - 1)
            for i in range(c.depth)
        )
        up = []
        for i in reversed(range(1, c.depth)):  # from the innermost up to the second layer
            c_in = widths[i] if i == c.depth - 1 else 2 * widths[i]  # the innermost has no skip to concatenate
            dropout = c.dropout if i >= c.depth - 3 else 0.0
            up.append(_up(c_in, widths[i - 1], dropout, c.upsample))
        self.up = nn.ModuleList(up)
        self.out = _upsampling(2 * widths[0], c.out_channels, c.upsample, bias=True)

    def extra_repr(self) -> str:
        c = self.config
        kind = "logits" if c.logits else "channels"
        return f"U-Net {c.in_channels}→{c.out_channels} {kind}, depth {c.depth}, width {c.width}, dropout {c.dropout}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        if x.ndim != 4 or x.shape[1] != c.in_channels:
            raise ValueError(f"UNetGenerator expects (N, {c.in_channels}, H, W) images in [0, 1], got "
                             f"{tuple(x.shape)}.")
        check_unit_range(x, "UNetGenerator's input")
        if x.shape[-1] % 2**c.depth or x.shape[-2] % 2**c.depth:
            raise ValueError(f"UNetGenerator of depth {c.depth} needs H and W multiples of {2**c.depth}, got "
                             f"{tuple(x.shape[-2:])}; resize or crop the images.")
        skips = []
        h = to_signed(x)
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        skips.pop()  # the innermost output is h itself
        for layer in self.up:
            h = torch.cat([layer(h), skips.pop()], dim=1)  # decoder output ‖ encoder output of the same size
        out = self.out(h)
        return out if c.logits else from_signed(torch.tanh(out))


# ---------------------------------------------------------------------------------------------------------------
# The discriminator: PatchGAN
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchDiscriminatorConfig:
    """D sees the input and the output image concatenated (in_channels + out_channels); ``layers`` stride-2 convs
    (3 gives the paper's 70×70 patches); ``width`` channels after the first, doubling up to 8·width."""

    in_channels: int = 3
    out_channels: int = 3
    layers: int = 3
    width: int = 32
    norm: str = "batch"  # "instance": each image normalised alone, so D cannot tell real from fake batches by their
    #                      statistics (pix2pix's batches of one image do the same)


def receptive_field(layers: int) -> int:
    """The side of the patch one PatchGAN logit sees: ``layers`` 4×4 stride-2 convs, then two 4×4 stride-1 convs.

    Going back from one output pixel, a k×k stride-s layer turns a field of r into s·r + (k − s): 1 → 4 → 7 (the two
    stride-1 layers), then → 16 → 34 → 70 for three stride-2 layers.
    """
    r = 1
    for stride in [1, 1] + [2] * layers:  # from the output back to the input
        r = stride * r + (4 - stride)
    return r


class PatchDiscriminator(nn.Module):
    """D: (input (N, in_channels, H, W), output (N, out_channels, H, W)), both in [0, 1] → logits (N, 1, h, w), one
    per patch of ``receptive_field(layers)`` pixels; a logit > 0 says "real pair"."""

    def __init__(self, config: PatchDiscriminatorConfig = PatchDiscriminatorConfig()):
        super().__init__()
        self.config = config
        c = config
        blocks, c_in = [], c.in_channels + c.out_channels
        for i in range(c.layers):
            c_out = min(c.width * 2**i, 8 * c.width)
            blocks.append(_down(c_in, c_out, norm=i > 0, kind=c.norm))  # Conv 4×4 stride 2, no norm on the first
            c_in = c_out
        c_out = min(c.width * 2**c.layers, 8 * c.width)
        blocks += [nn.Conv2d(c_in, c_out, 4, 1, 1, bias=False), _norm(c.norm, c_out), nn.LeakyReLU(0.2),
                   nn.Conv2d(c_out, 1, 4, 1, 1)]  # two stride-1 layers, the last giving one logit per patch
        self.net = nn.Sequential(*blocks)

    @property
    def patch(self) -> int:
        """The side in pixels of the patch each logit judges."""
        return receptive_field(self.config.layers)

    def extra_repr(self) -> str:
        return f"PatchGAN, {self.patch}×{self.patch} patches"

    def forward(self, source: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        if source.shape[-2:] != output.shape[-2:] or source.shape[0] != output.shape[0]:
            raise ValueError(f"PatchDiscriminator: input {tuple(source.shape)} and output {tuple(output.shape)} "
                             "must be the same number of images of the same size.")
        return self.net(torch.cat([to_signed(source), to_signed(output)], dim=1))


def patch_gradient(discriminator: PatchDiscriminator, source: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """|∂ logit / ∂ pixel| for the logit at the centre of D's output map, summed over the channels of the input and
    output images (one pair (1, C, H, W) each): (H, W), zero outside the patch that logit sees. BatchNorm runs in
    eval mode so that pixels do not mix through batch statistics."""
    was_training = discriminator.training
    discriminator.eval()
    source = source.detach().clone().requires_grad_(True)
    output = output.detach().clone().requires_grad_(True)
    logits = discriminator(source, output)
    h, w = logits.shape[-2:]
    logits[0, 0, h // 2, w // 2].backward()
    discriminator.train(was_training)
    return (source.grad.abs().sum((0, 1)) + output.grad.abs().sum((0, 1))).detach()


def measured_receptive_field(discriminator: PatchDiscriminator, size: int = 160) -> int:
    """The patch side measured with gradients: the extent of the input pixels whose change moves the logit at the
    centre of the output map (``patch_gradient`` > 0), on random images of ``size`` pixels."""
    c, device = discriminator.config, device_of(discriminator)
    seen = patch_gradient(discriminator, uniform((1, c.in_channels, size, size), None, device),
                          uniform((1, c.out_channels, size, size), None, device)) > 0
    rows, cols = seen.any(1).nonzero(), seen.any(0).nonzero()
    return int(max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1))


# ---------------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------------

LAMBDA_L1 = 100.0  # λ of the paper: L1 keeps the colours and the layout, the GAN term the sharpness


def generator_loss(fake_logits: torch.Tensor | None, fake: torch.Tensor, target: torch.Tensor,
                   lam: float = LAMBDA_L1) -> torch.Tensor:
    """G's pix2pix loss, a scalar tensor: −mean log D(x, G(x)) + λ · mean |y − G(x)|.

    fake_logits: D's logits on the generated pairs (any shape; one per patch), or None for L1 alone; fake, target:
    the generated and true images in [0, 1]. The cGAN term is the non-saturating −log D(G(x)) (not log(1 − D(G(x))),
    whose gradient vanishes while D easily spots the fakes), with D(·) = sigmoid(logit).
    """
    l1 = (fake - target).abs().mean()
    if fake_logits is None:
        return lam * l1
    return non_saturating_loss(fake_logits) + lam * l1


def train_step(generator: UNetGenerator, discriminator: PatchDiscriminator | None, g_optimizer, d_optimizer,
               source: torch.Tensor, target: torch.Tensor, lam: float = LAMBDA_L1,
               loss=None) -> dict[str, float]:
    """One pix2pix step on a batch (source, target), both in [0, 1]: D once, then G once. Returns the losses.

    With ``discriminator`` None, G is trained on L1 alone (the baseline the paper compares with). Losses: "d" (D's
    cross-entropy on real and generated pairs, halved as in the paper), "g_gan" (G's non-saturating loss
    −log D(x, G(x))), "l1" (mean |y − G(x)|, in [0, 1] units), "g" (g_gan + λ·l1). ``loss``: G's loss function,
    ``generator_loss`` by default (notebook 07 passes the student's own). The batch is moved to G's device.
    """
    loss = loss or generator_loss
    source, target = source.to(device_of(generator)), target.to(device_of(generator))
    generator.train()
    fake = generator(source)
    losses = {}
    if discriminator is not None:
        discriminator.train()
        real_logits = discriminator(source, target)
        fake_logits = discriminator(source, fake.detach())  # D's step must not reach into G
        d_loss = 0.5 * discriminator_loss(real_logits, fake_logits)  # halved: D learns half as fast as G
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        losses["d"] = d_loss.item()
        fooled = discriminator(source, fake)
    else:
        fooled = None
    l1 = (fake - target).abs().mean()
    g_loss = loss(fooled, fake, target, lam) if fooled is not None else lam * l1
    g_gan = generator_loss(fooled, fake, target, 0.0).detach()  # the cGAN term alone (0 without D)
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    losses.update({"g_gan": g_gan.item(), "l1": l1.item(), "g": g_loss.item()})
    return losses


def weight_average(generator: nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel:
    """A running average of G's weights (and of its BatchNorm statistics), updated by ``.update_parameters(G)``
    after each step; ``.module`` is the averaged generator:

        θ̄ ← decay · θ̄ + (1 − decay) · θ,   starting from θ̄ = θ at the first update.

    G chases a moving D: its weights at any one step carry that step's wrong details (speckle, streaks), which
    change from step to step, while what the steps agree on stays. The average over the last ~1/(1 − decay) steps
    keeps the latter (Yazıcı et al., «The unusual effectiveness of averaging in GAN training», ICLR 2019; the
    generators of ProGAN and StyleGAN are such averages)."""
    if not 0.0 < decay < 1.0:
        raise ValueError(f"decay must be between 0 and 1 (e.g. 0.999), got {decay}.")
    return swa_utils.AveragedModel(generator, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(decay), use_buffers=True)


@torch.no_grad()
def update_average(average: nn.Module, model: nn.Module, decay: float) -> None:
    """One update of a running average of ``model``'s weights, in place in ``average`` (a copy of the same network,
    made once with ``copy.deepcopy``):

        θ̄ ← decay · θ̄ + (1 − decay) · θ

    for every parameter and every floating-point buffer (BatchNorm's running mean and variance: the averaged G runs
    in eval mode on them); integer buffers (BatchNorm's count of batches) are copied. It is the update that
    ``weight_average``'s AveragedModel makes after its first one, and notebook 07's exercise. No gradients: the
    average is not trained, it follows."""
    if not 0.0 < decay < 1.0:
        raise ValueError(f"decay must be between 0 and 1 (e.g. 0.999), got {decay}.")
    mine = list(average.parameters()) + list(average.buffers())
    theirs = list(model.parameters()) + list(model.buffers())
    if len(mine) != len(theirs):
        raise ValueError("update_average: average and model must be copies of the same network.")
    for mean, value in zip(mine, theirs):
        if mean.is_floating_point():
            mean.lerp_(value, 1 - decay)  # θ̄ + (1 − decay)(θ − θ̄) = decay · θ̄ + (1 − decay) · θ
        else:
            mean.copy_(value)  # a count, not a measurement: nothing to average


def optimizers(generator: nn.Module, discriminator: nn.Module | None, lr: float = 2e-4):
    """Adam with β1 = 0.5 for G and D, as in DCGAN and pix2pix (β1 = 0.9 makes GAN training oscillate)."""
    g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    d = None if discriminator is None else torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    return g, d


# ---------------------------------------------------------------------------------------------------------------
# Evaluation: the FCN-score and sharpness
# ---------------------------------------------------------------------------------------------------------------


@torch.no_grad()
def segment(segmenter: UNetGenerator, photos: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """The segmentation network's label maps for (N, 3, H, W) photos in [0, 1]: (N, H, W) int64, on the photos'
    device (computed on the network's)."""
    segmenter.eval()
    return in_batches(lambda x: segmenter(x).argmax(1), photos, batch_size=batch_size, device=device_of(segmenter))


@torch.no_grad()
def translate(generator: UNetGenerator, sources: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """G(x) for a stack of inputs (N, C, H, W) in [0, 1], in eval mode (dropout off, BatchNorm's running
    statistics): (N, out_channels, H, W) in [0, 1], on the inputs' device (computed on G's)."""
    generator.eval()
    return in_batches(generator, sources, batch_size=batch_size, device=device_of(generator))


def fcn_score(segmenter: UNetGenerator, photos: torch.Tensor, labels: torch.Tensor) -> float:
    """The FCN-score of the pix2pix paper at small scale: the per-pixel accuracy with which ``segmenter`` (trained on
    real photos) recovers ``labels`` (N, H, W) from ``photos`` (N, 3, H, W). On generated photos it measures whether
    G drew what the label map asked for, in a way a network trained on real photos recognises."""
    return (segment(segmenter, photos) == labels).float().mean().item()


def power_spectrum(images: torch.Tensor, bins: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """The radially averaged power spectrum of the images' luminance: (frequencies (bins,) in cycles per pixel,
    mean power (bins,)). Plotted on a log scale, blur shows as a curve that falls below the truth's at high
    frequencies."""
    y = images.float().mean(1)
    y = y - y.mean((-2, -1), keepdim=True)
    power = (torch.fft.fft2(y).abs() ** 2 / (y.shape[-2] * y.shape[-1])).mean(0)
    fy, fx = torch.fft.fftfreq(y.shape[-2], device=y.device), torch.fft.fftfreq(y.shape[-1], device=y.device)
    radius = (fy[:, None] ** 2 + fx[None, :] ** 2).sqrt()
    which = (radius / 0.5 * bins).long().clamp(max=bins - 1)  # ring index, up to the Nyquist frequency 0.5
    sums = power.new_zeros(bins).index_add_(0, which.flatten(), power.flatten())
    counts = power.new_zeros(bins).index_add_(0, which.flatten(), power.new_ones(which.numel()))
    return (torch.arange(bins, device=y.device) + 0.5) * 0.5 / bins, sums / counts.clamp(min=1)


def high_frequency_energy(images: torch.Tensor, cutoff: float = 0.125) -> float:
    """The mean power of the images' luminance at spatial frequencies above ``cutoff`` cycles per pixel (Nyquist is
    0.5): fine detail and sharp edges. Blurry outputs have less of it than the photos they imitate.

    E = 1/N Σ_n 1/(H·W) Σ_{|f| > cutoff} |FFT(Y_n − mean Y_n)(f)|²,  Y = mean of the RGB channels.
    """
    if images.ndim != 4:
        raise ValueError(f"high_frequency_energy expects images (N, C, H, W), got {tuple(images.shape)}.")
    y = images.float().mean(1)
    y = y - y.mean((-2, -1), keepdim=True)
    power = torch.fft.fft2(y).abs() ** 2 / (y.shape[-2] * y.shape[-1])
    fy = torch.fft.fftfreq(y.shape[-2], device=y.device)[:, None]
    fx = torch.fft.fftfreq(y.shape[-1], device=y.device)[None, :]
    high = (fx**2 + fy**2).sqrt() > cutoff
    return (power * high).sum((-2, -1)).mean().item()


# ---------------------------------------------------------------------------------------------------------------
# The shipped networks of notebook 07
# ---------------------------------------------------------------------------------------------------------------

SIZE = 128  # the side of the images the shipped networks were trained on


# UNetConfig fields added after some checkpoints shipped, with the value those checkpoints were made with
ADDED_CONFIG = {"upsample": "transposed"}


def pretrained_config(task: str) -> UNetConfig:
    """The ``UNetConfig`` of the shipped generators ("facades": label image → photo, "edges": edge map → photo) and
    of the façade segmentation network ("segmenter": photo → 12 class logits): 128-px images down to a 2×2
    bottleneck. The façade generators upsample by resizing (no checkerboard on their cGAN outputs, 1.3 M
    parameters); the others use the paper's transposed convolutions (1.8 M)."""
    channels = {"facades": (3, 3), "edges": (1, 3), "segmenter": (3, 12)}
    if task not in channels:
        raise ValueError(f"task must be one of {sorted(channels)}, got {task!r}.")
    return UNetConfig(*channels[task], depth=6, width=16, dropout=0.0 if task == "segmenter" else 0.5,
                      logits=task == "segmenter", upsample="resize" if task == "facades" else "transposed")


def segmenter() -> UNetGenerator:
    """The shipped façade segmentation network (``data/checkpoints/facade_segmenter.pt``), in eval mode: the
    FCN-score's judge, trained on rendered façade photos only."""
    model = UNetGenerator(pretrained_config("segmenter"))
    return checkpoints.load_shipped(model, "facade_segmenter", asdict(model.config), ADDED_CONFIG).eval()


def pretrained(task: str, loss: str) -> UNetGenerator:
    """A shipped pix2pix generator in eval mode: ``task`` "facades" or "edges", ``loss`` "l1" (L1 alone) or "gan"
    (cGAN + λ·L1). Made by ``python -m coursekit.train pix2pix_TASK_LOSS``."""
    if task not in ("facades", "edges"):
        raise ValueError(f"task must be 'facades' or 'edges', got {task!r}.")
    if loss not in ("l1", "gan"):
        raise ValueError(f"loss must be 'l1' (L1 alone) or 'gan' (cGAN + λ·L1), got {loss!r}.")
    model = UNetGenerator(pretrained_config(task))
    return checkpoints.load_shipped(model, f"pix2pix_{task}_{loss}", asdict(model.config), ADDED_CONFIG).eval()


def held_out_pairs(task: str, n: int = 300):
    """The held-out pairs on which a pix2pix generator of ``task`` ("facades" or "edges") is measured, an
    ``ImageSet`` of ``SIZE`` px: the first ``n`` of the test split (seed 0) of the embedded "facades" (label images →
    photos, with their label maps) or "edges2photos" (Canny edges → crops of the held-out photographs)."""
    if task not in ("facades", "edges"):
        raise ValueError(f"task must be 'facades' or 'edges', got {task!r}.")
    return load("facades" if task == "facades" else "edges2photos", "test", n=n, size=SIZE, source="embedded",
                verbose=False)


def measure_outputs(fake: torch.Tensor, pairs, task: str) -> dict[str, float]:
    """The measures of generated images ``fake`` (N, 3, H, W) against held-out ``pairs`` (an ``ImageSet`` whose
    targets are the true images): mean L1 error |y − G(x)|, high-frequency energy relative to the truth's
    (``high_frequency_energy``), and for façades the FCN-score (the shipped segmenter's per-pixel accuracy on the
    generated photos, against the pairs' label maps)."""
    targets = pairs.targets.to(fake.device)
    metrics = {"l1": (fake - targets).abs().mean().item(),
               "high_frequency_ratio": high_frequency_energy(fake) / high_frequency_energy(targets)}
    if task == "facades":
        with torch.device(fake.device):  # the judge on the images' device
            judge = segmenter()
        metrics["fcn_score"] = fcn_score(judge, fake, pairs.labels.to(fake.device))
    return metrics


def pix2pix_metrics(generator: nn.Module, task: str, pairs=None) -> dict[str, float]:
    """A generator's ``measure_outputs`` on held-out ``pairs`` (an ``ImageSet``; ``held_out_pairs(task)``, 300, when
    not given): the measures stored in the shipped generators' checkpoints."""
    pairs = held_out_pairs(task) if pairs is None else pairs
    return measure_outputs(translate(generator, pairs.images), pairs, task)
