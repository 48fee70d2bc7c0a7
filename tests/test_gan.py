"""The 2-D GAN: shapes, one training step, and the mode count."""

import pytest
import torch

from coursekit import gan
from coursekit.data import toy


def test_shapes():
    model = gan.GAN2D(gan.GAN2DConfig(noise=3, hidden=16, layers=2))
    points = model.sample(10, torch.Generator().manual_seed(0))
    assert points.shape == (10, 2) and model.score(points).shape == (10,)
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        model.score(torch.zeros(4, 3))


def test_train_step_returns_numbers_and_changes_both_networks():
    torch.manual_seed(0)
    model = gan.GAN2D(gan.GAN2DConfig(hidden=16, layers=2))
    g_opt, d_opt = gan.optimizers(model, beta1=0.5)
    assert g_opt.param_groups[0]["betas"] == (0.5, 0.999)
    g_before = [p.detach().clone() for p in model.generator.parameters()]
    d_before = [p.detach().clone() for p in model.discriminator.parameters()]
    real, _ = toy.ring_of_gaussians(64, seed=0)
    losses = gan.train_step(model, g_opt, d_opt, real, torch.Generator().manual_seed(1))
    assert set(losses) == {"d", "g", "d_real", "d_fake"} and all(isinstance(v, float) for v in losses.values())
    assert 0 < losses["d_real"] < 1 and 0 < losses["d_fake"] < 1
    assert any(not torch.equal(a, b) for a, b in zip(g_before, model.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, model.discriminator.parameters()))


def test_discriminator_learns_to_tell_the_ring_from_noise():
    torch.manual_seed(0)
    model = gan.GAN2D(gan.GAN2DConfig(hidden=32, layers=2))
    _, d_opt = gan.optimizers(model)
    frozen_g = torch.optim.SGD(model.generator.parameters(), lr=0.0)  # only D learns
    for step in range(200):
        real, _ = toy.ring_of_gaussians(128, seed=step)
        losses = gan.train_step(model, frozen_g, d_opt, real)
    assert losses["d_real"] > 0.8 and losses["d_fake"] < 0.2


def test_modes_covered():
    centres = toy.ring_centres(8)
    ring, _ = toy.ring_of_gaussians(4000, std=0.05, seed=0)
    count, shares = gan.modes_covered(ring, centres, std=0.05)
    assert count == 8 and torch.allclose(shares, torch.full((8,), 1 / 8), atol=0.03)
    collapsed = centres[3] + 0.05 * torch.randn(1000, 2)
    assert gan.modes_covered(collapsed, centres, std=0.05)[0] == 1
    two = torch.cat([collapsed[:970], centres[5] + 0.01 * torch.randn(30, 2)])  # 3% on a second mode: not enough
    assert gan.modes_covered(two, centres, std=0.05)[0] == 1


def test_dcgan_shapes_and_a_step():
    torch.manual_seed(0)
    model = gan.DCGAN(gan.DCGANConfig(noise=8, width=8))
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert model.score(images).shape == (5,)
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        model.score(torch.zeros(2, 1, 32, 32))
    g_opt, d_opt = gan.optimizers(model, lr=2e-4)
    before = [p.detach().clone() for p in model.parameters()]
    losses = gan.train_step(model, g_opt, d_opt, torch.rand(8, 1, 28, 28))
    assert all(isinstance(v, float) for v in losses.values())
    changed = [not torch.equal(a, b) for a, b in zip(before, model.parameters())]
    n_g = len(list(model.generator.parameters()))
    assert any(changed[:n_g]) and any(changed[n_g:])


def test_discriminator_step_descends_d_loss_and_leaves_g_alone():
    torch.manual_seed(0)
    model = gan.GAN2D(gan.GAN2DConfig(hidden=16, layers=2))
    real, _ = toy.ring_of_gaussians(32, seed=0)
    fake = model.sample(32, torch.Generator().manual_seed(1))  # attached to G's graph, as in train_step
    d_params = list(model.discriminator.parameters())
    for p in d_params:
        p.grad = torch.ones_like(p)  # left over by G's previous step: must not count
    # the oracle: −mean log D(x) − mean log(1 − D(G(z))), written with probabilities
    p_real, p_fake = torch.sigmoid(model.score(real)), torch.sigmoid(model.score(fake.detach()))
    loss = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
    expected_grads = torch.autograd.grad(loss, d_params)
    before = [p.detach().clone() for p in d_params]
    g_before = [p.detach().clone() for p in model.generator.parameters()]
    out = gan.discriminator_step(model, torch.optim.SGD(d_params, lr=0.5), real, fake)
    for b, p, grad in zip(before, d_params, expected_grads):
        torch.testing.assert_close(p.detach(), b - 0.5 * grad)
    assert out["d"] == pytest.approx(loss.item(), rel=1e-5)
    assert out["d_real"] == pytest.approx(p_real.mean().item()) and out["d_fake"] == pytest.approx(p_fake.mean().item())
    assert all(torch.equal(a, b) for a, b in zip(g_before, model.generator.parameters()))
    assert all(p.grad is None for p in model.generator.parameters())
    fake.sum().backward()  # G's graph is intact for G's step


def test_train_step_takes_d_step_from_its_caller():
    torch.manual_seed(0)
    model = gan.GAN2D(gan.GAN2DConfig(hidden=16, layers=2))
    g_opt, d_opt = gan.optimizers(model)
    calls = []

    def my_step(*args):
        calls.append(args)
        return gan.discriminator_step(*args)

    real, _ = toy.ring_of_gaussians(16, seed=0)
    losses = gan.train_step(model, g_opt, d_opt, real, d_step=my_step)
    assert len(calls) == 1 and calls[0][0] is model and calls[0][1] is d_opt and calls[0][2] is real
    assert set(losses) == {"d", "g", "d_real", "d_fake"}


def test_signed_conversions_round_trip():
    x = torch.rand(2, 3, 4, 4)
    assert torch.allclose(gan.from_signed(gan.to_signed(x)), x)
    assert gan.to_signed(torch.zeros(1)).item() == -1 and gan.to_signed(torch.ones(1)).item() == 1


def test_the_two_adversarial_losses_are_their_formulas():
    real, fake = torch.randn(5, 1, 3, 3), torch.randn(5, 1, 3, 3)  # logits, one per patch
    d = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    assert torch.allclose(gan.discriminator_loss(real, fake), d, atol=1e-6)
    assert torch.allclose(gan.non_saturating_loss(fake), -torch.log(torch.sigmoid(fake)).mean(), atol=1e-6)


def test_the_plane_grid_lies_with_the_toy_data():
    points, r = toy.plane_grid(1.0, 5)
    assert r == 5 and points.shape == (25, 2)
    assert points[0].tolist() == [-1.0, -1.0] and points[4].tolist() == [1.0, -1.0]
    assert points[-1].tolist() == [1.0, 1.0]
