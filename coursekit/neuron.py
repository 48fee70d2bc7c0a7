"""Neurons, ReLU and fully connected networks: the lecture's «Calculs dans un réseau de neurones».

A layer computes weighted sums of its inputs,

    y_j = Σ_i w_ij x_i + b_j,

and passes each through a non-linearity f, as a biological neuron fires when its summed input is large enough
(«Inspiration: neurone biologique»: g = f(Σ_i w_i x_i)). A network composes layers, f(x) = f_L(…f_2(f_1(x))).
With ReLU, f(z) = max(0, z), the network is piecewise linear: each pattern of active units is one linear region of
the input space. Trained by gradient descent, w ← w − η ∂L/∂w, such a network separates two spirals that no single
neuron can.

Weights follow the lecture's indices: ``weight[i, j]`` = w_ij connects input i to output j, so a layer's weight has
shape (n_inputs, n_outputs) (``torch.nn.Linear`` stores the transpose).

Used in notebook 01 (neurons and ReLU); ``dense_parameter_count`` returns in notebook 02.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data import toy

# ---------------------------------------------------------------------------------------------------------------
# Activation functions f
# ---------------------------------------------------------------------------------------------------------------


def step(z: torch.Tensor) -> torch.Tensor:
    """Heaviside step, the all-or-nothing neuron: f(z) = 1 if z > 0 else 0. Any shape; same shape out.

    Its derivative is 0 wherever it exists, so gradient descent cannot train a network of steps.
    """
    return (z > 0).to(z.dtype)


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid f(z) = 1 / (1 + e^(−z)), in (0, 1). Any shape; same shape out.

    Its derivative f'(z) = f(z)(1 − f(z)) is at most 1/4: each sigmoid layer multiplies the gradient that flows back
    through it by at most 1/4, besides its weights' own factor, so with weights of order 1 the gradient shrinks at
    least 4× per layer.
    """
    return 1 / (1 + torch.exp(-z))


def relu(z: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit f(z) = max(0, z). Any shape; same shape out; the input is not modified.

    Its derivative is 1 for z > 0 and 0 for z < 0: gradients pass through active units unchanged.
    """
    return torch.where(z > 0, z, torch.zeros_like(z))


def gradient_through_depth(activation, depth: int, width: int = 64, n: int = 256, seed: int = 0) -> float:
    """How much gradient reaches the input of a stack of ``depth`` random layers z ← f(W z), W ~ N(0, 2/width).

    Returns the mean norm of ∂(Σ outputs)/∂x over ``n`` random inputs x of size ``width``. Each layer multiplies the
    gradient by f'(z) W: with the sigmoid (f' ≤ 1/4) it shrinks geometrically with depth, with ReLU (f' = 1 on
    active units, He-scaled weights) it keeps its size.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, width, generator=g, requires_grad=True)
    z = x
    for _ in range(depth):
        w = torch.randn(width, width, generator=g) * (2 / width) ** 0.5  # He initialisation
        z = activation(z @ w)
    (grad,) = torch.autograd.grad(z.sum(), x)
    return grad.norm(dim=1).mean().item()


# ---------------------------------------------------------------------------------------------------------------
# One neuron, one layer
# ---------------------------------------------------------------------------------------------------------------


def neuron(x: torch.Tensor, w: torch.Tensor, b: float | torch.Tensor = 0.0, activation=relu) -> torch.Tensor:
    """One neuron: g = f(Σ_i w_i x_i + b).

    x: (N, I) inputs (or (I,) for a single input); w: (I,) weights; b: a number; activation: f.
    Returns (N,) outputs (or a 0-d tensor for a single input).
    """
    if x.shape[-1] != w.shape[-1] or w.dim() != 1:
        raise ValueError(
            f"neuron: x has {x.shape[-1]} features (shape {tuple(x.shape)}) but w has shape {tuple(w.shape)}; "
            "w must be a vector with one weight per feature of x."
        )
    z = x @ w + b  # Σ_i w_i x_i + b
    return activation(z)


