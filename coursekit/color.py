"""Colorization as classification: Lab, quantised ab, soft targets, class rebalancing and the annealed mean.

Zhang, Isola & Efros (2016), "Colorful Image Colorization". An image in CIE Lab splits into its lightness L (what a
grayscale photo keeps) and two colour channels ab. A network sees X = L ∈ R^(H×W×1) and predicts Ŷ = ab ∈ R^(H×W×2).

- **Why L2 fails** («minimiser la somme des différences au carré ne fonctionne pas»): with
  L_2(Ŷ, Y) = ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖², the best prediction at a pixel is the conditional mean E[ab | X]; an
  object that is red or teal at random comes out the gray in between.
- **Predicting a distribution** («Prédire la distribution sur l'espace ab»): ab is quantised on a grid of 10 into the
  Q bins that sRGB colours reach (``ab_bins``); the target Z ∈ [0, 1]^(H×W×Q) is the true colour soft-encoded on
  its 5 nearest bins with a Gaussian of σ = 5 (``soft_encode``); the network predicts Ẑ = softmax(logits) and is
  trained with the rebalanced cross-entropy

      L_cl(Ẑ, Z) = − Σ_{h,w} v(Z_{h,w}) Σ_q Z_{h,w,q} log Ẑ_{h,w,q},

  whose weights v(Z_{h,w}) = w_{q*}, q* = argmax_q Z_{h,w,q}, with w ∝ ((1 − λ) p̃ + λ / Q)^(−1), E_p̃[w] = 1 and
  λ = ½, make rare (saturated) colours count as much as the common dull ones (``empirical_prior``,
  ``rebalancing_weights``).
- **Decoding** by the annealed mean (``annealed_mean``): f_T(z) = exp(log z / T) / Σ_q exp(log z_q / T), then
  ab = E_{f_T(z)}[ab_q]. T = 1 is the mean (dull, like L2), T → 0 the mode (vivid, but patchy); the paper uses 0.38.

Also here: sRGB ↔ Lab in torch (differentiable, batched; the formulas of scikit-image's ``rgb2lab``/``lab2rgb``),
the network (``ColorNet``), its two losses and training step, and the measures of notebook 05 (chroma, the per-pixel
accuracy curve over ab distance and its area). Used in notebook 05 (colorization); notebook 07 starts from its
L2 result.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import checkpoints
from coursekit.data import scenes
from coursekit.data.images import as_rgb
from coursekit.runtime import check_unit_range, device_of, in_batches, integers, progress

# ---------------------------------------------------------------------------------------------------------------
# sRGB ↔ CIE Lab (D65 white, 2° observer), the conventions of scikit-image
# ---------------------------------------------------------------------------------------------------------------

WHITE_D65 = (0.95047, 1.0, 1.08883)  # the reference white (X_n, Y_n, Z_n)
XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
_EPSILON = 0.008856  # (6/29)³: below it, f(t) is the linear segment t·7.787 + 16/116 instead of t^(1/3)
_KAPPA = 7.787  # (29/6)² / 3


def _check_image(x: torch.Tensor, name: str, channels: int, what: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(x).__name__}; see coursekit.data.images.as_rgb.")
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{name} must be shaped (N, {channels}, H, W) ({what}), got {tuple(x.shape)}.")


def _matmul_channels(matrix, x: torch.Tensor) -> torch.Tensor:
    m = torch.tensor(matrix, dtype=x.dtype, device=x.device)
    return torch.einsum("ij,njhw->nihw", m, x)  # (N, 3, H, W): out_i = Σ_j M_ij x_j at every pixel


CHUNK = 256  # images converted at a time between RGB and Lab when no gradient is needed


def _in_chunks(x: torch.Tensor) -> bool:
    """Convert ``x`` CHUNK images at a time? When it has more and nothing needs its gradient: at once, the
    conversion's temporaries took 1.3 GB for notebook 05's 4,000 training images."""
    return len(x) > CHUNK and not (torch.is_grad_enabled() and x.requires_grad)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1], (N, 3, H, W) → CIE Lab (N, 3, H, W): L in [0, 100], a and b in about [−110, 110].

    Differentiable. Steps: undo the sRGB gamma, go to XYZ with a 3×3 matrix, divide by the white, then
    L = 116 f(Y) − 16, a = 500 (f(X) − f(Y)), b = 200 (f(Y) − f(Z)), f(t) = t^(1/3) (linear near 0).
    """
    _check_image(rgb, "rgb", 3, "RGB in [0, 1]")
    check_unit_range(rgb, "rgb_to_lab's rgb")
    if _in_chunks(rgb):
        return in_batches(rgb_to_lab, rgb, batch_size=CHUNK)
    c = rgb.clamp(0, 1)
    linear = torch.where(c > 0.04045, ((c.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4, c / 12.92)  # undo gamma
    xyz = _matmul_channels(XYZ_FROM_RGB, linear)
    t = xyz / torch.tensor(WHITE_D65, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    f = torch.where(t > _EPSILON, t.clamp_min(_EPSILON) ** (1 / 3), _KAPPA * t + 16 / 116)
    fx, fy, fz = f.unbind(1)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """CIE Lab (N, 3, H, W) → sRGB (N, 3, H, W) in [0, 1]; colours outside the sRGB gamut are clipped.

    The inverse of ``rgb_to_lab``, differentiable (except where a channel is clipped).
    """
    _check_image(lab, "lab", 3, "L in [0, 100], a and b in about [−110, 110]")
    if _in_chunks(lab):
        return in_batches(lab_to_rgb, lab, batch_size=CHUNK)
    L, a, b = lab.unbind(1)
    fy = (L + 16) / 116
    f = torch.stack([fy + a / 500, fy, (fy - b / 200).clamp_min(0)], dim=1)
    t = torch.where(f > 6 / 29, f**3, (f - 16 / 116) / _KAPPA)  # the inverse of f
    xyz = t * torch.tensor(WHITE_D65, dtype=lab.dtype, device=lab.device).view(1, 3, 1, 1)
    rgb_from_xyz = torch.linalg.inv(torch.tensor(XYZ_FROM_RGB, dtype=torch.float64, device="cpu")).tolist()
    linear = _matmul_channels(rgb_from_xyz, xyz)
    srgb = torch.where(linear > 0.0031308, 1.055 * linear.clamp_min(0.0031308) ** (1 / 2.4) - 0.055, 12.92 * linear)
    return srgb.clamp(0, 1)


def split_lab(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """RGB (N, 3, H, W) in [0, 1] → (L (N, 1, H, W) in [0, 100], ab (N, 2, H, W)): the network's input and target."""
    lab = rgb_to_lab(rgb)
    return lab[:, :1], lab[:, 1:]


def upsample(x: torch.Tensor, size) -> torch.Tensor:
    """Bilinear upsampling of (N, C, h, w) to (N, C, *size): ab values, or probabilities (which stay ≥ 0 and keep
    summing to 1, since each output is a convex combination of inputs)."""
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def join_lab(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """(L (N, 1, H, W), ab (N, 2, H, W)) → RGB (N, 3, H, W) in [0, 1]. ab may be at a lower resolution than L: it
    is upsampled bilinearly, as the paper does with its quarter-resolution output."""
    if ab.shape[-2:] != L.shape[-2:]:
        ab = upsample(ab, L.shape[-2:])
    return lab_to_rgb(torch.cat([L, ab], dim=1))


def gray(rgb: torch.Tensor) -> torch.Tensor:
    """What the network sees, as an image: L alone, ab = 0. (N, 3, H, W) → (N, 3, H, W) in [0, 1]."""
    L, ab = split_lab(rgb)
    return join_lab(L, torch.zeros_like(ab))


def chroma(ab: torch.Tensor) -> torch.Tensor:
    """How colourful: C = √(a² + b²), (N, 2, H, W) → (N, H, W); 0 is gray."""
    return ab.pow(2).sum(1).sqrt()


# ---------------------------------------------------------------------------------------------------------------
# The quantised ab space
# ---------------------------------------------------------------------------------------------------------------

GRID = 10  # the bins' side in ab units: centres at …, −10, 0, 10, …
SIGMA = 5.0  # the soft encoding's Gaussian, in ab units
NEIGHBOURS = 5  # soft encoding spreads each colour over its 5 nearest bins
LAMBDA = 0.5  # rebalancing: mix of the empirical prior and the uniform distribution
T_PAPER = 0.38  # the paper's annealed-mean temperature


@functools.lru_cache(maxsize=4)
def _gamut_ab(levels: int) -> torch.Tensor:
    g = torch.linspace(0, 1, levels, dtype=torch.float64, device="cpu")  # a table, kept on the CPU
    rgb = torch.stack(torch.meshgrid(g, g, g, indexing="ij")).reshape(1, 3, -1, 1)  # every R, G, B level
    return rgb_to_lab(rgb)[0, 1:, :, 0].T.float()  # (levels³, 2)


def gamut_ab(levels: int = 64) -> torch.Tensor:
    """The ab of ``levels``³ sRGB colours spread over the whole RGB cube: (levels³, 2). Plots the gamut."""
    return _gamut_ab(levels).clone()


@functools.lru_cache(maxsize=4)
def _ab_bins(grid: int, levels: int) -> torch.Tensor:
    index = torch.round(_gamut_ab(levels) / grid).long()  # the bin of each colour
    return torch.unique(index, dim=0).float() * grid  # sorted by a, then b


def ab_bins(grid: int = GRID, levels: int = 101) -> torch.Tensor:
    """The centres (Q, 2) of the ab bins that sRGB colours reach, on a grid of ``grid`` (centres at multiples of it).

    A bin is kept when at least one of ``levels``³ colours spread over the sRGB cube falls in it. With a grid of 10
    that gives Q = 261 bins (sampling finer does not add any). The paper keeps 313: its authors drew the in-gamut
    region more generously, so some of their bins hold no sRGB colour; the method does not depend on the exact count.
    """
    if not isinstance(grid, int) or grid < 1:
        raise ValueError(f"grid must be a positive integer (the bin side in ab units), got {grid!r}.")
    return _ab_bins(grid, levels).clone()


def soft_encode(ab: torch.Tensor, bins: torch.Tensor, sigma: float = SIGMA, neighbours: int = NEIGHBOURS):
    """Soft-encode true colours on the bins: Z (N, Q, H, W), summing to 1 at every pixel.

    ab: (N, 2, H, W). Each pixel's colour spreads over its ``neighbours`` nearest bin centres c_q with weights
    ∝ exp(−‖ab − c_q‖² / 2σ²); the other bins get 0.
    """
    _check_image(ab, "ab", 2, "the a and b channels")
    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)  # (P, 2), P = N·H·W pixels
    d2 = torch.cdist(flat, bins.to(flat)).pow(2)  # (P, Q): ‖ab − c_q‖²
    nearest_d2, nearest = d2.topk(neighbours, dim=1, largest=False)  # (P, k)
    weights = torch.softmax(-nearest_d2 / (2 * sigma**2), dim=1)  # exp(−d²/2σ²), normalised over the k bins
    z = torch.zeros_like(d2).scatter_(1, nearest, weights)
    return z.view(n, h, w, -1).permute(0, 3, 1, 2)


def hard_encode(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """The index of each pixel's nearest bin: (N, 2, H, W) → (N, H, W) int64. Computed for 2¹⁶ pixels at a time:
    the distances of a whole set to every bin at once, (P, Q), would take 5 GB for 4 million pixels."""
    _check_image(ab, "ab", 2, "the a and b channels")
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    bins = bins.to(flat)
    nearest = [torch.cdist(chunk, bins).argmin(1) for chunk in flat.split(1 << 16)]  # one chunk even when empty
    return torch.cat(nearest).view(ab.shape[0], *ab.shape[2:])


def empirical_prior(ab: torch.Tensor, bins: torch.Tensor, sigma: float = SIGMA) -> torch.Tensor:
    """p̃: how often each bin is the nearest colour in ``ab`` (N, 2, H, W), smoothed by a Gaussian of σ over the ab
    plane as in the paper; (Q,), summing to 1."""
    counts = torch.bincount(hard_encode(ab, bins).flatten(), minlength=len(bins)).float()
    p = counts / counts.sum()
    kernel = torch.exp(-torch.cdist(bins, bins).pow(2) / (2 * sigma**2))  # Gaussian between bin centres
    smooth = kernel @ p
    return smooth / smooth.sum()


def rebalancing_weights(prior: torch.Tensor, lam: float = LAMBDA) -> torch.Tensor:
    """w ∝ ((1 − λ) p̃ + λ / Q)^(−1), scaled so that E_p̃[w] = Σ_q p̃_q w_q = 1: rare colours weigh more. (Q,)."""
    if not 0 < lam <= 1:
        raise ValueError(f"lam (λ) must be in (0, 1] (1: no rebalancing; near 0: weights 1/p̃), got {lam!r}.")
    w = 1 / ((1 - lam) * prior + lam / len(prior))
    return w / (prior * w).sum()


def annealed_mean(probabilities: torch.Tensor, bins: torch.Tensor, temperature: float = T_PAPER) -> torch.Tensor:
    """Decode a predicted distribution into one colour per pixel: (N, Q, H, W) → ab (N, 2, H, W).

    f_T(z)_q = exp(log z_q / T) / Σ_q' exp(log z_q' / T), then ab = Σ_q f_T(z)_q c_q. T = 1 gives the mean of the
    distribution, T → 0 its mode (the most likely bin). Computed in log space: z^(1/T) itself underflows to 0 in
    float32 on every bin of a spread distribution at T = 0.01 (0.3^100 ≈ 5e-53).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 (T → 0 is the mode: use a small T such as 0.01), got {temperature}.")
    sharpened = torch.softmax(torch.log(probabilities.clamp_min(1e-12)) / temperature, dim=1)  # f_T(z)
    return torch.einsum("nqhw,qc->nchw", sharpened, bins.to(sharpened))  # E_{f_T}[c_q]


# ---------------------------------------------------------------------------------------------------------------
# The network and its losses
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColorNetConfig:
    """A small colorization network. ``bins`` = 0: regression of ab (the L2 model); > 0: logits over that many bins.

    width: channels at full resolution (doubled at each of the two downsamplings). dilations: the dilated 3×3 convs at
    a quarter resolution; with (1, 2, 4, 8) every output pixel sees more than 100 px, wider than the 64-px training
    images, enough to tell a balloon from a car by its shape and surroundings.
    """

    bins: int = 0
    width: int = 16
    dilations: tuple[int, ...] = (1, 2, 4, 8)


def _block(c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class ColorNet(nn.Module):
    """L (N, 1, H, W) in [0, 100] → ab (N, 2, H/2, W/2) (regression) or logits (N, Q, H/2, W/2) (classification).

    An encoder to a quarter resolution for context (dilated convolutions there), then back up to half resolution
    with a skip connection, so that colour edges follow the L edges. Like the paper (which predicts at a quarter
    resolution), the colours come out at a lower resolution than L and are upsampled (``join_lab``, ``colorize``):
    the eye forgives blurry colour on sharp lightness. H and W must be multiples of 4.
    """

    def __init__(self, config: ColorNetConfig = ColorNetConfig()):
        super().__init__()
        self.config = config
        w = config.width
        self.at_full = nn.Sequential(_block(1, w), _block(w, w))  # (N, w, H, W)
        self.at_half = nn.Sequential(_block(w, 2 * w, stride=2), _block(2 * w, 2 * w))  # (N, 2w, H/2, W/2)
        self.at_quarter = nn.Sequential(_block(2 * w, 4 * w, stride=2),
                                        *[_block(4 * w, 4 * w, dilation=d) for d in config.dilations])  # H/4
        self.up = nn.Sequential(_block(4 * w + 2 * w, 2 * w), _block(2 * w, 2 * w))  # (N, 2w, H/2, W/2)
        self.head = nn.Conv2d(2 * w, config.bins or 2, 1)

    def extra_repr(self) -> str:
        return "regression of ab (L2)" if self.config.bins == 0 else f"classification over {self.config.bins} ab bins"

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        _check_image(L, "L", 1, "lightness in [0, 100]")
        if L.shape[-1] % 4 or L.shape[-2] % 4:
            raise ValueError(f"ColorNet needs H and W multiples of 4, got {tuple(L.shape[-2:])}; crop or resize.")
        half = self.at_half(self.at_full((L - 50) / 50))  # L centred on 0
        quarter = self.at_quarter(half)
        x = self.up(torch.cat([F.interpolate(quarter, scale_factor=2.0, mode="nearest"), half], 1))
        out = self.head(x)
        return 100 * out if self.config.bins == 0 else out  # regression in ab units


def target_ab(ab: torch.Tensor) -> torch.Tensor:
    """The true ab at the network's output resolution: each 2×2 block averaged. (N, 2, H, W) → (N, 2, H/2, W/2)."""
    return F.avg_pool2d(ab, 2)


def l2_loss(ab_hat: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """L_2 = mean over pixels of ½ ‖Y − Ŷ‖², in ab units²."""
    return 0.5 * (ab_hat - ab).pow(2).sum(1).mean()


def rebalanced_cross_entropy(logits: torch.Tensor, z: torch.Tensor, weights: torch.Tensor | None = None):
    """L_cl = − mean over pixels of v(Z) Σ_q Z_q log Ẑ_q, v(Z) = w[argmax_q Z_q] (1 everywhere if ``weights`` is None).

    logits: (N, Q, H, W); z: soft targets (N, Q, H, W); weights: (Q,).
    """
    per_pixel = -(z * F.log_softmax(logits, dim=1)).sum(1)  # (N, H, W): − Σ_q Z_q log Ẑ_q
    if weights is not None:
        per_pixel = per_pixel * weights.to(z)[z.argmax(1)]  # × v(Z)
    return per_pixel.mean()


def train_step(model: ColorNet, optimizer: torch.optim.Optimizer, rgb: torch.Tensor, bins: torch.Tensor | None = None,
               weights: torch.Tensor | None = None, encoder=None) -> dict[str, float]:
    """One step on a batch of RGB images (B, 3, H, W) in [0, 1]: L → the model → L2 or rebalanced cross-entropy.

    The classification model needs ``bins`` (Q, 2) and, to rebalance, ``weights`` (Q,). Its soft targets come from
    ``encoder`` (default ``soft_encode``), called as ``encoder(ab, bins, SIGMA, NEIGHBOURS)``: notebook 05 passes
    the student's own. Returns {"loss": …}. The batch is moved to the model's device.
    """
    model.train()
    L, ab = split_lab(rgb.to(device_of(model)))
    out = model(L)
    ab = target_ab(ab)
    if model.config.bins == 0:
        loss = l2_loss(out, ab)
    else:
        if bins is None or len(bins) != model.config.bins:
            raise ValueError(f"a classification ColorNet over {model.config.bins} bins needs bins of that length.")
        z = (encoder or soft_encode)(ab, bins.to(ab), SIGMA, NEIGHBOURS)  # Z: (B, Q, H/2, W/2), the soft targets
        loss = rebalanced_cross_entropy(out, z, weights)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {"loss": loss.item()}


def fit(model: ColorNet, optimizer: torch.optim.Optimizer, images: torch.Tensor, steps: int, generator: torch.Generator,
        bins: torch.Tensor | None = None, weights: torch.Tensor | None = None, encoder=None, batch_size: int = 32,
        augment=None, schedule=None, desc: str = "training") -> list[float]:
    """``steps`` calls of ``train_step``, each on ``batch_size`` images drawn at random from ``images`` (N, 3, H, W)
    with ``generator``; ``bins``, ``weights`` and ``encoder`` as for ``train_step``. augment: optional function
    (batch, generator) → batch. schedule: a learning-rate scheduler stepped after every step. Returns the loss of
    every step, measured on its batch before its update."""
    losses = []
    for _ in progress(range(steps), desc=desc):
        batch = images[integers(len(images), (batch_size,), generator, images.device)]
        if augment is not None:
            batch = augment(batch, generator)
        losses.append(train_step(model, optimizer, batch, bins, weights, encoder)["loss"])
        if schedule is not None:
            schedule.step()
    return losses


@torch.no_grad()
def colorize(model: ColorNet, rgb: torch.Tensor, temperature: float = T_PAPER, bins: torch.Tensor | None = None,
             batch_size: int = 4, decoder=None) -> torch.Tensor:
    """Predict the ab of images from their L alone: RGB (N, 3, H, W) → ab (N, 2, H, W), at full size.

    Regression: its half-resolution ab, upsampled. Classification: its distribution Ẑ, upsampled to full size, then
    decoded at every pixel by the annealed mean at ``temperature`` (``decoder``, default ``annealed_mean``, with
    the same arguments). Decoding after upsampling matters for small T: two neighbouring pixels that chose different
    colours are not blended into a gray between them. Only L of the input is used: a colour or a gray image gives the
    same answer. ``batch_size``: 4 keeps each batch's full-size distribution (4, Q, 64, 64) near 17 MB, which the C
    allocator reuses from batch to batch; batches of 32 (134 MB each) took 1.6 times as long on a CPU.
    """
    model.eval()
    parameter = next(model.parameters())
    decoder = decoder or annealed_mean

    def batch(rgb: torch.Tensor) -> torch.Tensor:
        L, _ = split_lab(rgb.to(parameter))
        y = model(L)
        if model.config.bins:
            z = upsample(torch.softmax(y, 1), L.shape[-2:])  # probabilities, not logits, are interpolated
            return decoder(z, (ab_bins() if bins is None else bins).to(z), temperature)
        return upsample(y, L.shape[-2:])

    return in_batches(batch, rgb, batch_size=batch_size, device=parameter.device)  # back on the inputs' device


def colorize_image(model: ColorNet, image, max_side: int = 256, temperature: float = T_PAPER,
                   decoder=None) -> torch.Tensor:
    """Colorize one image of any kind and size: whatever ``coursekit.data.images.as_rgb`` accepts (a path, a PIL
    image, an array, a tensor; gray, RGB or RGBA, with a note for each conversion), resized so that its longer side is
    at most ``max_side`` (with a note). Returns the colorized RGB (3, H, W) in [0, 1]: its L, the model's ab.
    ``temperature`` and ``decoder`` (default ``annealed_mean``) decode a classification model, as in ``colorize``."""
    rgb = as_rgb(image, max_side=max_side)[None]  # (1, 3, H, W)
    h, w = rgb.shape[-2:]
    padded = F.pad(rgb, (0, -w % 4, 0, -h % 4), mode="replicate")  # the network needs multiples of 4
    ab = colorize(model, padded, temperature, decoder=decoder)[..., :h, :w]
    return join_lab(split_lab(rgb)[0], ab)[0]


@torch.no_grad()
def predict_distribution(model: ColorNet, rgb: torch.Tensor) -> torch.Tensor:
    """The classification model's Ẑ: RGB (N, 3, H, W) → probabilities (N, Q, H/2, W/2), at its output resolution."""
    model.eval()
    L, _ = split_lab(rgb.to(next(model.parameters())))
    return torch.softmax(model(L), 1).to(rgb.device)


def colour_model(kind: str, pretrained: bool = True) -> ColorNet:
    """The shipped colorization model, in eval mode: ``kind`` = "l2" (regression), "classes" (over ``ab_bins()``) or
    "gan" (a regression network trained as a conditional GAN's generator, notebook 07; ``ColourGenerator``)."""
    if kind not in ("l2", "classes", "gan"):
        raise ValueError(f"kind must be 'l2', 'classes' or 'gan', got {kind!r}.")
    config = ColorNetConfig(bins=len(ab_bins()) if kind == "classes" else 0)
    model = ColorNet(config)
    if pretrained:
        checkpoints.load_shipped(model, f"colorize_{kind}", asdict(config))
    return model.eval()


# ---------------------------------------------------------------------------------------------------------------
# «Gris vers couleur»: the colorizer as a conditional GAN's generator (notebook 07)
# ---------------------------------------------------------------------------------------------------------------

AB_SCALE = 110.0  # a and b of sRGB colours lie within ±110: ab / 220 + ½ maps them into [0, 1], pix2pix's range


class ColourGenerator(nn.Module):
    """A regression ``ColorNet`` seen as pix2pix's generator: source L / 100 (N, 1, H, W) in [0, 1] → the network's
    ab, upsampled to H × W and scaled to [0, 1] (ab / 220 + ½), so that ``pix2pix.train_step``, its PatchGAN and
    its loss (cGAN + λ·L1) train it unchanged. The weights are ``net``'s: train this, ship ``net``."""

    def __init__(self, net: ColorNet):
        super().__init__()
        if net.config.bins:
            raise ValueError("ColourGenerator wraps a regression ColorNet (bins = 0): G outputs colours, not logits.")
        self.net = net

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        ab = upsample(self.net(100 * source), source.shape[-2:])
        return ab / (2 * AB_SCALE) + 0.5


def gan_pair(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The (source, target) pair of ``ColourGenerator`` for RGB images (N, 3, H, W): L / 100, and the true ab at the
    network's half resolution, upsampled back and scaled like G's output. Both pass through the same half
    resolution, so that D cannot tell real colours from generated ones by their sharpness, only by what they are."""
    L, ab = split_lab(rgb)
    return L / 100, upsample(target_ab(ab), L.shape[-2:]) / (2 * AB_SCALE) + 0.5


# ---------------------------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------------------------

THRESHOLDS = torch.arange(0, 151)  # ab distances 0, 1, …, 150 for the accuracy curve


def accuracy_curve(ab_hat: torch.Tensor, ab: torch.Tensor, weights: torch.Tensor | None = None,
                   thresholds: torch.Tensor = THRESHOLDS) -> torch.Tensor:
    """Fraction of pixels whose predicted colour is within t of the truth, ‖ab̂ − ab‖ ≤ t, for each threshold t.

    ab_hat, ab: (N, 2, H, W); weights: optional (N, H, W) per-pixel weights (for the rebalanced curve).
    Returns (len(thresholds),) in [0, 1].
    """
    distance = (ab_hat - ab).pow(2).sum(1).sqrt().flatten()
    w = torch.ones_like(distance) if weights is None else weights.flatten().to(distance)
    # one threshold at a time: a (T, P) table of [d_i ≤ t] would take gigabytes for a thousand scenes
    within = w.new_zeros(len(thresholds))
    for k, t in enumerate(thresholds.tolist()):
        within[k] = (w * (distance <= t)).sum()  # Σ_i w_i [d_i ≤ t]
    return within / w.sum()


def area_under_curve(curve: torch.Tensor) -> float:
    """The area under an accuracy curve over thresholds 0…150, normalised to [0, 1] (the mean of the curve)."""
    return curve.mean().item()


def interior(mask: torch.Tensor) -> torch.Tensor:
    """The pixels of ``mask`` whose 3×3 neighbourhood lies inside it: (N, H, W) bool → (N, H, W) bool."""
    return -F.max_pool2d(-mask[:, None].float(), 3, stride=1, padding=1)[:, 0] > 0.5


def _ambiguous_objects(classes: torch.Tensor):
    """For each class whose colour is ambiguous (balloon, car, kite) with interior pixels in ``classes`` (N, H, W):
    (name, its interior pixels (N, H, W) bool, its colours (K, 2), the "right colour" radius: a quarter of the
    distance between them)."""
    names = [c.name for c in scenes.SCENE_CLASSES]
    for name in scenes.multimodal_classes():
        inside = interior(classes == names.index(name))  # one pixel in from the edge
        if inside.any():
            modes = scenes.colour_distribution(name)["ab"]  # (K, 2)
            yield name, inside, modes, torch.pdist(modes).min() / 4


def multimodal_scores(ab_hat: torch.Tensor, ab: torch.Tensor, classes: torch.Tensor) -> dict[str, float]:
    """How vivid and how plausible predicted colours are on the objects whose colour is ambiguous (notebook 05).

    ab_hat, ab: (N, 2, H, W), predicted and true; classes: (N, H, W), the scene's class map
    (``coursekit.data.scenes.render_scenes``). Over the interior pixels (one pixel in from the edge) of every
    balloon, car and kite, returns:

    - ``chroma_ratio``: mean chroma of the prediction / mean chroma of the truth (L2 gives about ¼ or less);
    - ``right_mode``: the fraction of pixels whose predicted colour lies within a quarter of the distance between the
      class's two colours of one of them: a colour such an object really has, not the gray in between;
    - ``pixels``: how many pixels were scored.
    """
    predicted_chroma = true_chroma = right = count = 0.0
    for _, inside, modes, radius in _ambiguous_objects(classes):
        pred = ab_hat.permute(0, 2, 3, 1)[inside]  # (P, 2)
        true = ab.permute(0, 2, 3, 1)[inside]
        right += (torch.cdist(pred, modes.to(pred)).min(1).values <= radius).sum().item()
        predicted_chroma += pred.norm(dim=1).sum().item()
        true_chroma += true.norm(dim=1).sum().item()
        count += len(pred)
    if count == 0:
        raise ValueError("multimodal_scores: no balloon, car or kite in these scenes; score more scenes.")
    return {"chroma_ratio": predicted_chroma / true_chroma, "right_mode": right / count, "pixels": int(count)}


def mode_shares(ab_hat: torch.Tensor, classes: torch.Tensor) -> dict[str, float]:
    """Which of its two colours each ambiguous class gets: for the balloons, cars and kites of the scenes, the share of
    the pixels in one of the class's colours (``multimodal_scores``' right mode) that are in its first colour. The
    truth gives about ½; a model that paints every object of a class the same colour gives 0 or 1.

    ab_hat: (N, 2, H, W); classes: (N, H, W). Returns {class name: share}, for the classes with such pixels."""
    shares = {}
    for name, inside, modes, radius in _ambiguous_objects(classes):
        distance = torch.cdist(ab_hat.permute(0, 2, 3, 1)[inside], modes.to(ab_hat))  # (P, 2)
        right = distance.min(1).values <= radius
        if right.any():
            shares[name] = (distance.argmin(1)[right] == 0).float().mean().item()
    return shares


def colorization_metrics(model: ColorNet, n: int = 1000) -> dict[str, float]:
    """The measures stored in a colorization checkpoint, on ``n`` held-out scenes (seed 1; the training seeds are
    even): on the ambiguous objects, chroma and the fraction of pixels in one of their colours
    (``multimodal_scores``), and the raw AuC (``accuracy_curve``). The classification model is decoded at T = 0.38
    (no suffix), T = 1 (``_mean``) and T = 0.01 (``_mode``)."""
    images, classes, _ = scenes.render_scenes(n, 64, seed=1)
    _, ab = split_lab(images)
    metrics = {}
    decodings = (("", T_PAPER), ("_mean", 1.0), ("_mode", 0.01)) if model.config.bins else (("", None),)
    for label, temperature in decodings:
        ab_hat = colorize(model, images, temperature or T_PAPER)
        scores = multimodal_scores(ab_hat, ab, classes)
        metrics[f"chroma_ratio{label}"] = scores["chroma_ratio"]
        metrics[f"right_mode{label}"] = scores["right_mode"]
        metrics[f"auc{label}"] = area_under_curve(accuracy_curve(ab_hat, ab))
    return metrics
