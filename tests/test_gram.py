"""Gram matrices, the feature extractors' layer names, the losses, texture synthesis and style transfer."""

import pytest
import torch

from coursekit import benchmarks, features, gram
from coursekit.data import photos


def test_gram_matrix_equals_its_double_sum():
    f = torch.randn(2, 4, 3, 5, generator=torch.Generator().manual_seed(0))
    g = gram.gram_matrix(f)
    assert g.shape == (2, 4, 4)
    n, c, h, w = f.shape
    explicit = torch.zeros(n, c, c)
    for b in range(n):
        for i in range(c):
            for j in range(c):
                explicit[b, i, j] = sum(f[b, i, y, x] * f[b, j, y, x] for y in range(h) for x in range(w)) / (h * w)
    assert torch.allclose(g, explicit, atol=1e-5)
    assert torch.allclose(g, g.transpose(1, 2)), "a Gram matrix is symmetric"


def test_gram_matrix_does_not_depend_on_image_size_for_a_stationary_pattern():
    tile = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    small, large = tile.repeat(1, 1, 2, 2), tile.repeat(1, 1, 8, 8)
    assert torch.allclose(gram.gram_matrix(small), gram.gram_matrix(large), atol=1e-5)


def test_gram_matrix_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        gram.gram_matrix(torch.zeros(3, 4, 4))


def test_vgg_layer_names_follow_blocks_and_positions():
    names = features.vgg_layer_names()
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert "conv4_2" in names and "relu5_1" in names and names[-1] == "pool5"
    assert names.index("conv2_1") == 5, "conv2_1 is the third convolution, not conv_2"


def test_vgg_extractor_on_torchvision_architecture():
    torch.manual_seed(0)
    extractor = features.vgg19(pretrained=False)  # torchvision's VGG-19 with random weights: no download
    convs = [name for name, layer in extractor.layers.items() if isinstance(layer, torch.nn.Conv2d)]
    assert len(convs) == 16 and convs[4] == "conv3_1" and convs[-1] == "conv5_4"
    channels = {name: layer.out_channels for name, layer in extractor.layers.items() if name in convs}
    assert channels["conv1_1"] == 64 and channels["conv2_1"] == 128 and channels["conv3_1"] == 256
    assert channels["conv4_2"] == 512
    out = extractor(torch.rand(1, 3, 64, 64), ["relu1_1", "relu2_1", "relu4_2"])
    assert out["relu1_1"].shape == (1, 64, 64, 64) and out["relu2_1"].shape == (1, 128, 32, 32)
    assert out["relu4_2"].shape == (1, 512, 8, 8) and (out["relu4_2"] >= 0).all()
    with pytest.raises(ValueError, match="conv4_2"):
        extractor(torch.rand(1, 3, 32, 32), ["conv_4"])


def test_random_features_scales():
    extractor = features.RandomFeatures(features.RandomFeaturesConfig(filters=8))
    out = extractor(torch.rand(1, 3, 66, 66))
    assert list(out) == ["k3", "k5", "k7", "k11", "k23", "k37", "k55"]
    assert out["k3"].shape == (1, 8, 66, 66) and out["k55"].shape == (1, 8, 13, 13)
    assert extractor.content_layer == "e5" and extractor(torch.rand(1, 3, 20, 30), ["e5"])["e5"].shape == (1, 8, 20, 30)
    again = features.RandomFeatures(features.RandomFeaturesConfig(filters=8))
    assert torch.equal(again(torch.ones(1, 3, 8, 8))["k3"], extractor(torch.ones(1, 3, 8, 8))["k3"]), "seeded"
    with pytest.raises(ValueError, match="N, 3, H, W"):
        extractor(torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match="no layer"):
        extractor(torch.rand(1, 3, 8, 8), ["k11", "e11"])


