"""Notebook 01's building blocks against their equations and torch as the oracle."""

import pytest
import torch
import torch.nn.functional as F

import coursekit as ck
from coursekit import neuron


def test_relu_equals_torch_and_keeps_its_input():
    z = torch.randn(4, 5, 6)
    before = z.clone()
    torch.testing.assert_close(neuron.relu(z), F.relu(z))
    assert torch.equal(z, before)


def test_relu_gradient_is_the_step():
    z = torch.tensor([-2.0, -0.1, 0.3, 4.0], requires_grad=True)
    neuron.relu(z).sum().backward()
    torch.testing.assert_close(z.grad, neuron.step(z.detach()))


def test_sigmoid_equals_torch_and_does_not_overflow():
    z = torch.linspace(-100, 100, 201)
    torch.testing.assert_close(neuron.sigmoid(z), torch.sigmoid(z))
    assert torch.isfinite(neuron.sigmoid(z)).all()


def test_step_is_zero_or_one():
    z = torch.tensor([-1.0, 0.0, 1e-6, 3.0])
    assert neuron.step(z).tolist() == [0.0, 0.0, 1.0, 1.0]


def test_neuron_is_relu_of_weighted_sum():
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(10, 4, generator=g), torch.randn(4, generator=g)
    explicit = torch.tensor([max(0.0, sum(w[i] * x[n, i] for i in range(4)).item() + 0.3) for n in range(10)])
    torch.testing.assert_close(neuron.neuron(x, w, 0.3), explicit)
    torch.testing.assert_close(neuron.neuron(x, w, 0.3, activation=torch.sigmoid), torch.sigmoid(x @ w + 0.3))


def test_neuron_refuses_mismatched_weights():
    with pytest.raises(ValueError, match="one weight per feature"):
        neuron.neuron(torch.randn(3, 4), torch.randn(5))


@pytest.mark.parametrize(("n", "i", "j"), [(1, 1, 1), (3, 4, 2), (8, 12, 7)])
def test_dense_equals_explicit_sum_and_linear(n, i, j):
    x, weight, bias = torch.randn(n, i), torch.randn(i, j), torch.randn(j)
    y = neuron.dense(x, weight, bias)
    explicit = torch.tensor([[sum(weight[a, b] * x[k, a] for a in range(i)) + bias[b] for b in range(j)]
                             for k in range(n)])
    torch.testing.assert_close(y, explicit)
    torch.testing.assert_close(y, F.linear(x, weight.T, bias))
    torch.testing.assert_close(neuron.dense(x, weight), F.linear(x, weight.T))


def test_dense_explains_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(n_inputs, n_outputs\)"):
        neuron.dense(torch.randn(2, 3), torch.randn(4, 5))


def test_dense_parameter_count_matches_torch():
    for n_in, n_out in [(12, 2), (784, 100), (3 * 32 * 32, 10)]:
        layer = torch.nn.Linear(n_in, n_out)
        assert neuron.dense_parameter_count(n_in, n_out) == sum(p.numel() for p in layer.parameters())
        no_bias = torch.nn.Linear(n_in, n_out, bias=False)
        assert neuron.dense_parameter_count(n_in, n_out, bias=False) == no_bias.weight.numel()
    assert neuron.dense_parameter_count(512 * 512 * 3, 1000) == 786_433_000


def test_mlp_shapes_and_composition():
    torch.manual_seed(0)
    mlp = neuron.MLP(in_features=3, hidden=(5, 4), out_features=2)
    x = torch.randn(7, 3)
    assert mlp(x).shape == (7, 2)
    a, b, c = mlp.layers
    expected = c(F.relu(b(F.relu(a(x)))))  # f_3(f_2(f_1(x)))
    torch.testing.assert_close(mlp(x), expected)
    assert "hidden=(5, 4)" in repr(mlp)


@pytest.mark.parametrize("hidden", [(), (0,), (3, -1), (2.5,)])
def test_mlp_refuses_bad_widths(hidden):
    with pytest.raises(ValueError, match="hidden"):
        neuron.MLP(hidden=hidden)


def test_linear_regions_are_affine_pieces():
    torch.manual_seed(2)
    mlp = neuron.MLP(hidden=(6,))
    points, _ = ck.toy.plane_grid(2.0, 120)
    region, count = neuron.linear_regions(mlp, points)
    assert region.shape == (points.shape[0],)
    assert 6 < count <= 1 + 6 + 15  # h lines cut the plane into at most 1 + h + C(h, 2) regions
    # within a region the network is affine: a least-squares affine fit is exact
    with torch.no_grad():
        for r in range(count):
            inside = points[region == r]
            if inside.shape[0] < 10:
                continue
            design = torch.cat([inside, torch.ones(len(inside), 1)], dim=1).double()
            out = mlp(inside).double()
            fit = design @ torch.linalg.lstsq(design, out).solution
            torch.testing.assert_close(fit, out, atol=1e-5, rtol=1e-5)


def test_gradient_descent_step_is_the_update_rule():
    torch.manual_seed(0)
    mlp = neuron.MLP(hidden=(4,))
    x, y = ck.toy.moons(32, seed=0)
    before = [p.detach().clone() for p in mlp.parameters()]
    loss = F.cross_entropy(mlp(x), y)
    grads = torch.autograd.grad(loss, list(mlp.parameters()))
    metrics = neuron.gradient_descent_step(mlp, x, y, lr=0.1)
    assert set(metrics) == {"loss", "accuracy"} and isinstance(metrics["loss"], float)
    assert metrics["loss"] == pytest.approx(loss.item())
    for p, p0, grad in zip(mlp.parameters(), before, grads):
        torch.testing.assert_close(p.detach(), p0 - 0.1 * grad)  # w ← w − η ∂L/∂w


def test_gradient_descent_separates_moons():
    torch.manual_seed(0)
    mlp = neuron.MLP(hidden=(16, 16))
    x, y = ck.toy.moons(300, seed=0)
    for _ in range(400):
        neuron.gradient_descent_step(mlp, x, y, lr=0.3)
    assert neuron.accuracy(mlp, x, y) > 0.95


def test_gradient_vanishes_through_sigmoids_not_relus():
    assert neuron.gradient_through_depth(neuron.sigmoid, 10) < 1e-3 * neuron.gradient_through_depth(neuron.sigmoid, 1)
    ratio = neuron.gradient_through_depth(neuron.relu, 10) / neuron.gradient_through_depth(neuron.relu, 1)
    assert 0.1 < ratio < 10
