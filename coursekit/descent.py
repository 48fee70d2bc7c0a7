"""Gradient descent on surfaces you can draw: the lecture's «Descente du gradient».

Training changes the weights w against the gradient of the loss, one small step at a time:

    w ← w − η ∂L/∂w        (η: the learning rate, «taux d'apprentissage»)

On the elongated bowl L(w) = ½ (a·w₁² + b·w₂²) every step multiplies the distance to the minimum along each axis by
(1 − η·a) and (1 − η·b): descent converges when η < 2/b (the steepest curvature), crawls when η is much smaller than
2/b, and diverges, each step overshooting further, when η > 2/b. The slower of the two factors sets the speed: the
fastest η is where the two factors, |1 − η·a| and |1 − η·b|, balance (notebook 02's exercise derives it).
``descend`` records the path of any two-weight loss.

**Minibatch** descent estimates ∂L/∂w from a few random examples instead of all of them: each step is cheaper and
noisier, and on average it points downhill. ``line_fit_loss`` and ``minibatch_descent`` show it on the simplest model
there is, a line y = w·x + b fitted to noisy points.

**Momentum and Adam**, the optimisers that train the course's networks, change the step itself. Momentum keeps a
running sum of past gradients, v ← β v + g, and steps along it, w ← w − η v: where the gradients agree (along the
flat axis of the bowl) the steps add up, where they alternate (across the steep one) they cancel. Adam (Kingma & Ba
2015) keeps running means of the gradient and of its square, m ← β1 m + (1 − β1) g and s ← β2 s + (1 − β2) g², and
steps by w ← w − η m̂ / (√ŝ + ε), with m̂ = m / (1 − β1^t) and ŝ = s / (1 − β2^t) corrected for starting at 0: each
weight moves about η per step, whatever the size of its gradient. ``momentum_descent`` and ``adam_descent`` record
their paths like ``descend``.

Used in notebook 02.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

BOWL_CURVATURES = (1.0, 8.0)  # a, b: the bowl is 8 times steeper across than along; η must stay below 2/8 = 0.25


def bowl(w: torch.Tensor, curvatures: tuple[float, float] = BOWL_CURVATURES) -> torch.Tensor:
    """L(w) = ½ (a·w₁² + b·w₂²) for weights w (..., 2); returns (...,). Its minimum is 0 at w = (0, 0)."""
    a, b = curvatures
    return 0.5 * (a * w[..., 0] ** 2 + b * w[..., 1] ** 2)


def stable_learning_rate(curvatures: tuple[float, float] = BOWL_CURVATURES) -> float:
    """The largest η for which gradient descent converges on the bowl: 2 / max curvature."""
    return 2 / max(curvatures)


def convergence_factor(lr: float, curvatures: tuple[float, float] = BOWL_CURVATURES) -> float:
    """How much one step of rate η shrinks the distance to the bowl's minimum, in the worst direction:
    max(|1 − η·a|, |1 − η·b|). Below 1 descent converges; above 1 it diverges."""
    return max(abs(1 - lr * c) for c in curvatures)


def fastest_learning_rate(a: float, b: float) -> float:
    """The η that makes descent on the bowl ½(a·w₁² + b·w₂²) converge fastest, for curvatures 0 < a ≤ b.

    Each step multiplies w₁ by (1 − η·a) and w₂ by (1 − η·b). Raising η speeds up the flat axis, |1 − η·a| falls,
    while the steep axis overshoots more and more, |1 − η·b| = η·b − 1 grows once η > 1/b. The worst of the two is
    smallest where they balance: 1 − η·a = η·b − 1, so η* = 2/(a + b), and both shrink by (b − a)/(b + a) per step.
    """
    return 2 / (a + b)  # solves 1 − η·a = −(1 − η·b)


def descend(loss: Callable[[torch.Tensor], torch.Tensor], start, lr: float, steps: int):
    """Run ``steps`` of w ← w − η ∂L/∂w from ``start`` (2 numbers) on a loss of two weights.

    ∂L/∂w comes from autograd. Returns (path (steps + 1, 2) of the weights, losses (steps + 1,)).
    """
    w = torch.as_tensor(start, dtype=torch.float32).clone().requires_grad_(True)
    path, losses = [w.detach().clone()], [loss(w).item()]
    for _ in range(steps):
        value = loss(w)
        (grad,) = torch.autograd.grad(value, w)
        with torch.no_grad():
            w -= lr * grad  # w ← w − η ∂L/∂w
        path.append(w.detach().clone())
        losses.append(loss(w).item())
    return torch.stack(path), torch.tensor(losses)


def momentum_descent(loss: Callable[[torch.Tensor], torch.Tensor], start, lr: float, steps: int,
                     beta: float = 0.9):
    """Run ``steps`` of momentum, v ← β v + ∂L/∂w (v starts at 0), w ← w − η v, from ``start`` on a loss of two
    weights: ``torch.optim.SGD(momentum=β)``'s update. Returns (path (steps + 1, 2), losses (steps + 1,))."""
    w = torch.as_tensor(start, dtype=torch.float32).clone().requires_grad_(True)
    v = torch.zeros_like(w)
    path, losses = [w.detach().clone()], [loss(w).item()]
    for _ in range(steps):
        (grad,) = torch.autograd.grad(loss(w), w)
        with torch.no_grad():
            v = beta * v + grad  # the running sum: agreeing gradients add up, alternating ones cancel
            w -= lr * v
        path.append(w.detach().clone())
        losses.append(loss(w).item())
    return torch.stack(path), torch.tensor(losses)