def test_the_content_layer_sees_edges_not_colours():
    """The content filters sum to 0 on each channel: every uniform image, dark or light, whatever its colour, gives
    them 0 everywhere, borders included (they are padded by repeating the border); a step between two colours does
    not. The style filters are not zero-mean and answer to the colour itself, and the content filters leave them as
    they were without a content layer of their own."""
    extractor = features.RandomFeatures(features.RandomFeaturesConfig(sizes=(3, 5, 23), filters=8))
    w = extractor.weight_e5
    assert w.shape == (8, 3, 5, 5) and w.sum((2, 3)).abs().max() < 1e-5
    assert torch.allclose(w.flatten(1).norm(dim=1), torch.ones(8))
    dark, light = torch.full((1, 3, 40, 40), 0.1), torch.tensor([0.9, 0.2, 0.6]).view(1, 3, 1, 1).expand(1, 3, 40, 40)
    for uniform in (dark, light):
        assert extractor(uniform, ["e5"])["e5"].abs().max() < 1e-5
    step = dark.clone()
    step[..., 20:] = 0.9
    assert extractor(step, ["e5"])["e5"].max() > 0.1
    assert not torch.allclose(extractor(dark, ["k3"])["k3"], extractor(light, ["k3"])["k3"], atol=1e-2)
    before = features.RandomFeatures(features.RandomFeaturesConfig(sizes=(3, 5, 23), filters=8, content_size=None))
    assert before.content_layer == "k5" and before.style_layers == extractor.style_layers
    larger = features.RandomFeatures(features.RandomFeaturesConfig(sizes=(3,), filters=8, content_size=23))
    assert larger.content_layer == "e23" and larger.weight_e23.shape == (8, 3, 11, 11)  # on the image downsampled
    assert larger(torch.rand(1, 3, 46, 46), ["e23"])["e23"].shape == (1, 8, 22, 22)
    assert all(torch.equal(getattr(before, f"weight_{k}"), getattr(extractor, f"weight_{k}"))
               for k in extractor.style_layers)


def test_feature_extractor_falls_back_to_random_offline(monkeypatch, capsys):
    def unreachable(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(features, "vgg19", unreachable)
    extractor = features.feature_extractor("auto")
    assert isinstance(extractor, features.RandomFeatures)
    assert "VGG-19 weights unavailable" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="kind='random'"):
        features.feature_extractor("vgg")


@pytest.fixture(scope="module")
def small():
    return features.RandomFeatures(features.RandomFeaturesConfig(sizes=(3, 5, 11), filters=16))


def test_losses_are_zero_at_their_target(small):
    image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    targets, weights = gram.style_targets(small, image)
    assert gram.style_loss(small(image), targets, weights).item() == pytest.approx(0.0, abs=1e-10)
    f = small(image, ["k5"])["k5"]
    assert gram.content_loss(f, f).item() == 0.0
    losses = gram.relative_losses(small, image, image, image)
    assert losses["content"] == pytest.approx(0, abs=1e-10) and losses["style"] == pytest.approx(0, abs=1e-10)


def test_style_loss_equals_its_explicit_sums_over_layers_and_entries():
    g = torch.Generator().manual_seed(5)
    features = {"a": torch.randn(1, 3, 4, 5, generator=g), "b": torch.randn(1, 2, 3, 3, generator=g),
                "content": torch.randn(1, 4, 2, 2, generator=g)}  # not a style layer: ignored
    targets = {"a": torch.randn(1, 3, 3, generator=g), "b": torch.randn(1, 2, 2, generator=g)}
    weights = {"a": 0.5, "b": 3.0}
    explicit = 0.0
    for name, target in targets.items():
        f = features[name][0].reshape(features[name].shape[1], -1)
        c, m = f.shape
        for i in range(c):
            for j in range(c):
                g_ij = sum(f[i, k] * f[j, k] for k in range(m)) / m
                explicit += weights[name] / c ** 2 * (g_ij - target[0, i, j]) ** 2  # w_l (1/C_l²) (Ĝ_ij − G_ij)²
    assert gram.style_loss(features, targets, weights).item() == pytest.approx(float(explicit), rel=1e-5)


