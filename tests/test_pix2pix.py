"""pix2pix: U-Net and PatchGAN shapes, the PatchGAN receptive field by gradients, one training step."""

import copy

import pytest
import torch

import coursekit as ck

from coursekit import pix2pix as P


@pytest.mark.parametrize("upsample", ["transposed", "resize"])
@pytest.mark.parametrize("size", [(64, 64), (128, 64), (128, 128)])
def test_unet_keeps_the_size_and_the_range(size, upsample):
    torch.manual_seed(0)
    g = P.UNetGenerator(P.UNetConfig(in_channels=1, out_channels=3, depth=6, width=8, upsample=upsample))
    out = g(torch.rand(2, 1, *size))
    assert out.shape == (2, 3, *size)
    assert out.min() >= 0 and out.max() <= 1


def test_resize_upsampling_has_no_checkerboard():
    # a constant feature map stays constant through nearest ×2 + 3×3 conv (away from the border); through a
    # stride-2 transposed 4×4 convolution, neighbouring outputs sum different numbers of kernel taps: a checkerboard
    torch.manual_seed(0)
    h = torch.ones(1, 8, 8, 8)
    for kind in ("transposed", "resize"):
        up = P._upsampling(8, 4, kind, bias=False)
        out = up(h)[0, :, 2:-2, 2:-2]
        assert out.shape[-1] == 12
        spread = (out - out.mean((1, 2), keepdim=True)).abs().max().item()
        assert (spread < 1e-5) == (kind == "resize"), (kind, spread)
    with pytest.raises(ValueError, match="'transposed' or 'resize'"):
        P.UNetGenerator(P.UNetConfig(upsample="bilinear"))


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


def test_weight_average_follows_its_equation():
    torch.manual_seed(0)
    g = P.UNetGenerator(P.UNetConfig(in_channels=1, depth=4, width=8))
    average = P.weight_average(g, decay=0.9)
    states = []
    for _ in range(3):  # three "steps": new weights and new BatchNorm statistics each time
        with torch.no_grad():
            for t in list(g.parameters()) + [b for b in g.buffers() if b.is_floating_point()]:
                t.add_(torch.randn_like(t))
        states.append({k: v.clone() for k, v in g.state_dict().items()})
        average.update_parameters(g)
    averaged = average.module.state_dict()
    for key, value in states[0].items():
        if not value.is_floating_point():
            continue
        expected = 0.9 * (0.9 * states[0][key] + 0.1 * states[1][key]) + 0.1 * states[2][key]  # θ̄₀ = θ₀
        torch.testing.assert_close(averaged[key], expected, msg=key)
    assert not torch.equal(averaged["out.weight"], g.state_dict()["out.weight"])
    with pytest.raises(ValueError, match="decay must be between 0 and 1"):
        P.weight_average(g, decay=1.0)


def test_update_average_is_the_averaged_models_update():
    torch.manual_seed(0)
    g = P.UNetGenerator(P.UNetConfig(in_channels=1, depth=4, width=8))
    oracle = P.weight_average(g, decay=0.95)  # torch's AveragedModel with an EMA
    oracle.update_parameters(g)  # its first update copies θ₀
    average = copy.deepcopy(g)
    for _ in range(3):
        with torch.no_grad():
            for t in list(g.parameters()) + [b for b in g.buffers() if b.is_floating_point()]:
                t.add_(torch.randn_like(t))
        g.train()(torch.rand(2, 1, 32, 32))  # BatchNorm counts one more batch
        before = [p.detach().clone() for p in g.parameters()]
        P.update_average(average, g, 0.95)
        oracle.update_parameters(g)
        assert all(torch.equal(a, p) for a, p in zip(before, g.parameters())), "the model must not move"
    mine, theirs = average.state_dict(), oracle.module.state_dict()
    for key, value in theirs.items():
        if value.is_floating_point():
            torch.testing.assert_close(mine[key], value, msg=key)
        else:
            assert torch.equal(mine[key], g.state_dict()[key]), key  # counts are copied
    assert all(p.requires_grad for p in average.parameters())
    with pytest.raises(ValueError, match="decay must be between 0 and 1"):
        P.update_average(average, g, 1.5)


