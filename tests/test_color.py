"""Colorization: Lab against scikit-image, the ab bins, soft encoding, rebalancing, the annealed mean, the network,
the measures of notebook 05 and the conversions of bad input."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.color import lab2rgb, rgb2lab

from coursekit import color
from coursekit.data import images as image_io
from coursekit.data import scenes

CORNERS = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)))  # black, white and the six primaries


@pytest.fixture(scope="module")
def colours():
    """(1, 3, 1, 256): random sRGB colours, the cube's corners and near-black values (the linear segments)."""
    g = torch.Generator().manual_seed(0)
    rgb = torch.cat([CORNERS, torch.rand(240, 3, generator=g), torch.full((8, 3), 0.01) * torch.rand(8, 1)])
    return rgb.T.reshape(1, 3, 1, -1)


def _skimage(fn, x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(fn(x.permute(0, 2, 3, 1).double().numpy())).permute(0, 3, 1, 2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rgb_to_lab_matches_skimage(colours, dtype):
    lab = color.rgb_to_lab(colours.to(dtype))
    error = (lab.double() - _skimage(rgb2lab, colours)).abs().max().item()
    assert error < 1e-3, f"rgb_to_lab differs from skimage.color.rgb2lab by {error} (L, ab units)"


def test_lab_to_rgb_matches_skimage_and_round_trips(colours):
    lab = _skimage(rgb2lab, colours).float()
    rgb = color.lab_to_rgb(lab)
    assert (rgb.double() - _skimage(lab2rgb, lab.double())).abs().max() < 1e-3
    assert (rgb - colours).abs().max() < 1e-3, "lab_to_rgb(rgb_to_lab(x)) must give x back"
    again = color.rgb_to_lab(color.lab_to_rgb(color.rgb_to_lab(colours)))
    assert (again - color.rgb_to_lab(colours)).abs().max() < 1e-3


def test_lab_of_known_colours():
    lab = color.rgb_to_lab(CORNERS.T.reshape(1, 3, 1, 8))[0, :, 0].T
    assert torch.allclose(lab[0], torch.zeros(3), atol=1e-4), "black is L = 0, a = b = 0"
    # white: L = 100, a = b = 0 up to the rounding of the standard matrix (skimage gives the same −0.002, 0.005)
    assert torch.allclose(lab[-1], torch.tensor([100.0, 0, 0]), atol=1e-2)
    red = lab[4]  # (1, 0, 0)
    assert red[0] == pytest.approx(53.24, abs=0.05) and red[1] > 70 and red[2] > 60


def test_conversions_are_differentiable_everywhere(colours):
    x = torch.cat([colours, torch.zeros(1, 3, 1, 4)], dim=-1).requires_grad_(True)  # with exact black
    color.lab_to_rgb(color.rgb_to_lab(x)).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_split_and_join(colours):
    L, ab = color.split_lab(colours)
    assert L.shape == (1, 1, 1, 256) and ab.shape == (1, 2, 1, 256)
    assert (color.join_lab(L, ab) - colours).abs().max() < 1e-3
    g = color.gray(colours)
    assert (g[:, 0] - g[:, 1]).abs().max() < 1e-3 and (g[:, 1] - g[:, 2]).abs().max() < 1e-3, "gray has R = G = B"


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        color.rgb_to_lab(torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="torch tensor"):
        color.rgb_to_lab(np.zeros((1, 3, 4, 4)))


# -- the quantised ab space -------------------------------------------------------------------------------------


def test_ab_bins_are_the_reachable_grid_cells():
    bins = color.ab_bins()
    assert len(bins) == 261
    assert (bins % 10 == 0).all(), "centres lie on the grid of 10"
    # every bin holds some sRGB colour, and every sRGB colour falls in a bin
    ab = _skimage(rgb2lab, torch.rand(1, 3, 200, 200, generator=torch.Generator().manual_seed(1)))[0, 1:]
    cells = torch.round(ab.reshape(2, -1).T / 10) * 10
    assert set(map(tuple, cells.unique(dim=0).tolist())) <= set(map(tuple, bins.tolist()))
    assert color.ab_bins(levels=64).shape[0] <= len(bins)
    with pytest.raises(ValueError, match="grid"):
        color.ab_bins(grid=0)


def test_soft_encoding_is_a_gaussian_over_the_nearest_bins():
    bins = color.ab_bins()
    ab = torch.tensor([[3.3, -7.6], [41.0, 12.0], [0.0, 0.0]]).T.reshape(1, 2, 1, 3)
    z = color.soft_encode(ab, bins)
    assert z.shape == (1, len(bins), 1, 3)
    assert torch.allclose(z.sum(1), torch.ones(1, 1, 3)), "each pixel's soft target sums to 1"
    assert ((z > 0).sum(1) == color.NEIGHBOURS).all()
    # the explicit formula for the first pixel: exp(−d²/2σ²) over its 5 nearest centres, normalised
    d2 = ((bins - torch.tensor([3.3, -7.6])) ** 2).sum(1)  # a colour without ties for 5th place
    nearest = d2.argsort()[:5]
    expected = torch.exp(-d2[nearest] / (2 * color.SIGMA**2))
    assert torch.allclose(z[0, nearest, 0, 0], expected / expected.sum(), atol=1e-6)
    assert z[0, :, 0, 2].argmax() == color.hard_encode(ab, bins)[0, 0, 2]


def test_prior_and_rebalancing_weights():
    bins = color.ab_bins()
    g = torch.Generator().manual_seed(0)
    ab = torch.cat([torch.zeros(1, 2, 30, 30), torch.full((1, 2, 2, 30), 40.0)], dim=2) + torch.randn(1, 2, 32, 30,
                                                                                                      generator=g)
    prior = color.empirical_prior(ab, bins)
    assert prior.shape == (len(bins),) and prior.sum().item() == pytest.approx(1.0, abs=1e-5)
    w = color.rebalancing_weights(prior)
    assert (prior * w).sum().item() == pytest.approx(1.0, abs=1e-5), "E_p̃[w] = 1"
    common, rare = color.hard_encode(ab, bins)[0, 0, 0], color.hard_encode(ab, bins)[0, -1, 0]
    assert w[rare] > w[common], "a rare colour weighs more than a common one"
    assert torch.allclose(color.rebalancing_weights(prior, lam=1.0), torch.ones(len(bins))), "λ = 1: no rebalancing"
    with pytest.raises(ValueError, match="lam"):
        color.rebalancing_weights(prior, lam=0.0)


def test_annealed_mean_from_mean_to_mode():
    bins = color.ab_bins()
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, len(bins), 3, 4, generator=g)
    logits.scatter_add_(1, torch.randint(0, len(bins), (2, 1, 3, 4), generator=g), torch.full((2, 1, 3, 4), 5.0))
    p = torch.softmax(logits, dim=1)  # a clear mode at every pixel
    expectation = torch.einsum("nqhw,qc->nchw", p, bins)  # E_p[c_q]
    assert torch.allclose(color.annealed_mean(p, bins, 1.0), expectation, atol=1e-4), "T = 1 is the mean"
    mode = bins[p.argmax(1)].permute(0, 3, 1, 2)
    assert torch.allclose(color.annealed_mean(p, bins, 0.01), mode, atol=1e-2), "T → 0 is the mode"
    # a sharper T moves the colour towards the mode
    far = (color.annealed_mean(p, bins, 0.38) - mode).norm(dim=1)
    assert (far <= (expectation - mode).norm(dim=1) + 1e-4).all()
    with pytest.raises(ValueError, match="temperature"):
        color.annealed_mean(p, bins, 0.0)


def test_rebalanced_cross_entropy():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 7, 3, 3, generator=g)
    z = torch.softmax(torch.randn(2, 7, 3, 3, generator=g), dim=1)
    explicit = -(z * torch.log_softmax(logits, 1)).sum(1).mean()
    assert torch.allclose(color.rebalanced_cross_entropy(logits, z), explicit)
    assert torch.allclose(color.rebalanced_cross_entropy(logits, z, torch.full((7,), 2.0)), 2 * explicit)
    hard = torch.randint(0, 7, (2, 3, 3), generator=g)
    assert torch.allclose(color.rebalanced_cross_entropy(logits, F.one_hot(hard, 7).permute(0, 3, 1, 2).float()),
                          F.cross_entropy(logits, hard)), "with one-hot targets it is the usual cross-entropy"


