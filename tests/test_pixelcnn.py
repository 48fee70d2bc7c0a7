"""PixelCNN: causality of the masks, no blind spot in the gated model, exact cached sampling."""

import pytest
import torch

from coursekit import pixelcnn as P


def _gradient_map(model, x, i, j, labels=None):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x, labels)[0, 0, i, j], x)
    return grad[0, 0]


def test_masks():
    a, b = P.causal_mask(3, "A"), P.causal_mask(3, "B")
    assert a.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert b.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="mask_type"):
        P.causal_mask(3, "C")
    with pytest.raises(ValueError, match="odd"):
        P.causal_mask(4, "A")


@pytest.mark.parametrize("in_channels", [1, 3])
def test_mask_a_stack_never_sees_the_present_or_future(in_channels):
    torch.manual_seed(0)
    stack = torch.nn.Sequential(P.MaskedConv2d(in_channels, 8, 3, "A"), torch.nn.ReLU(),
                                P.MaskedConv2d(8, 8, 3, "B"), torch.nn.ReLU(), P.MaskedConv2d(8, 1, 3, "B"))
    size = 7
    x = torch.randn(1, in_channels, size, size, requires_grad=True)
    out = stack(x)
    for i in range(size):
        for j in range(size):
            (grad,) = torch.autograd.grad(out[0, 0, i, j], x, retain_graph=True)
            flat = grad[0].abs().sum(0).flatten()
            assert flat[i * size + j:].max() == 0, f"output ({i}, {j}) sees itself or a later pixel"


def test_mask_b_lets_the_pixel_itself_through():
    conv = P.MaskedConv2d(1, 1, 3, "B")
    x = torch.zeros(1, 1, 5, 5, requires_grad=True)
    (grad,) = torch.autograd.grad(conv(x)[0, 0, 2, 2], x)
    assert grad[0, 0, 2, 2] != 0 and grad[0, 0, 2, 3] == 0 and grad[0, 0, 3, 2] == 0


def test_stacked_masked_convolutions_have_a_blind_spot():
    torch.manual_seed(0)
    model = P.MaskedPixelCNN(channels=8, layers=4, kernel_size=3, first_kernel=3)
    field = P.receptive_field(model, size=15)
    i = j = 7
    assert field[i - 1, j + 3] == 0, "a pixel up and to the right is never seen: the blind spot"
    assert field[i - 3, j] != 0 and field[i, j - 3] != 0


def test_gated_model_is_causal_and_has_no_blind_spot():
    torch.manual_seed(0)
    config = P.GatedPixelCNNConfig(channels=8, layers=4, kernel_size=3, classes=10)
    model = P.GatedPixelCNN(config)
    size = 9
    x = torch.rand(1, 1, size, size).round()
    labels = torch.tensor([4])
    reach = config.layers  # each layer reaches one more row up and one more column sideways
    for i in range(size):
        for j in range(size):
            grad = _gradient_map(model, x, i, j, labels)
            flat = grad.flatten()
            assert flat[i * size + j:].abs().max() == 0, f"({i}, {j}) sees itself or the future"
            for r in range(max(0, i - reach + 1), i + 1):  # every earlier pixel within the receptive field
                for c in range(max(0, j - reach + 1), min(size, j + reach)):
                    if r * size + c < i * size + j:
                        assert grad[r, c] != 0, f"({i}, {j}) should see ({r}, {c}): blind spot"


def test_cached_sampling_equals_naive_sampling():
    torch.manual_seed(1)
    model = P.GatedPixelCNN(P.GatedPixelCNNConfig(channels=8, layers=3, classes=10))
    u = torch.rand(3, 1, 10, 10, generator=torch.Generator().manual_seed(2))
    labels = torch.tensor([1, 7, 7])
    naive, snapshots = P.sample(model, 3, 10, labels, temperature=0.8, uniforms=u, record=(1, 50))
    unconditional, _ = P.sample_cached(model, 3, 10, None, uniforms=u)
    assert torch.equal(unconditional, P.sample(model, 3, 10, None, uniforms=u)[0])
    cached, cached_snapshots = P.sample_cached(model, 3, 10, labels, temperature=0.8, uniforms=u, record=(1, 50))
    assert torch.equal(naive, cached) and torch.equal(snapshots[50], cached_snapshots[50])
    assert set(snapshots) == {1, 50} and snapshots[1][:, 0].flatten(1)[:, 1:].sum() == 0
    # completion: known pixels stay as they were
    known = torch.rand(3, 1, 10, 10).round()
    mask = torch.zeros_like(known, dtype=torch.bool)
    mask[:, :, :5] = True
    done, _ = P.sample_cached(model, 3, 10, labels, uniforms=u, known=known, known_mask=mask)
    assert torch.equal(done[mask], known[mask])
    assert torch.equal(done, P.sample(model, 3, 10, labels, uniforms=u, known=known, known_mask=mask)[0])


def test_nll_and_baseline():
    x = torch.tensor([[[[1.0, 0.0]]]])
    logits = torch.zeros_like(x)  # p = ½ everywhere: log 2 nats per pixel
    assert P.nll(logits, x).item() == pytest.approx(2 * 0.6931472, rel=1e-6)
    assert P.bits_per_dim(P.nll(logits, x), 2).item() == pytest.approx(1.0, rel=1e-6)
    train = torch.tensor([[[[1.0, 0.0]]], [[[1.0, 1.0]]]])
    baseline = P.independent_bernoulli_nll(train, x)
    # p = (2+1)/(2+2) = 0.75 for the first pixel, (1+1)/4 = 0.5 for the second
    assert baseline.item() == pytest.approx(-(torch.log(torch.tensor(0.75)) + torch.log(torch.tensor(0.5))).item())
