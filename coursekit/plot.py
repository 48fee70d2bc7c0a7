"""Figures the notebooks share: image grids, decision boundaries on the plane, loss curves, a layer's wiring.

Each function draws on a matplotlib ``Axes`` it is given (or a new figure) and returns what it drew, so that a
notebook composes figures and nothing here reads notebook state. Images come in as float tensors in [0, 1] shaped
(N, C, H, W), as everywhere in coursekit.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython import get_ipython
from IPython.display import display

from coursekit import color
from coursekit.data.toy import plane_grid

# Two colours for two classes, readable in colour-blind vision and in print.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e")


def field(ax, values: torch.Tensor, extent: float, cmap: str = "RdBu_r", **kwargs):
    """Show (R·R,) values computed on ``plane_grid(extent, R)`` as an image on ``ax``; returns the image."""
    r = math.isqrt(values.numel())
    img = values.detach().reshape(r, r).cpu().numpy()
    return ax.imshow(img, origin="lower", extent=(-extent, extent, -extent, extent), cmap=cmap, **kwargs)


def scatter_classes(ax, x: torch.Tensor, y: torch.Tensor, size: float = 8) -> None:
    """Scatter (N, 2) points ``x`` coloured by their class ``y`` in {0, 1}."""
    for c in (0, 1):
        pts = x[y == c].cpu().numpy()
        ax.scatter(pts[:, 0], pts[:, 1], s=size, c=CLASS_COLOURS[c], edgecolors="white", linewidths=0.3,
                   label=f"class {c}")


@torch.no_grad()
def decision_boundary(ax, model, x: torch.Tensor, y: torch.Tensor, extent: float = 1.6, resolution: int = 150,
                      title: str | None = None):
    """Draw p(class 1 | point) of a two-class ``model`` (logits out) over the plane, its 0.5 contour and the data."""
    points, r = plane_grid(extent, resolution)
    p1 = torch.softmax(model(points), dim=1)[:, 1]
    im = field(ax, p1, extent, cmap="PuOr_r", vmin=0, vmax=1, alpha=0.8)
    ax.contour(p1.reshape(r, r).numpy(), levels=[0.5], colors="k", linewidths=1.2,
               extent=(-extent, extent, -extent, extent))
    scatter_classes(ax, x, y, size=5)
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xticks=[], yticks=[], aspect="equal")
    if title:
        ax.set_title(title, fontsize=10)
    return im


def history(ax, values, label: str, xlabel: str = "training step", logy: bool = False, **kwargs):
    """Plot a curve of ``values`` (a list of numbers, one per step) with labels; returns the line."""
    (line,) = ax.plot(np.arange(len(values)), values, label=label, **kwargs)
    ax.set_xlabel(xlabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    return line


def image_grid(images: torch.Tensor, ncols: int | None = None, titles=None, scale: float = 1.6, cmap: str = "gray",
               vmin: float = 0.0, vmax: float = 1.0, suptitle: str | None = None):
    """Show (N, C, H, W) images (C = 1 or 3) in a grid, each with an optional title. Returns the figure.

    Values are shown on [vmin, vmax] (images in [0, 1] by default); pass vmin/vmax for signed weights.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"image_grid expects (N, C, H, W) images with C = 1 or 3, got shape {tuple(images.shape)}.")
    n = images.shape[0]
    ncols = ncols or min(n, 8)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows + (0.3 if titles else 0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        img = images[k].detach().cpu()
        if img.shape[0] == 1:
            ax.imshow(img[0].numpy(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        else:
            ax.imshow(((img - vmin) / (vmax - vmin)).clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="nearest")
        if titles is not None:
            ax.set_title(str(titles[k]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def layer_diagram(ax, weight: torch.Tensor, input_labels=None, output_labels=None):
    """Draw a fully connected layer as a graph: inputs on the left, outputs on the right, one line per weight w_ij.

    weight: (I, J) with weight[i, j] = w_ij. Line width is |w_ij|, colour its sign (red > 0, blue < 0).
    input_labels / output_labels: optional text written beside each node (its value, say).
    """
    w = weight.detach().cpu()
    n_in, n_out = w.shape
    y_in = np.linspace(1, 0, n_in) if n_in > 1 else np.array([0.5])  # x1 at the top
    y_out = np.linspace(0.85, 0.15, n_out) if n_out > 1 else np.array([0.5])
    scale = float(w.abs().max()) or 1.0
    for i in range(n_in):
        for j in range(n_out):
            v = float(w[i, j])
            ax.plot([0, 1], [y_in[i], y_out[j]], color="#d62728" if v > 0 else "#1f77b4",
                    linewidth=0.5 + 4 * abs(v) / scale, alpha=0.8, zorder=1)
            t = 0.3 + 0.4 * j / max(n_out - 1, 1)  # stagger the labels of the wires leaving one input
            ax.text(t, y_in[i] + t * (y_out[j] - y_in[i]), f"{v:+g}", fontsize=8, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9}, zorder=3)
    ax.scatter(np.zeros(n_in), y_in, s=600, c="white", edgecolors="k", zorder=2)
    ax.scatter(np.ones(n_out), y_out, s=600, c="#f2f2f2", edgecolors="k", zorder=2)
    for i, yy in enumerate(y_in):
        ax.text(0, yy, f"x{i + 1}", ha="center", va="center", zorder=3)
        if input_labels:
            ax.text(-0.1, yy, input_labels[i], ha="right", va="center")
    for j, yy in enumerate(y_out):
        ax.text(1, yy, f"y{j + 1}", ha="center", va="center", zorder=3)
        if output_labels:
            ax.text(1.1, yy, output_labels[j], ha="left", va="center")
    ax.set(xlim=(-0.45, 1.55), ylim=(-0.12, 1.12))
    ax.axis("off")


class LivePlot:
    """A loss/accuracy figure that redraws itself in place while a notebook trains a model.

    ``update(history)`` takes the dict returned by ``coursekit.training.fit`` (keys "step", "loss", "accuracy") and
    redraws; outside a notebook it does nothing. After training, ``figure`` holds the final plot.
    """

    def __init__(self, title: str = "training"):
        self.figure, (self.ax_loss, self.ax_acc) = plt.subplots(1, 2, figsize=(9, 3))
        self.figure.suptitle(title)
        self._handle = None
        plt.close(self.figure)  # shown through the display handle only, not a second time at the end of the cell

    def update(self, step: int, history: dict) -> None:
        """Redraw the curves from ``history``; usable as ``fit(..., callback=live.update)``."""
        for ax, key, colour in ((self.ax_loss, "loss", "k"), (self.ax_acc, "accuracy", "tab:green")):
            ax.clear()
            ax.plot(history["step"], history[key], color=colour)
            ax.set(xlabel="training step", title=f"{key}: {history[key][-1]:.3f}")
            ax.grid(alpha=0.3)
        self.ax_acc.set_ylim(0, 1.02)
        self.figure.tight_layout()
        if get_ipython() is None:
            return
        if self._handle is None:
            self._handle = display(self.figure, display_id=True)
        else:
            self._handle.update(self.figure)


def ab_plane(ax, values: torch.Tensor | None = None, bins: torch.Tensor | None = None, L: float = 60.0,
             extent: float = 115.0, grid: int = 10, cmap: str = "viridis", **kwargs):
    """Draw the ab plane of CIE Lab (a to the right, b up) on ``ax``; returns the image.

    Without ``values``: the colours themselves at lightness ``L``, colours outside the sRGB gamut left white. With
    ``values`` (Q,) and their ``bins`` (Q, 2) centres on a grid of ``grid``: one square per bin coloured by its value
    (a prior, weights, a predicted distribution), bins without a value left white. Notebook 05.
    """
    if values is None:
        side = 2 * int(extent) + 1
        a = torch.linspace(-extent, extent, side)
        bb, aa = torch.meshgrid(a, a, indexing="ij")  # rows: b, columns: a
        lab = torch.stack([torch.full_like(aa, L), aa, bb])[None]
        rgb = color.lab_to_rgb(lab)
        outside = (color.rgb_to_lab(rgb) - lab).abs().amax(1)[0] > 0.5  # clipped: not an sRGB colour
        image = rgb[0].permute(1, 2, 0).clone()
        image[outside] = 1.0
        shown = ax.imshow(image.numpy(), origin="lower", extent=(-extent, extent, -extent, extent))
    else:
        if bins is None or len(bins) != len(values):
            raise ValueError("ab_plane: values need their bins, one (a, b) centre per value.")
        cells = int(round(extent / grid))  # centres −cells·grid … cells·grid
        board = np.full((2 * cells + 1, 2 * cells + 1), np.nan)
        index = torch.round(bins / grid).long() + cells  # (Q, 2): column from a, row from b
        board[index[:, 1].numpy(), index[:, 0].numpy()] = values.detach().cpu().numpy()
        half = (cells + 0.5) * grid
        shown = ax.imshow(board, origin="lower", extent=(-half, half, -half, half), cmap=cmap, **kwargs)
    ax.set_xlabel("a  (green ← → red)")
    ax.set_ylabel("b  (blue ← → yellow)")
    return shown


def gan_snapshot(ax, snapshot, real: torch.Tensor | None = None, extent: float = 1.6, title: str | None = None):
    """Draw a 2-D GAN's ``coursekit.gan.Snapshot`` on ``ax``: D's probability of "real" over the plane (blue: fake,
    red: real), the real points (light) and the generated ones (black)."""
    ax.clear()
    field(ax, snapshot.surface, extent, vmin=0.0, vmax=1.0, alpha=0.8)
    if real is not None:
        ax.scatter(*real.T.cpu().numpy(), s=2, c="white", alpha=0.6, linewidths=0)
    ax.scatter(*snapshot.points.T.cpu().numpy(), s=3, c="black", alpha=0.7, linewidths=0)
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xticks=[], yticks=[], aspect="equal")
    ax.set_title(title or f"step {snapshot.step}: {snapshot.modes}/8 modes", fontsize=9)


def tile(images: torch.Tensor, ncols: int = 8, padding: int = 1) -> np.ndarray:
    """(N, C, H, W) images in [0, 1] tiled into one array for ``imshow``: (rows·H, ncols·W) for C = 1, else
    (rows·H, ncols·W, 3), with ``padding`` pixels of black between them."""
    from torchvision.utils import make_grid  # here: importing torchvision takes over 1 s (torch._dynamo)

    grid = make_grid(images.detach().cpu().float(), nrow=ncols, padding=padding)  # always 3 channels
    return grid[0].numpy() if images.shape[1] == 1 else grid.permute(1, 2, 0).numpy()


def arrows_between(fig, axes, labels) -> None:
    """Write ``labels[k]`` (for example "→ G →") in the gap between ``axes[k]`` and ``axes[k + 1]`` of ``fig``: a
    pipeline drawn left to right. Leave room with ``plt.subplots(..., gridspec_kw={"wspace": 0.4})``."""
    for left, right, label in zip(axes[:-1], axes[1:], labels):
        a, b = left.get_position(), right.get_position()
        fig.text((a.x1 + b.x0) / 2, (a.y0 + a.y1) / 2, label, ha="center", va="center", fontsize=11)
