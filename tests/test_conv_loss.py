"""Notebook 02's building blocks: the hand-written convolution, softmax and cross-entropy, and their checks."""

import math

import pytest
import torch
import torch.nn.functional as F

from coursekit import conv, loss


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_equals_torch_on_random_shapes(seed):
    g = torch.Generator().manual_seed(seed)

    def pick(lo, hi):
        return int(torch.randint(lo, hi + 1, (1,), generator=g))

    k, stride, padding = pick(1, 5), pick(1, 3), pick(0, 2)
    x = torch.randn(pick(1, 3), pick(1, 4), pick(k, 12), pick(k, 12), generator=g)
    w = torch.randn(pick(1, 5), x.shape[1], k, pick(1, k), generator=g)
    b = torch.randn(w.shape[0], generator=g) if seed % 2 else None
    torch.testing.assert_close(conv.conv2d(x, w, b, stride, padding), F.conv2d(x, w, b, stride, padding),
                               atol=1e-4, rtol=1e-4)


def test_conv2d_is_one_weighted_sum_per_pixel():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    w = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]])
    y = conv.conv2d(x, w)
    assert y.shape == (1, 1, 3, 3)
    assert y[0, 0, 1, 2].item() == x[0, 0, 1, 2] - x[0, 0, 2, 3]  # y[i, j] = Σ w[u, v] x[i + u, j + v]


def test_conv2d_gradients_match_torch():
    x = torch.randn(2, 2, 6, 6, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, requires_grad=True)
    conv.conv2d(x, w, stride=2, padding=1).square().sum().backward()
    gx, gw = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    F.conv2d(x, w, stride=2, padding=1).square().sum().backward()
    torch.testing.assert_close(gx, x.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(gw, w.grad, atol=1e-4, rtol=1e-4)


def test_conv2d_explains_bad_shapes():
    with pytest.raises(ValueError, match="channels"):
        conv.conv2d(torch.randn(1, 3, 5, 5), torch.randn(2, 1, 3, 3))
    with pytest.raises(ValueError, match="does not fit"):
        conv.conv2d(torch.randn(1, 1, 2, 2), torch.randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="stride"):
        conv.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3), stride=0)


def test_parameter_count_and_output_size():
    layer = torch.nn.Conv2d(3, 64, 3)
    assert conv.conv_parameter_count(3, 64, 3) == sum(p.numel() for p in layer.parameters()) == 1792
    assert conv.output_size(28, 5, stride=1, padding=2) == 28
    assert conv.output_size(32, 3, stride=2, padding=1) == 16


def test_gabor_prefers_its_orientation():
    g = conv.gabor(0.0, size=11, wavelength=5.0)
    assert abs(g.mean().item()) < 1e-6 and g.norm().item() == pytest.approx(1.0)
    along = (g * conv.grating(0.0, 11, 5.0)).sum().abs()
    across = (g * conv.grating(math.pi / 2, 11, 5.0)).sum().abs()
    assert along > 10 * across
    assert conv.gabor_bank(4).shape == (4, 1, 11, 11)


def test_softmax_and_cross_entropy_equal_torch():
    logits = torch.randn(8, 5) * 3
    target = torch.randint(0, 5, (8,))
    torch.testing.assert_close(loss.softmax(logits), torch.softmax(logits, -1))
    torch.testing.assert_close(loss.softmax(logits).sum(-1), torch.ones(8))
    torch.testing.assert_close(loss.cross_entropy(logits, target), F.cross_entropy(logits, target))


def test_cross_entropy_is_minus_log_probability_and_stable():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    p = math.exp(2) / (math.exp(2) + 1 + math.exp(-1))
    assert loss.cross_entropy(logits, torch.tensor([0])).item() == pytest.approx(-math.log(p), rel=1e-6)
    huge = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert torch.isfinite(loss.cross_entropy(huge, torch.tensor([2])))
    assert loss.cross_entropy(huge, torch.tensor([2])).item() == pytest.approx(2000.0)