# -- the network ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(32, 32), (64, 48)])
def test_colornet_shapes(size):
    bins = color.ab_bins()
    L = torch.rand(2, 1, *size) * 100
    assert color.ColorNet()(L).shape == (2, 2, size[0] // 2, size[1] // 2)
    assert color.ColorNet(color.ColorNetConfig(bins=len(bins)))(L).shape == (2, len(bins), size[0] // 2, size[1] // 2)
    with pytest.raises(ValueError, match="multiples of 4"):
        color.ColorNet()(torch.rand(1, 1, 30, 30))
    assert "L2" in repr(color.ColorNet()) and "261" in repr(color.ColorNet(color.ColorNetConfig(bins=261)))


@pytest.mark.parametrize("bins", [0, 261])
def test_train_step_returns_a_number_and_learns(bins):
    torch.manual_seed(0)
    model = color.ColorNet(color.ColorNetConfig(bins=bins))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, _, _ = scenes.render_scenes(8, 32, seed=3)
    before = [p.detach().clone() for p in model.parameters()]
    grid = color.ab_bins() if bins else None
    losses = [color.train_step(model, optimizer, images, grid)["loss"] for _ in range(15)]
    assert all(isinstance(v, float) for v in losses) and losses[-1] < losses[0]
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    ab = color.colorize(model, images[:2], bins=grid)
    assert ab.shape == (2, 2, 32, 32)
    with pytest.raises(ValueError, match="bins"):
        if bins:
            color.train_step(model, optimizer, images, None)
        else:
            raise ValueError("bins: the regression model needs none")


def test_train_step_takes_its_soft_targets_from_the_encoder():
    """Notebook 05 trains with the student's soft encoding: the loss of a step is the cross-entropy against the
    encoder's targets, whichever encoder it is given."""
    images, _, _ = scenes.render_scenes(4, 32, seed=3)
    bins = color.ab_bins()
    calls = []

    def one_hot(ab, grid, sigma, k):
        calls.append((tuple(ab.shape), sigma, k))
        return F.one_hot(color.hard_encode(ab, grid), len(grid)).permute(0, 3, 1, 2).float()

    losses = {}
    for name, encoder in (("default", None), ("one-hot", one_hot)):
        torch.manual_seed(0)
        model = color.ColorNet(color.ColorNetConfig(bins=len(bins))).train()
        L, ab = color.split_lab(images)
        with torch.no_grad():
            z = (encoder or color.soft_encode)(color.target_ab(ab), bins, color.SIGMA, color.NEIGHBOURS)
            expected = color.rebalanced_cross_entropy(model(L), z).item()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses[name] = color.train_step(model, optimizer, images, bins, encoder=encoder)["loss"]
        assert losses[name] == pytest.approx(expected, rel=1e-6), name
    assert calls[-1] == ((4, 2, 16, 16), color.SIGMA, color.NEIGHBOURS), "called on the half-resolution ab"
    assert abs(losses["one-hot"] - losses["default"]) > 1e-3, "other targets, another loss"


def test_colorize_uses_lightness_only():
    model = color.ColorNet(color.ColorNetConfig(bins=261)).eval()
    images, _, _ = scenes.render_scenes(2, 32, seed=5)
    assert torch.allclose(color.colorize(model, images), color.colorize(model, color.gray(images)), atol=1e-3)


def test_colorize_image_decodes_with_the_given_decoder():
    """Notebook 05 colours its photographs with the student's annealed mean: colorize_image passes the decoder on."""
    model = color.ColorNet(color.ColorNetConfig(bins=261)).eval()
    image = torch.rand(3, 30, 42)  # not multiples of 4: padded, then cropped back
    calls = []

    def mode(probabilities, bins, temperature):
        calls.append(temperature)
        return bins[probabilities.argmax(1)].permute(0, 3, 1, 2)  # the most likely bin, whatever T

    default = color.colorize_image(model, image, temperature=0.2)
    mine = color.colorize_image(model, image, temperature=0.2, decoder=mode)
    assert calls == [0.2] and mine.shape == default.shape == (3, 30, 42)
    L = color.split_lab(image[None])[0]
    expected = color.colorize(model, F.pad(image[None], (0, 2, 0, 2), mode="replicate"), 0.2, decoder=mode)
    assert torch.allclose(mine, color.join_lab(L, expected[..., :30, :42])[0], atol=1e-5)
    assert not torch.allclose(mine, default, atol=1e-3), "another decoder, other colours"


# -- the measures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scene_batch():
    images, classes, _ = scenes.render_scenes(40, 64, seed=1)
    return color.split_lab(images)[1], classes


def test_multimodal_scores_tell_truth_from_mean(scene_batch):
    ab, classes = scene_batch
    truth = color.multimodal_scores(ab, ab, classes)
    assert truth["chroma_ratio"] == pytest.approx(1.0) and truth["right_mode"] == 1.0
    # the L2-optimal answer: every multimodal object painted the mean of its class's colours
    mean = ab.clone()
    for name in scenes.multimodal_classes():
        dist = scenes.colour_distribution(name)
        index = [c.name for c in scenes.SCENE_CLASSES].index(name)
        mean.permute(0, 2, 3, 1)[classes == index] = (dist["probabilities"][:, None] * dist["ab"]).sum(0)
    scores = color.multimodal_scores(mean, ab, classes)
    assert scores["chroma_ratio"] < 0.25 and scores["right_mode"] == 0.0
    with pytest.raises(ValueError, match="no balloon"):
        color.multimodal_scores(ab, ab, torch.zeros_like(classes))


def test_accuracy_curve_and_area():
    ab = torch.zeros(1, 2, 4, 4)
    off = ab.clone()
    off[:, 0, :2] = 30.0  # half the pixels 30 away
    curve = color.accuracy_curve(off, ab)
    assert curve.shape == (151,) and (curve.diff() >= 0).all()
    assert curve[29] == 0.5 and curve[30] == 1.0
    assert color.area_under_curve(color.accuracy_curve(ab, ab)) == 1.0
    weights = torch.ones(1, 4, 4)
    weights[:, :2] = 3.0
    assert color.accuracy_curve(off, ab, weights)[0] == pytest.approx(0.25)


# -- bad input --------------------------------------------------------------------------------------------------


def test_as_rgb_converts_gray_and_rgba_with_a_note(capsys):
    gray = np.full((10, 12), 128, np.uint8)
    out = image_io.as_rgb(gray)
    assert out.shape == (3, 10, 12) and torch.allclose(out[0], out[2]) and "grayscale" in capsys.readouterr().out
    rgba = torch.rand(4, 8, 8)
    assert torch.equal(image_io.as_rgb(rgba), rgba[:3]) and "alpha" in capsys.readouterr().out
    hwc = np.random.default_rng(0).random((6, 7, 3)).astype(np.float32)
    assert image_io.as_rgb(hwc).shape == (3, 6, 7) and capsys.readouterr().out == ""


def test_as_rgb_resizes_large_images_and_refuses_nonsense(capsys):
    big = torch.rand(1, 3, 300, 600)
    out = image_io.as_rgb(big, max_side=128)
    assert out.shape == (3, 64, 128) and "resized to 128×64" in capsys.readouterr().out
    with pytest.raises(ValueError, match="channels"):
        image_io.as_rgb(torch.rand(2, 8, 8))
    with pytest.raises(ValueError, match="255"):
        image_io.as_rgb(torch.rand(3, 8, 8) * 255)
    with pytest.raises(TypeError, match="path"):
        image_io.as_rgb([1, 2, 3])


def test_hard_encode_in_chunks_gives_the_nearest_bin_of_every_pixel():
    """Over 2¹⁶ pixels, hard_encode works in chunks (the distances of 4 million pixels to every bin would take 5 GB):
    the answer is the one pass's."""
    ab = (torch.rand(2, 2, 200, 200, generator=torch.Generator().manual_seed(0)) - 0.5) * 200  # 80,000 pixels
    bins = color.ab_bins()
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    assert torch.equal(color.hard_encode(ab, bins).flatten(), torch.cdist(flat, bins).argmin(1))
    assert color.hard_encode(ab[:0], bins).shape == (0, 200, 200)


def test_colour_generator_is_the_network_seen_by_pix2pix():
    from coursekit import pix2pix

    torch.manual_seed(0)
    net = color.ColorNet(color.ColorNetConfig(width=4))
    generator = color.ColourGenerator(net)
    rgb = torch.rand(2, 3, 16, 16)
    source, target = color.gan_pair(rgb)
    L, ab = color.split_lab(rgb)
    torch.testing.assert_close(source, L / 100)
    assert target.shape == (2, 2, 16, 16) and 0 <= target.min() and target.max() <= 1
    # the truth passes through the network's half resolution, as the generator's colours do
    torch.testing.assert_close((target - 0.5) * 2 * color.AB_SCALE,
                               color.upsample(color.target_ab(ab), (16, 16)), atol=1e-4, rtol=0)
    net.eval()
    out = generator(source)
    torch.testing.assert_close((out - 0.5) * 2 * color.AB_SCALE, color.colorize(net, rgb), atol=1e-3, rtol=0)
    discriminator = pix2pix.PatchDiscriminator(pix2pix.PatchDiscriminatorConfig(1, 2, layers=1, width=4))
    g_opt, d_opt = pix2pix.optimizers(generator, discriminator)
    before = [p.detach().clone() for p in net.parameters()]
    losses = pix2pix.train_step(generator, discriminator, g_opt, d_opt, source, target)
    assert set(losses) == {"d", "g_gan", "l1", "g"}
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters())), "G's step trains the ColorNet"
    with pytest.raises(ValueError, match="regression ColorNet"):
        color.ColourGenerator(color.ColorNet(color.ColorNetConfig(bins=4, width=4)))


def test_colour_model_knows_three_kinds():
    assert color.colour_model("gan", pretrained=False).config.bins == 0
    with pytest.raises(ValueError, match="'l2', 'classes' or 'gan'"):
        color.colour_model("vivid")


def test_mode_shares_tell_a_coin_toss_from_one_colour(scene_batch):
    ab, classes = scene_batch
    truth = color.mode_shares(ab, classes)
    assert truth and all(0.2 < share < 0.8 for share in truth.values()), truth
    first = ab.clone()  # every ambiguous object painted its class's first colour
    for name in truth:
        inside = classes == [c.name for c in scenes.SCENE_CLASSES].index(name)
        first.permute(0, 2, 3, 1)[inside] = scenes.colour_distribution(name)["ab"][0]
    assert color.mode_shares(first, classes) == {name: 1.0 for name in truth}
    assert color.mode_shares(torch.zeros_like(ab), classes) == {}  # gray is neither colour