def test_content_loss_is_relative():
    g = torch.Generator().manual_seed(6)
    p, f = torch.randn(1, 4, 5, 5, generator=g), torch.randn(1, 4, 5, 5, generator=g)
    assert gram.content_loss(f, p).item() == pytest.approx(((f - p) ** 2).sum().item() / (p ** 2).sum().item())
    assert gram.content_loss(torch.zeros_like(p), p).item() == pytest.approx(1.0), "1 when the features are 0"
    assert gram.content_loss(10 * f, 10 * p).item() == pytest.approx(gram.content_loss(f, p).item(), rel=1e-5)


def test_total_variation_equals_its_explicit_sums():
    x = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(7))
    n, c, h, w = x.shape
    down = sum((x[b, k, i + 1, j] - x[b, k, i, j]) ** 2 for b in range(n) for k in range(c) for i in range(h - 1)
               for j in range(w)) / (n * c * (h - 1) * w)
    right = sum((x[b, k, i, j + 1] - x[b, k, i, j]) ** 2 for b in range(n) for k in range(c) for i in range(h)
                for j in range(w - 1)) / (n * c * h * (w - 1))
    assert gram.total_variation(x).item() == pytest.approx(float(down + right), rel=1e-5)
    assert gram.total_variation(torch.full((1, 3, 8, 8), 0.3)).item() == 0.0, "a flat image costs nothing"
    ramp = torch.linspace(0, 1, 8).expand(1, 3, 8, 8)
    assert gram.total_variation(ramp).item() == pytest.approx((1 / 7) ** 2), "one direction of a ramp"


def test_texture_synthesis_lowers_the_gram_loss(small):
    texture = torch.rand(3, 24, 24, generator=torch.Generator().manual_seed(3)).round()  # a binary pattern
    image, history = gram.synthesize_texture(small, texture, steps=15)
    assert image.shape == (1, 3, 24, 24) and 0 <= image.min() and image.max() <= 1
    assert 3 <= len(history) <= 17 and history[-1] < history[0] / 10  # start, each iteration, the clipped result


def test_style_transfer_moves_towards_the_style(small):
    g = torch.Generator().manual_seed(4)
    content = torch.rand(3, 32, 32, generator=g) * 0.2 + 0.4
    style = 0.2 + 0.6 * torch.rand(1, 3, 40, 48, generator=g).round()  # another size: Gram matrices do not mind
    image, history = gram.style_transfer(small, content, style, style_weight=100.0, steps=25)
    assert image.shape == (1, 3, 32, 32)
    assert set(history) == {"total", "content", "style"} and len(history["style"]) <= 27
    assert history["style"][-1] < history["style"][0] / 10
    with pytest.raises(ValueError, match="RGB image"):
        gram.style_transfer(small, torch.rand(1, 32, 32), style)


def test_the_loss_terms_can_be_swapped_without_changing_the_defaults(small):
    texture = torch.rand(3, 24, 24, generator=torch.Generator().manual_seed(3)).round()
    image, history = gram.synthesize_texture(small, texture, steps=5)
    calls = []

    def style(features, targets, weights):
        calls.append(len(targets))
        return gram.style_loss(features, targets, weights)

    again, history_again = gram.synthesize_texture(small, texture, steps=5, terms=gram.LossTerms(style=style))
    assert calls and torch.equal(image, again) and history == history_again, "the given terms are used, as they are"
    halved = gram.LossTerms(content=lambda f, p: gram.content_loss(f, p) / 2)
    _, history = gram.style_transfer(small, texture, texture, steps=2, terms=halved)
    assert history["content"][0] == 0.0 and "tv" not in history


