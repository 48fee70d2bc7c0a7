"""Training a classifier by minibatch gradient descent, and measuring it.

«Descente du gradient»: w ← w − η ∂L/∂w, with L the cross-entropy of a minibatch (a random handful of examples, an
unbiased estimate of the whole dataset's loss that costs a handful of forward passes). ``train_step`` takes one step
and returns its numbers; ``fit`` repeats it with a progress bar and a learning rate that decays along a half cosine;
``train_loop`` is the plain loop written out in full (notebook 02's exercise). ``evaluate`` measures a model and
``confusion_matrix`` says which classes it confuses.

«Reconnaissance d'objets: approche «traditionnelle»» (notebook 01's opening): ``hog_features`` are features made by
hand (histograms of oriented gradients), and ``linear_classifier`` learns only the last stage on top of fixed
features; a network learns every stage.

The augmentations (``random_flips``, ``colour_jitter``, ``low_resolution``) show a network more varied examples than
the dataset holds; the shipped checkpoints' recipes (``coursekit.train``) use them.

Used in notebooks 01, 02, 03 and 04.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.runtime import device_of, in_batches, integers, progress, uniform


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
               labels: torch.Tensor) -> dict[str, float]:
    """One minibatch step: loss L = cross-entropy, ∂L/∂w by autograd, w updated by ``optimizer``.

    images: (B, C, H, W) in [0, 1]; labels: (B,). Returns {"loss": L, "accuracy": on this batch} before the step.
    """
    model.train()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {"loss": loss.item(), "accuracy": (logits.argmax(1) == labels).float().mean().item()}


def train_loop(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor, labels: torch.Tensor,
               steps: int, batch_size: int, generator: torch.Generator, callback=None) -> list[float]:
    """The minibatch training loop written out, step by step (notebook 02's exercise writes it).

    images: (N, C, H, W) in [0, 1]; labels: (N,). Each of the ``steps`` steps draws ``batch_size`` random examples
    with ``generator`` (so that a run can be repeated), computes their mean cross-entropy L, clears the gradients,
    fills them with ∂L/∂w and lets ``optimizer`` update the weights. callback: called after every step as
    ``callback(step, losses)``, step counting from 1; it may evaluate the model, so every step puts the model back in
    training mode. Returns the loss of every step (floats), measured on its batch before its update.
    """
    device = device_of(model)
    losses: list[float] = []
    for step in range(1, steps + 1):
        idx = integers(len(images), (batch_size,), generator, images.device)  # a random minibatch B
        # the mean cross-entropy of B, ∂L/∂w, one update; train_step puts the model in training mode every time (a
        # callback that evaluated the model left it in evaluation mode) and clears the gradients before backward()
        losses.append(train_step(model, optimizer, images[idx].to(device), labels[idx].to(device))["loss"])
        if callback is not None:
            callback(step, losses)
    return losses


def cosine_schedule(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    """torch's half-cosine decay of every learning rate of ``optimizer`` from its value to 0 over ``steps`` calls of
    ``.step()``: η_t = η · ½ (1 + cos(π t / steps)). Large steps first, then ever finer ones near the minimum."""
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)


def fit(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int, batch_size: int = 128,
        lr: float = 1e-3, seed: int = 0, augment=None, callback=None, every: int = 25, optimizer: str = "adam",
        weight_decay: float = 0.0) -> dict[str, list[float]]:
    """Train ``model`` for ``steps`` minibatches drawn at random from (images, labels), the learning rate decaying
    along a half cosine from ``lr`` to 0 (``cosine_schedule``).

    optimizer: "adam" (Adam, the default), or "sgd" (plain SGD with momentum 0.9, whose first-layer filters come out
    smoother). augment: optional function (batch (B, C, H, W), generator) → augmented batch. callback: called every
    ``every`` steps with (step, history) — a notebook draws its live plot there. Returns the history
    {"step": [...], "loss": [...], "accuracy": [...]}, one entry per ``every`` steps (the mean over those steps).
    """
    device = device_of(model)
    g = torch.Generator().manual_seed(seed)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}.")
    schedule = cosine_schedule(opt, steps)
    history: dict[str, list[float]] = {"step": [], "loss": [], "accuracy": []}
    window: list[dict[str, float]] = []
    for step in progress(range(1, steps + 1), desc="training"):
        idx = integers(len(images), (batch_size,), g, images.device)
        batch = images[idx]
        if augment is not None:
            batch = augment(batch, g)
        window.append(train_step(model, opt, batch.to(device), labels[idx].to(device)))
        schedule.step()
        if step % every == 0 or step == steps:
            history["step"].append(step)
            history["loss"].append(sum(m["loss"] for m in window) / len(window))
            history["accuracy"].append(sum(m["accuracy"] for m in window) / len(window))
            window = []
            if callback is not None:
                callback(step, history)
    return history


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500) -> dict:
    """Accuracy of ``model`` on (images, labels), with every prediction and its confidence max_c p(c | x).

    Returns {"accuracy": float, "predictions": (N,) int64, "confidences": (N,) float, "probabilities": (N, C)}.
    """
    model.eval()
    probabilities = in_batches(lambda x: torch.softmax(model(x), dim=1), images, batch_size=batch_size,
                               device=device_of(model)).cpu()
    confidences, predictions = probabilities.max(dim=1)
    return {"accuracy": (predictions == labels.cpu()).float().mean().item(), "predictions": predictions,
            "confidences": confidences, "probabilities": probabilities}


def hog_features(images: torch.Tensor, orientations: int = 9, cell: int = 7) -> torch.Tensor:
    """Hand-made features: the histogram of oriented gradients (HOG; Dalal & Triggs 2005) of each gray image, by
    scikit-image. Each ``cell``×``cell`` cell counts its gradients' directions in ``orientations`` bins, weighted by
    their strength; each 2×2 block of cells is normalised. images: (N, 1, H, W) in [0, 1] → (N, D) float32 (D = 324
    for 28×28 digits: 3×3 blocks × 4 cells × 9 bins)."""
    from skimage.feature import hog  # here, not at the top: it takes about a second to import

    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"hog_features takes gray images (N, 1, H, W), got shape {tuple(images.shape)}.")
    rows = [hog(image[0].numpy(), orientations=orientations, pixels_per_cell=(cell, cell), cells_per_block=(2, 2))
            for image in images.detach().cpu().float()]
    return torch.from_numpy(np.stack(rows)).float()


def linear_classifier(features: torch.Tensor, labels: torch.Tensor, steps: int = 300, lr: float = 0.01,
                      weight_decay: float = 1e-3):
    """Logistic regression on fixed features: scores s = x̃ W + b, x̃ the features standardised with the training
    set's mean and spread, W and b fitted by ``steps`` full-batch Adam steps on the cross-entropy plus
    ``weight_decay``·‖W‖². A feature that barely varies in training is scaled as if its spread were 1% of the
    largest one, so that a pixel almost never inked there does not become huge when a new image inks it.
    Returns a function: features (M, D) → predicted classes (M,)."""
    mean, spread = features.mean(0), features.std(0)
    spread = spread.clamp_min(0.01 * spread.max().item() + 1e-12)
    x = (features - mean) / spread
    classes = int(labels.max()) + 1
    labels = labels.to(x.device)
    W = x.new_zeros(x.shape[1], classes).requires_grad_(True)  # on the features' device
    b = x.new_zeros(classes).requires_grad_(True)
    optimizer = torch.optim.Adam([W, b], lr=lr)
    for _ in range(steps):
        loss = F.cross_entropy(x @ W + b, labels) + weight_decay * W.pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    W, b = W.detach(), b.detach()
    return lambda new: (((new - mean) / spread) @ W + b).argmax(1)


def confusion_matrix(predictions: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.Tensor:
    """(classes, classes) counts: entry [t, p] is how many examples of true class t were predicted as p."""
    return torch.bincount(labels * classes + predictions, minlength=classes * classes).reshape(classes, classes)


def random_flips(tensors: list[torch.Tensor], g: torch.Generator) -> list[torch.Tensor]:
    """Each item of a batch flipped left–right with probability ½, the same items in every tensor of ``tensors``
    (images, their targets, their label maps: anything whose last dimension is the width)."""
    flip = uniform(len(tensors[0]), g, tensors[0].device) < 0.5
    return [torch.where(flip.view(-1, *[1] * (t.ndim - 1)), t.flip(-1), t) for t in tensors]


def colour_jitter(batch: torch.Tensor, g: torch.Generator, grey: float = 0.5) -> torch.Tensor:
    """Augmentation for natural images: left–right flips, a fraction ``grey`` turned grey, contrast and brightness
    jitter. With colour unreliable, a network must look at edges and textures, and its first-layer filters become
    oriented edges rather than only colour blobs."""
    n = len(batch)
    (batch,) = random_flips([batch], g)
    batch = torch.where(uniform((n, 1, 1, 1), g, batch.device) < grey, batch.mean(1, keepdim=True).expand_as(batch),
                        batch)
    contrast = 0.6 + 0.8 * uniform((n, 1, 1, 1), g, batch.device)
    brightness = 0.2 * (uniform((n, 1, 1, 1), g, batch.device) - 0.5)
    mean = batch.mean(dim=(1, 2, 3), keepdim=True)
    return ((batch - mean) * contrast + mean + brightness).clamp(0, 1)


def low_resolution(batch: torch.Tensor, g: torch.Generator, p: float = 0.3) -> torch.Tensor:
    """Augmentation: a fraction ``p`` of the images is shrunk to 8–16 px and enlarged back (blurry, like scans)."""
    out = batch.clone()
    pick = uniform(len(batch), g, batch.device) < p
    if pick.any():
        side = 8 + int(integers(9, (1,), g, "cpu"))  # 8 to 16 px
        small = F.interpolate(batch[pick], size=(side, side), mode="area")
        out[pick] = F.interpolate(small, size=batch.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)
    return out