def dense(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """A fully connected layer before its activation: y_j = Σ_i w_ij x_i + b_j.

    x: (N, I); weight: (I, J) with weight[i, j] = w_ij; bias: (J,) or None. Returns y: (N, J).
    Equals ``F.linear(x, weight.T, bias)``.
    """
    if x.shape[-1] != weight.shape[0]:
        raise ValueError(
            f"dense: x has {x.shape[-1]} inputs per sample (shape {tuple(x.shape)}) but weight has shape "
            f"{tuple(weight.shape)}; weight must be (n_inputs, n_outputs) = ({x.shape[-1]}, J)."
        )
    y = x @ weight  # y_j = Σ_i x_i w_ij, for every sample at once
    if bias is not None:
        y = y + bias
    return y


def dense_parameter_count(n_inputs: int, n_outputs: int, bias: bool = True) -> int:
    """Parameters of a fully connected layer: one weight w_ij per (input, output) pair, plus one bias per output.

    For a 512×512 RGB photograph (786,432 inputs) and 1,000 outputs, that is 786,433,000 parameters: the reason
    images need convolutions (notebook 02).
    """
    return n_inputs * n_outputs + (n_outputs if bias else 0)


# ---------------------------------------------------------------------------------------------------------------
# A network: f(x) = f_L(…f_2(f_1(x)))
# ---------------------------------------------------------------------------------------------------------------


class MLP(nn.Module):
    """A multilayer perceptron: fully connected layers with ReLU between them, f(x) = f_L(…f_2(f_1(x))).

    in_features: I; hidden: the width of each hidden layer, e.g. (64, 64); out_features: the number of classes.
    forward: (N, I) → (N, out_features) logits (no activation after the last layer; the loss applies softmax).
    """

    def __init__(self, in_features: int = 2, hidden: tuple[int, ...] = (64, 64), out_features: int = 2):
        super().__init__()
        if not hidden or any((not isinstance(h, int)) or h < 1 for h in hidden):
            raise ValueError(f"hidden must be a non-empty tuple of positive layer widths, got {hidden!r}.")
        widths = [in_features, *hidden, out_features]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.hidden = tuple(hidden)

    def extra_repr(self) -> str:
        n = sum(p.numel() for p in self.parameters())
        return f"hidden={self.hidden}, parameters={n:,}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))  # f_l(x) = ReLU(W_l x + b_l)
        return self.layers[-1](x)

    @torch.no_grad()
    def activation_pattern(self, x: torch.Tensor) -> torch.Tensor:
        """Which hidden ReLUs are active for each input: (N, I) → (N, sum(hidden)) booleans.

        Inputs with the same pattern lie in the same linear region: there the network is one affine map.
        """
        active = []
        for layer in self.layers[:-1]:
            z = layer(x)
            active.append(z > 0)
            x = torch.relu(z)
        return torch.cat(active, dim=1)


def linear_regions(model: MLP, points: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Label each point with the linear region it falls in, numbered by the activation pattern.

    points: (N, I). Returns (region ids (N,) int64 in [0, count), count of distinct regions among the points).
    """
    pattern = model.activation_pattern(points)
    _, region = torch.unique(pattern, dim=0, return_inverse=True)
    return region, int(region.max()) + 1


# ---------------------------------------------------------------------------------------------------------------
# Training by gradient descent: w ← w − η ∂L/∂w
# ---------------------------------------------------------------------------------------------------------------


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of the (N, I) inputs ``x`` whose highest logit is their label ``y`` (N,)."""
    return (model(x).argmax(dim=1) == y).float().mean().item()


def dense_parameters(model: MLP) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """An MLP's weights W_l, shape (I_l, J_l), and biases b_l, shape (J_l,), in the lecture's convention.

    They share their memory with the model's parameters (``nn.Linear`` stores W_lᵀ), so updating them in place
    updates the model; they carry no autograd history.
    """
    weights = [layer.weight.detach().T for layer in model.layers]  # (J, I) stored → W_l: (I, J)
    biases = [layer.bias.detach() for layer in model.layers]
    return weights, biases


def mlp_forward(x: torch.Tensor, weights: list[torch.Tensor],
                biases: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """The MLP's forward pass with explicit weights: z_l = h_{l−1} W_l + b_l, h_l = ReLU(z_l), h_0 = x.

    x: (N, I); weights: [W_1, …, W_L], W_l of shape (I_l, J_l); biases: [b_1, …, b_L]. Returns (logits z_L,
    [h_0, …, h_{L−1}] the inputs of the layers, [z_1, …, z_{L−1}] the hidden pre-activations): what the backward pass
    needs.
    """
    h, inputs, pre = x, [], []
    for l, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(h)  # h_{l−1}, (N, I_l)
        z = h @ w + b  # z_l = h_{l−1} W_l + b_l, (N, J_l)
        if l == len(weights) - 1:
            return z, inputs, pre
        pre.append(z)
        h = relu(z)
    raise ValueError("weights must hold at least one layer.")


def mlp_loss(x: torch.Tensor, y: torch.Tensor, weights: list[torch.Tensor], biases: list[torch.Tensor]) -> torch.Tensor:
    """The cross-entropy L = −(1/N) Σ_n log softmax(z_L)[n, y_n] of the MLP with these weights and biases."""
    return F.cross_entropy(mlp_forward(x, weights, biases)[0], y)


def mlp_gradients(x: torch.Tensor, y: torch.Tensor, weights: list[torch.Tensor],
                  biases: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """Backpropagation written out, for the MLP of ``mlp_forward`` and the cross-entropy of ``mlp_loss``.

    x: (N, I) inputs; y: (N,) labels; weights, biases: as in ``mlp_forward``. Returns (L, [∂L/∂W_l], [∂L/∂b_l]),
    each gradient shaped like its parameter. No autograd: the chain rule, layer by layer from the last one:

        δ_L = ∂L/∂z_L = (softmax(z_L) − onehot(y)) / N
        ∂L/∂W_l = h_{l−1}ᵀ δ_l,   ∂L/∂b_l = Σ_n δ_l[n]
        δ_{l−1} = (δ_l W_lᵀ) ⊙ ReLU'(z_{l−1}),   ReLU'(z) = [z > 0]
    """
    logits, inputs, pre = mlp_forward(x, weights, biases)
    log_p = F.log_softmax(logits, dim=1)  # (N, C)
    n, depth = len(y), len(weights)
    loss = -log_p[torch.arange(n), y].mean()  # L = −(1/N) Σ_n log p(y_n | x_n)
    delta = (log_p.exp() - F.one_hot(y, logits.shape[1]).to(logits.dtype)) / n  # δ_L = (p − onehot(y)) / N
    grad_w, grad_b = [torch.empty(0)] * depth, [torch.empty(0)] * depth
    for l in reversed(range(depth)):
        grad_w[l] = inputs[l].T @ delta  # ∂L/∂W_l = h_{l−1}ᵀ δ_l, (I_l, J_l)
        grad_b[l] = delta.sum(dim=0)  # ∂L/∂b_l = Σ_n δ_l[n], (J_l,)
        if l > 0:
            delta = (delta @ weights[l].T) * (pre[l - 1] > 0)  # δ_{l−1} = (δ_l W_lᵀ) ⊙ [z_{l−1} > 0]
    return loss, grad_w, grad_b


def numerical_gradient(f, w: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """The gradient of f at w by central differences, one entry at a time:

        ∂f/∂w_k ≈ (f(w + ε e_k) − f(w − ε e_k)) / 2ε,

    whose error shrinks like ε² (a one-sided difference's like ε). f: a function of a tensor shaped like w that
    returns a number; w: any shape, left unchanged. Returns a tensor shaped like w. Costs 2·w.numel() calls of f:
    a check of backpropagation on a small network, not a way to train one.
    """
    grad = torch.zeros(w.shape, dtype=w.dtype, device=w.device)
    for k in range(w.numel()):
        step = torch.zeros(w.shape, dtype=w.dtype, device=w.device)
        step.view(-1)[k] = eps  # ε e_k
        grad.view(-1)[k] = (float(f(w + step)) - float(f(w - step))) / (2 * eps)
    return grad


def gradient_descent_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float,
                          gradients=None) -> dict[str, float]:
    """One step of (full-batch) gradient descent on the cross-entropy loss, written out: w ← w − η ∂L/∂w.

    x: (N, I) inputs; y: (N,) class labels; lr: η. gradients: None to get ∂L/∂w from autograd, or a function with
    the signature of ``mlp_gradients`` (for an ``MLP``), such as notebook 01's backpropagation by hand. Updates the
    model's parameters in place and returns ``{"loss": L before the step, "accuracy": accuracy before the step}``.
    """
    if gradients is not None:
        weights, biases = dense_parameters(model)
        with torch.no_grad():
            correct = (model(x).argmax(dim=1) == y).float().mean().item()
            loss, grad_w, grad_b = gradients(x, y, weights, biases)
            for p, grad in zip(weights + biases, list(grad_w) + list(grad_b)):
                p -= lr * grad  # w ← w − η ∂L/∂w, in the model's own memory
        return {"loss": float(loss), "accuracy": correct}
    logits = model(x)
    loss = F.cross_entropy(logits, y)  # L = −(1/N) Σ_n log p(y_n | x_n)
    model.zero_grad()
    loss.backward()  # autograd fills p.grad = ∂L/∂p for every parameter p
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad  # w ← w − η ∂L/∂w
    return {"loss": loss.item(), "accuracy": (logits.argmax(dim=1) == y).float().mean().item()}


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float, gradients=None) -> list[float]:
    """``steps`` steps of ``gradient_descent_step`` on (x, y) with learning rate ``lr``; returns the loss before each
    step. gradients: as in ``gradient_descent_step`` (None: autograd)."""
    return [gradient_descent_step(model, x, y, lr, gradients)["loss"] for _ in range(steps)]


# ---------------------------------------------------------------------------------------------------------------
# A design under a budget (notebook 01's exercise "the smallest network that learns the spirals")
# ---------------------------------------------------------------------------------------------------------------

PARAMETER_BUDGET = 250  # parameters a design may use (notebook 01's 2 × 64 network has 4,482)
STEP_BUDGET = 2000  # full-batch gradient-descent steps it may take (a second or two on a laptop)
ACCURACY_GOAL = 0.95  # on spiral points it never trained on
DESIGN_POINTS = 600  # points of the training spirals and of the held-out ones


def train_design(hidden: tuple[int, ...], steps: int, lr: float) -> dict:
    """Train ``MLP(hidden)`` from ``torch.manual_seed(0)`` on ``DESIGN_POINTS`` spiral points (seed 0) for ``steps``
    full-batch steps of rate ``lr``. Returns {"model", "parameters", "train accuracy", "test accuracy" (on
    ``DESIGN_POINTS`` points of seed 1), "final loss"}: how notebook 01's check judges a design, and what its figure
    draws."""
    x, y = toy.two_spirals(DESIGN_POINTS, seed=0)
    x_test, y_test = toy.two_spirals(DESIGN_POINTS, seed=1)
    torch.manual_seed(0)
    model = MLP(hidden=tuple(hidden))
    losses = train(model, x, y, steps, lr)
    return {"model": model, "parameters": sum(p.numel() for p in model.parameters()),
            "train accuracy": accuracy(model, x, y), "test accuracy": accuracy(model, x_test, y_test),
            "final loss": losses[-1]}
