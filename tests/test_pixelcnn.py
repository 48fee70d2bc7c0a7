"""PixelCNN: causality of the masks, no blind spot in the gated model, exact cached sampling."""

import math

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


def test_mask_a_in_every_layer_loses_the_left_neighbour():  # notebook 04, question 1 (b): why later layers use B
    torch.manual_seed(0)
    for later, seen in (("A", False), ("B", True)):
        stack = torch.nn.Sequential(P.MaskedConv2d(1, 4, 3, "A"), P.MaskedConv2d(4, 1, 3, later))
        x = torch.rand(1, 1, 7, 7, requires_grad=True)
        (grad,) = torch.autograd.grad(stack(x)[0, 0, 4, 3], x)
        assert (grad[0, 0, 4, 2] != 0) == seen, f"mask {later} in layer 2: left neighbour seen = {not seen}"


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
    assert P.bits_per_dim(logits, x).item() == pytest.approx(1.0, rel=1e-6)  # a fair coin: 1 bit per pixel
    train = torch.tensor([[[[1.0, 0.0]]], [[[1.0, 1.0]]]])
    baseline = P.independent_bernoulli_nll(train, x)
    # p = (2+1)/(2+2) = 0.75 for the first pixel, (1+1)/4 = 0.5 for the second
    assert baseline.item() == pytest.approx(-(torch.log(torch.tensor(0.75)) + torch.log(torch.tensor(0.5))).item())


def test_bits_per_dim_is_minus_log2_p_per_pixel():
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(4, 1, 3, 5, generator=g, dtype=torch.float64)
    x = torch.rand(4, 1, 3, 5, generator=g, dtype=torch.float64).round()
    p = torch.sigmoid(logits)
    oracle = -torch.log2(torch.where(x == 1, p, 1 - p)).flatten(1).sum(1) / 15  # −Σ_i log₂ p(x_i) / D
    assert torch.allclose(P.bits_per_dim(logits, x), oracle)
    # confident logits, where σ rounds to 0 or 1 in float32: still finite and exact
    big = torch.tensor([[[[120.0, -120.0]]], [[[120.0, -120.0]]]])
    wrong_then_right = torch.tensor([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])
    assert torch.allclose(P.bits_per_dim(big, wrong_then_right), torch.tensor([0.0, 240 / (2 * math.log(2))]))


def test_masked_convolutions_take_a_mask_function():
    def everything(k, mask_type):  # a wrong mask: sees the future
        return torch.ones(k, k, dtype=torch.float64)

    conv = P.MaskedConv2d(1, 1, 3, "A", mask=everything)
    assert conv.mask.dtype == torch.float32 and conv.mask.sum() == 9
    x = torch.zeros(1, 1, 5, 5, requires_grad=True)
    (grad,) = torch.autograd.grad(conv(x)[0, 0, 2, 2], x)
    assert grad[0, 0, 3, 3] != 0, "the convolution uses the mask it is given"
    calls = []
    model = P.MaskedPixelCNN(channels=4, layers=2, mask=lambda k, t: calls.append((k, t)) or P.causal_mask(k, t))
    assert calls == [(7, "A"), (3, "B"), (3, "B")]
    assert torch.equal(model.input.mask[0, 0], P.causal_mask(7, "A"))
    with pytest.raises(ValueError, match="shape"):
        P.MaskedConv2d(1, 1, 3, "A", mask=lambda k, t: torch.ones(k))


def test_train_step_trains_a_masked_pixelcnn():
    torch.manual_seed(0)
    model = P.MaskedPixelCNN(channels=4, layers=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.rand(8, 1, 6, 6).round()
    first = P.train_step(model, optimizer, x, labels=torch.arange(8))  # labels: ignored by an unconditional model
    for _ in range(20):
        last = P.train_step(model, optimizer, x)
    assert last["nll"] < first["nll"]
    assert last["bits_per_dim"] == pytest.approx(last["nll"] / (36 * math.log(2)))


def test_sample_pixels_completes_a_canvas_as_sample_does():
    torch.manual_seed(1)
    model = P.GatedPixelCNN(P.GatedPixelCNNConfig(channels=8, layers=3, classes=10))
    u = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    x = torch.rand(3, 1, 8, 8).round()
    known = torch.zeros_like(x, dtype=torch.bool)
    known[:, :, :4] = True
    before = x.clone()
    done = P.sample_pixels(model, x, known, 0.7, u)
    assert torch.equal(x, before), "the canvas given is left as it was"
    assert torch.equal(done[known], x[known])
    assert torch.equal(done, P.sample(model, 3, 8, None, 0.7, uniforms=u, known=x, known_mask=known)[0])