def adam_descent(loss: Callable[[torch.Tensor], torch.Tensor], start, lr: float, steps: int, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
    """Run ``steps`` of Adam from ``start`` on a loss of two weights: ``torch.optim.Adam(betas=(β1, β2))``'s update,

        m ← β1 m + (1 − β1) g,   s ← β2 s + (1 − β2) g²,   w ← w − η m̂ / (√ŝ + ε),
        m̂ = m / (1 − β1^t),   ŝ = s / (1 − β2^t)   (t = 1, 2, …; m and s start at 0).

    Returns (path (steps + 1, 2), losses (steps + 1,))."""
    w = torch.as_tensor(start, dtype=torch.float32).clone().requires_grad_(True)
    m, s = torch.zeros_like(w), torch.zeros_like(w)
    path, losses = [w.detach().clone()], [loss(w).item()]
    for t in range(1, steps + 1):
        (grad,) = torch.autograd.grad(loss(w), w)
        with torch.no_grad():
            m = beta1 * m + (1 - beta1) * grad  # the running mean of the gradient
            s = beta2 * s + (1 - beta2) * grad**2  # … and of its square
            m_hat, s_hat = m / (1 - beta1**t), s / (1 - beta2**t)  # corrected for starting at 0
            w -= lr * m_hat / (s_hat.sqrt() + eps)  # about η per weight, whatever the gradient's size
        path.append(w.detach().clone())
        losses.append(loss(w).item())
    return torch.stack(path), torch.tensor(losses)


def line_data(n: int = 500, slope: float = 2.0, intercept: float = -1.0, noise: float = 0.5, seed: int = 0):
    """Noisy points around the line y = slope·x + intercept: x (n,) uniform in [−1, 1], y (n,)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g) * 2 - 1
    return x, slope * x + intercept + noise * torch.randn(n, generator=g)


def line_fit_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the line y = w₁·x + w₂ on the points (x, y): L(w) = mean (w₁ x + w₂ − y)²."""
    prediction = w[..., 0, None] * x + w[..., 1, None]  # (..., n)
    return ((prediction - y) ** 2).mean(dim=-1)


def minibatch_descent(x: torch.Tensor, y: torch.Tensor, start, lr: float, steps: int, batch_size: int,
                      seed: int = 0):
    """Fit the line by descent on minibatches of ``batch_size`` random points (all points when batch_size ≥ n).

    Returns (path (steps + 1, 2), full-data losses (steps + 1,)): each step sees ``batch_size`` points, but the
    loss recorded is that of all the data, to compare full-batch and minibatch descent fairly.
    """
    g = torch.Generator().manual_seed(seed)
    w = torch.as_tensor(start, dtype=torch.float32).clone().requires_grad_(True)
    path, losses = [w.detach().clone()], [line_fit_loss(w, x, y).item()]
    for _ in range(steps):
        idx = torch.randperm(len(x), generator=g)[:batch_size]
        (grad,) = torch.autograd.grad(line_fit_loss(w, x[idx], y[idx]), w)  # a noisy estimate of ∂L/∂w
        with torch.no_grad():
            w -= lr * grad
        path.append(w.detach().clone())
        losses.append(line_fit_loss(w.detach(), x, y).item())
    return torch.stack(path), torch.tensor(losses)
