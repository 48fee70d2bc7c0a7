"""The loss of a classifier: softmax and cross-entropy, the lecture's «Fonction de perte».

A classifier outputs one score z_c (a logit) per class. Softmax turns them into probabilities,

    p(c | x) = exp(z_c) / Σ_k exp(z_k),

and the cross-entropy between the true distribution ẑ (one-hot on the observed class y) and the predicted one is

    H(ẑ, p) = −Σ_c ẑ_c log p(c | x) = −log p(y | x):

minus the log-probability the model gives to what was observed. Averaged over a dataset, it is the negative
log-likelihood of the data under the model; minimising it is maximum likelihood. log p is computed as
z_y − log Σ_k exp(z_k) with the log-sum-exp trick (subtract max_k z_k first), so that large scores neither overflow
nor lose precision.

Used in notebook 02 (the exercise writes ``cross_entropy``), and by every classifier in the course.
"""

from __future__ import annotations

import torch


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log p(c | x) = z_c − log Σ_k exp(z_k), computed stably. logits: (..., C) → (..., C)."""
    z_max = logits.amax(dim=dim, keepdim=True).detach()  # subtracting a constant changes nothing but the overflow
    shifted = logits - z_max
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """p(c | x) = exp(z_c) / Σ_k exp(z_k). logits: (..., C) → probabilities (..., C) that sum to 1 along ``dim``."""
    return torch.exp(log_softmax(logits, dim))


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy H(ẑ, p) = −log p(y | x) over a batch; equals ``torch.nn.functional.cross_entropy``.

    logits: (N, C) scores; target: (N,) int64 class indices. Returns a 0-d tensor.
    """
    if logits.dim() != 2 or target.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy expects logits (N, C) and target (N,), got {tuple(logits.shape)} and "
                         f"{tuple(target.shape)}.")
    log_p = log_softmax(logits, dim=1)  # (N, C)
    return -log_p.gather(1, target[:, None]).mean()  # −(1/N) Σ_n log p(y_n | x_n)
