"""pix2pix: U-Net and PatchGAN shapes, the PatchGAN receptive field by gradients, one training step."""

import pytest
import torch

from coursekit import pix2pix as P


@pytest.mark.parametrize("size", [(64, 64), (128, 64), (128, 128)])
def test_unet_keeps_the_size_and_the_range(size):
    torch.manual_seed(0)
    g = P.UNetGenerator(P.UNetConfig(in_channels=1, out_channels=3, depth=6, width=8))
    out = g(torch.rand(2, 1, *size))
    assert out.shape == (2, 3, *size)
    assert out.min() >= 0 and out.max() <= 1


def test_unet_refuses_sizes_it_cannot_halve():
    g = P.UNetGenerator(P.UNetConfig(depth=5, width=8))
    with pytest.raises(ValueError, match="multiples of 32"):
        g(torch.rand(1, 3, 48, 48))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        g(torch.rand(1, 1, 64, 64))


def test_unet_skips_carry_the_input_to_the_output():
    # a change in one input pixel reaches the output at that pixel: the skip connections keep locality
    torch.manual_seed(0)
    g = P.UNetGenerator(P.UNetConfig(depth=4, width=8, dropout=0.0)).eval()
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    g(x)[0, :, 10, 20].sum().backward()
    grad = x.grad.abs().sum((0, 1))
    # without skips, everything would pass through the 2×2 bottleneck and spread over the image: a 5×5
    # neighbourhood would hold about 25/1024 of the gradient; with them it holds most of it
    assert grad[8:13, 18:23].sum() > 0.25 * grad.sum()


@pytest.mark.parametrize("size", [64, 96, 128])
def test_patch_discriminator_shapes(size):
    d = P.PatchDiscriminator(P.PatchDiscriminatorConfig(in_channels=1, out_channels=3, layers=3, width=8))
    logits = d(torch.rand(2, 1, size, size), torch.rand(2, 3, size, size))
    assert logits.shape == (2, 1, size // 8 - 2, size // 8 - 2)
    with pytest.raises(ValueError, match="same size"):
        d(torch.rand(2, 1, size, size), torch.rand(2, 3, size // 2, size // 2))


@pytest.mark.parametrize("layers, stated", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field_measured_by_gradients(layers, stated):
    assert P.receptive_field(layers) == stated
    torch.manual_seed(0)
    d = P.PatchDiscriminator(P.PatchDiscriminatorConfig(layers=layers, width=8))
    assert P.measured_receptive_field(d, size=160) == stated
    assert d.patch == stated and f"{stated}×{stated}" in repr(d)


@pytest.mark.parametrize("with_gan", [True, False])
def test_train_step_returns_numbers_and_changes_the_networks(with_gan):
    torch.manual_seed(0)
    g = P.UNetGenerator(P.UNetConfig(in_channels=1, depth=4, width=8))
    d = P.PatchDiscriminator(P.PatchDiscriminatorConfig(in_channels=1, layers=2, width=8)) if with_gan else None
    g_opt, d_opt = P.optimizers(g, d)
    source, target = torch.rand(4, 1, 32, 32), torch.rand(4, 3, 32, 32)
    g_before = [p.detach().clone() for p in g.parameters()]
    d_before = [p.detach().clone() for p in d.parameters()] if d else []
    losses = P.train_step(g, d, g_opt, d_opt, source, target)
    assert all(isinstance(v, float) for v in losses.values())
    assert losses["g"] == pytest.approx(losses["g_gan"] + P.LAMBDA_L1 * losses["l1"], rel=1e-5)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, g.parameters())), "G must change"
    if with_gan:
        assert "d" in losses and losses["g_gan"] > 0
        assert any(not torch.equal(a, b) for a, b in zip(d_before, d.parameters())), "D must change"
    else:
        assert "d" not in losses and losses["g_gan"] == 0.0


def test_signed_conversions_round_trip():
    x = torch.rand(2, 3, 4, 4)
    assert torch.allclose(P.from_signed(P.to_signed(x)), x)
    assert P.to_signed(torch.zeros(1)).item() == -1 and P.to_signed(torch.ones(1)).item() == 1