def test_the_total_variation_prior_smooths_the_result(small):
    texture = torch.rand(3, 24, 24, generator=torch.Generator().manual_seed(3)).round()
    plain, e_plain = gram.synthesize_texture(small, texture, steps=15)
    smooth, e_smooth = gram.synthesize_texture(small, texture, steps=15, tv_weight=1.0)
    assert gram.total_variation(smooth) < gram.total_variation(plain) and e_smooth[-1] > e_plain[-1]
    content = torch.rand(3, 24, 24, generator=torch.Generator().manual_seed(4))
    _, history = gram.style_transfer(small, content, texture, steps=5, tv_weight=0.5)
    assert history["tv"][0] == pytest.approx(1.0), "relative to the content photo's own roughness"
    assert history["total"][0] == pytest.approx(history["content"][0] + 10.0 * history["style"][0] + 0.5, rel=1e-5)


def test_lbfgs_keeps_one_history_entry_per_iteration_and_evaluates_each_point_once(small):
    """torch.optim.LBFGS, one iteration per step(): the point each step starts from is not evaluated again."""
    texture = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(3))
    counted = benchmarks._Counted(small)
    _, history = gram.synthesize_texture(counted, texture, steps=6)
    assert len(history) == 6 + 2  # the start, each iteration, the clipped result
    assert 6 <= counted.evaluations <= 6 * 3, "a line search of one or a few evaluations per iteration"


def test_bench_style_times_the_course_and_the_tutorial_per_evaluation(small):
    content = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(4))
    style = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(5))
    result = benchmarks.style_transfer(small, content, style, steps=3, rounds=1)
    assert result["evaluations"] >= 3 and result["course"] > 0 and result["tutorial"] > 0
    assert result["ratio"] == pytest.approx(result["course"] / result["tutorial"])
    assert len(result["history"]["style"]) == 3 + 2
    image = benchmarks.tutorial_style_transfer(small, content[None], style[None], evaluations=4)
    assert image.shape == (1, 3, 16, 16) and 0 <= image.min() and image.max() <= 1


