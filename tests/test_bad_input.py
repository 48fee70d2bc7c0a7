"""Bad input to the building blocks a student calls (issue 18): each gets a message that names what was expected and
how to fix it, never a silent wrong result or a raw library error. The data and download cases are in
test_download.py."""

import pytest
import torch

import coursekit as ck
from coursekit import color, gram, pix2pix, pixelcnn
from coursekit.data.images import as_rgb

RGB = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))  # the same image in every run


@pytest.mark.parametrize("bad, message", [
    ((RGB * 255).round(), r"values in \[\d+, 2\d\d\]; expected \[0, 1\]\. Divide 0–255 values by 255"),
    ((RGB * 255).to(torch.uint8), r"torch.uint8 tensor; expected float values in \[0, 1\]\. Convert it: x.float\(\)"),
    (RGB * 2 - 1, r"expected \[0, 1\]\. Images in \[−1, 1\] go back with \(x \+ 1\) / 2"),
    (torch.where(RGB > 0.5, torch.nan, RGB), "contains NaN"),
])
def test_rgb_to_lab_refuses_what_is_not_rgb_in_0_1(bad, message):
    """0–255 values gave L = 100 everywhere, silently."""
    with pytest.raises(ValueError, match=message):
        color.rgb_to_lab(bad)


def test_rgb_to_lab_takes_a_resize_s_slight_overshoot():
    overshoot = RGB.clone()
    overshoot[0, 0, 0, 0], overshoot[0, 1, 0, 0] = 1.02, -0.01
    torch.testing.assert_close(color.rgb_to_lab(overshoot), color.rgb_to_lab(overshoot.clamp(0, 1)))


def test_the_unet_refuses_0_255_and_uint8_images():
    net = pix2pix.UNetGenerator(pix2pix.UNetConfig(depth=2, width=4))
    x = torch.rand(1, net.config.in_channels, 16, 16)
    assert net(x).shape[-2:] == (16, 16)
    with pytest.raises(ValueError, match="UNetGenerator's input has values in .*Divide 0–255 values by 255"):
        net(x * 255)
    with pytest.raises(ValueError, match="UNetGenerator's input is a torch.uint8 tensor"):
        net((x * 255).to(torch.uint8))


def test_style_transfer_refuses_0_255_images():
    extractor = ck.features.feature_extractor("random", verbose=False)
    for content, style, name in ((RGB[0] * 255, RGB[0], "content"), (RGB[0], RGB[0] * 255, "style")):
        with pytest.raises(ValueError, match=f"{name} has values in .*expected \\[0, 1\\]"):
            gram.style_transfer(extractor, content, style, steps=1)
    with pytest.raises(ValueError, match="texture has values in"):
        gram.synthesize_texture(extractor, RGB[0] * 255, steps=1)


def test_style_transfer_asks_for_a_tensor_and_names_the_converter():
    extractor = ck.features.feature_extractor("random", verbose=False)
    array = RGB[0].permute(1, 2, 0).numpy()  # (H, W, 3), as an image library gives it
    with pytest.raises(ValueError, match="content must be an RGB image .*as_rgb converts paths, arrays"):
        gram.style_transfer(extractor, array, RGB[0], steps=1)
    with pytest.raises(ValueError, match="texture must be an RGB image .*as_rgb"):
        gram.synthesize_texture(extractor, "gravel.png", steps=1)


@pytest.fixture(scope="module")
def gated():
    torch.manual_seed(0)
    return pixelcnn.GatedPixelCNN(pixelcnn.GatedPixelCNNConfig(channels=4, layers=2, classes=10))


def test_the_pixelcnn_refuses_0_255_colour_images_and_unknown_labels(gated):
    digits = (torch.rand(2, 1, 8, 8) > 0.5).float()
    assert gated(digits, torch.tensor([3, 9])).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match=r"PixelCNN's input has values in \[0, 255\]; expected \[0, 1\]"):
        gated(digits * 255)
    with pytest.raises(ValueError, match=r"binary images shaped \(N, 1, H, W\), got \(2, 3, 8, 8\)"):
        gated(digits.expand(-1, 3, -1, -1))
    with pytest.raises(ValueError, match=r"labels must be classes 0 to 9 \(10: no class\), got values in \[3, 11\]"):
        gated(digits, torch.tensor([3, 11]))
    with pytest.raises(ValueError, match="one integer class per image"):
        gated(digits, torch.tensor([3.0, 1.0]))
    masked = pixelcnn.MaskedPixelCNN(channels=4, layers=1)
    with pytest.raises(ValueError, match="PixelCNN's input has values in"):
        masked(digits * 255)


@pytest.mark.parametrize("temperature", [-1.0, 0.0, float("inf"), float("nan"), "hot"])
def test_sampling_refuses_a_temperature_that_is_not_positive(gated, temperature):
    for sampler in (pixelcnn.sample, pixelcnn.sample_cached):
        with pytest.raises(ValueError, match="temperature must be a positive number"):
            sampler(gated, 1, size=4, temperature=temperature)


def test_sample_cached_checks_its_labels(gated):
    with pytest.raises(ValueError, match="labels must be classes 0 to 9"):
        pixelcnn.sample_cached(gated, 2, size=4, labels=torch.tensor([0, 12]))


@pytest.mark.parametrize("bad, message", [
    (torch.tensor([[0.2, float("nan")], [0.1, 0.3]]), "contains NaN"),
    (torch.full((3, 4, 4), 2.0), "Divide 0–255 values by 255"),
    (torch.full((3, 4, 4), -0.001), r"expected \[0, 1\]"),  # no slack: as_rgb is where an image comes in
])
def test_as_rgb_refuses_nan_and_values_outside_0_1(bad, message):
    with pytest.raises(ValueError, match=message):
        as_rgb(bad, name="the image")


def test_a_conditional_pixelcnn_still_trains_with_its_no_class_token(gated):
    """Training swaps some labels for "no class" (the index `classes`): the model takes it, sampling does not."""
    digits = (torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    optimizer = torch.optim.Adam(gated.parameters(), lr=1e-3)
    step = pixelcnn.train_step(gated, optimizer, digits, torch.arange(8), drop_labels=1.0)
    assert step["nll"] > 0
    assert gated(digits[:1], torch.tensor([10])).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"labels must be classes 0 to 9, got values in \[10, 10\]"):
        pixelcnn.sample(gated, 1, size=4, labels=torch.tensor([10]))