def test_pix2pix_measures_a_generator_on_the_held_out_pairs_of_the_embedded_sets():
    pairs = P.held_out_pairs("facades", 4)
    images, labels = ck.data.facades.render_facades(4, P.SIZE, seed=1)  # the test split: odd seeds
    assert torch.equal(pairs.targets, images) and torch.equal(pairs.labels, labels)
    assert P.held_out_pairs("edges", 2).images.shape == (2, 1, P.SIZE, P.SIZE)

    class Truth(torch.nn.Module):  # a generator that returns the true photos: no error, the truth's sharpness
        def forward(self, x):
            return pairs.targets[:len(x)]

    measured = P.pix2pix_metrics(Truth(), "facades", pairs)
    assert measured["l1"] == 0 and measured["high_frequency_ratio"] == pytest.approx(1.0)
    assert measured["fcn_score"] == pytest.approx(P.fcn_score(P.segmenter(), pairs.targets, pairs.labels))


def test_unet_with_logits_segments():
    seg = P.UNetGenerator(P.UNetConfig(in_channels=3, out_channels=12, depth=4, width=8, logits=True))
    out = seg(torch.rand(2, 3, 32, 32))
    assert out.shape == (2, 12, 32, 32) and (out.min() < 0 or out.max() > 1)  # raw logits, no Tanh
    assert P.segment(seg, torch.rand(3, 3, 32, 32), batch_size=2).shape == (3, 32, 32)


class _Oracle(torch.nn.Module):
    """A 'segmenter' that reads the class from the red channel: k/10 → k."""

    config = P.UNetConfig(logits=True)

    def forward(self, x):
        k = (x[:, 0] * 10).round().long()
        return torch.nn.functional.one_hot(k, 12).permute(0, 3, 1, 2).float()


def test_fcn_score_is_the_per_pixel_accuracy():
    labels = torch.randint(0, 10, (2, 8, 8))
    photos = (labels[:, None].float() / 10).expand(2, 3, 8, 8).clone()
    assert P.fcn_score(_Oracle(), photos, labels) == 1.0
    photos[0, 0, :4] = 0.95  # a quarter of the pixels now read as class 10 (in image 0: half its rows)
    expected = (labels[0, 4:] == labels[0, 4:]).sum() + (labels[0, :4] == 10).sum() + labels[1].numel()
    assert P.fcn_score(_Oracle(), photos, labels) == pytest.approx(expected.item() / labels.numel())


def test_high_frequency_energy():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(3, 3, 32, 32, generator=g)
    y = images.mean(1)
    # with no cutoff it is the total power around the mean (Parseval): Σ (y − ȳ)², averaged over images
    total = ((y - y.mean((-2, -1), keepdim=True)) ** 2).sum((-2, -1)).mean()
    assert P.high_frequency_energy(images, cutoff=0.0) == pytest.approx(total.item(), rel=1e-4)
    blurred = torch.nn.functional.avg_pool2d(images, 3, 1, 1, count_include_pad=False)
    assert P.high_frequency_energy(blurred) < 0.3 * P.high_frequency_energy(images)
    flat = torch.full((1, 3, 16, 16), 0.5)
    assert P.high_frequency_energy(flat) == pytest.approx(0.0, abs=1e-10)


def test_generator_loss_is_cgan_plus_lambda_l1():
    logits = torch.tensor([[0.0, 2.0]])
    fake, target = torch.full((1, 3, 2, 2), 0.5), torch.full((1, 3, 2, 2), 0.25)
    gan = -(torch.log(torch.sigmoid(logits))).mean()
    assert P.generator_loss(logits, fake, target, 100).item() == pytest.approx(gan.item() + 25, rel=1e-6)
    assert P.generator_loss(None, fake, target, 100).item() == pytest.approx(25, rel=1e-6)