def test_gram_matrix_gradient_is_autograds():
    """gram_matrix writes its gradient out, (∂L/∂G + ∂L/∂Gᵀ) F / M in one product: torch's numerical check agrees,
    and so does autograd's own rule for F Fᵀ / M."""
    features = torch.randn(2, 3, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.autograd.gradcheck(gram.gram_matrix, (features.requires_grad_(True),))
    weights = torch.randn(2, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ours = torch.autograd.grad((gram.gram_matrix(features) * weights).sum(), features)[0]
    f = features.reshape(2, 3, 20)
    theirs = torch.autograd.grad(((f @ f.mT / 20) * weights).sum(), features)[0]
    torch.testing.assert_close(ours, theirs)


def _photo_crop(side=48):
    return photos.photo("chelsea")[:, 40:40 + side, 120:120 + side].float()


def test_edge_correlation_is_that_of_the_sobel_magnitudes_of_the_luminance():
    """The oracle: Sobel filters written out in torch (a 1-pixel border repeated, as scipy's "reflect" does),
    on skimage's luminance weights; Pearson's correlation does not mind skimage's normalisation."""
    content = _photo_crop()
    g = torch.Generator().manual_seed(0)
    image = (content * 0.6 + 0.4 * torch.rand(content.shape, generator=g)).clamp(0, 1)

    def sobel_magnitude(x):
        lum = (torch.tensor([0.2125, 0.7154, 0.0721]).view(3, 1, 1) * x.double()).sum(0)[None, None]
        padded = torch.nn.functional.pad(lum, (1, 1, 1, 1), mode="replicate")
        kx = torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=torch.float64)[None, None]
        gx, gy = torch.nn.functional.conv2d(padded, kx), torch.nn.functional.conv2d(padded, kx.mT)
        return (gx ** 2 + gy ** 2).sqrt().flatten()

    oracle = torch.corrcoef(torch.stack([sobel_magnitude(image), sobel_magnitude(content)]))[0, 1].item()
    assert gram.edge_correlation(image, content) == pytest.approx(oracle, abs=1e-6)
    assert gram.edge_correlation(content, content) == pytest.approx(1.0)
    assert gram.edge_correlation(content * 0.3, content) == pytest.approx(1.0), "a darker copy keeps every edge"
    assert gram.edge_correlation(1 - content, content) == pytest.approx(1.0), "edges are magnitudes"
    noise = torch.rand(content.shape, generator=g)
    assert abs(gram.edge_correlation(noise, content)) < 0.15, "edges unrelated to the photo's"
    assert gram.edge_correlation(torch.full_like(content, 0.5), content) == 0.0, "no edges, none kept"
    with pytest.raises(ValueError, match="same size"):
        gram.edge_correlation(content[:, :40], content)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gram.edge_correlation(content * 255, content)


def test_style_shift_goes_from_the_photo_to_the_style():
    from scipy.stats import wasserstein_distance  # the oracle; scipy.stats takes a second to import
    content = _photo_crop()
    style = torch.rand(3, 32, 40, generator=torch.Generator().manual_seed(1)) * 0.3  # darker, another size
    assert gram.style_shift(content, content, style) == {"luminance": 0.0, "colours": 0.0}
    resized = torch.nn.functional.interpolate(style[None], size=content.shape[-2:], mode="nearest")[0]
    shift = gram.style_shift(resized, content, style)
    assert shift["luminance"] == pytest.approx(1.0, abs=0.02) and shift["colours"] == pytest.approx(1.0, abs=0.05)
    flat = {v: torch.full((3, 8, 8), v) for v in (0.2, 0.4, 0.8)}
    assert gram.style_shift(flat[0.4], flat[0.8], flat[0.2])["luminance"] == pytest.approx(2 / 3)
    ours = gram._wasserstein(content[0].numpy().ravel(), style[0].numpy().ravel())
    assert ours == pytest.approx(wasserstein_distance(content[0].ravel(), style[0].ravel()), rel=0.01)
    with pytest.raises(ValueError, match="same mean luminance"):
        gram.style_shift(content, content, content.flip(-1))


def test_lbfgs_stops_once_converged(small):
    """At a minimum already (the content is the style), every iteration lowers nothing: PATIENCE of them, then out."""
    image = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(3))
    counted = benchmarks._Counted(small)
    _, history = gram.style_transfer(counted, image, image, steps=50)
    assert len(history["total"]) == gram.PATIENCE + 2 and counted.evaluations < 50


def test_the_offline_extractors_are_compared_on_the_same_pairs(tmp_path, small):
    vgg = benchmarks.random_vgg19(width=1 / 16)
    convs = [m for m in vgg.layers.values() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 16 and [c.out_channels for c in convs[::4]] == [4, 16, 32, 32]
    assert set(vgg(torch.rand(1, 3, 32, 32), vgg.style_layers)) == set(features.VGG_STYLE_LAYERS)
    pairs = {name: (content, style) for name, (content, style) in benchmarks.style_pairs(24).items()}
    assert set(pairs) == {"temple by night", "cat in gravel"} and max(pairs["temple by night"][0].shape) == 24
    rows = benchmarks.compare_extractors({"small": small, "vgg": vgg}, pairs, style_weights=(1.0,), steps=2)
    assert len(rows) == 2 * 2 and {row["extractor"] for row in rows} == {"small", "vgg"}
    for row in rows:
        assert -1 <= row["edges"] <= 1 and row["seconds_per_iteration"] > 0 and row["image"].shape[:2] == (1, 3)
    table = benchmarks.comparison_table(rows).splitlines()
    assert len(table) == 2 + 4 and table[2].startswith("| small | temple by night | 1 |")
    figure = benchmarks.comparison_figure(rows, pairs)
    assert len(figure.axes) == 3 * 2
    figure.savefig(tmp_path / "extractors.png")
