"""Looking inside a network (coursekit.visualize): receptive fields against the gradient, top-activating patches
against direct indexing, the blur against a 2-D convolution, gradient ascent."""

import pytest
import torch
import torch.nn.functional as F

from coursekit import models, visualize


def _pixels_that_matter(layers, size, i, j):
    """The oracle: input pixels whose gradient reaches output position (i, j) of a stack of all-ones convolutions."""
    x = torch.rand(1, 1, size, size, requires_grad=True)
    h = x
    for k, s, p in layers:
        h = F.conv2d(h, torch.ones(1, 1, k, k), stride=s, padding=p)
    (grad,) = torch.autograd.grad(h[0, 0, i, j], x)
    rows, cols = grad[0, 0].nonzero(as_tuple=True)
    return rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()


@pytest.mark.parametrize("layers", [
    [(5, 1, 0)],
    [(7, 1, 3), (2, 2, 0), (5, 1, 2), (2, 2, 0), (3, 1, 1)],
    [(3, 2, 1), (3, 2, 1), (3, 2, 1)],
    [(11, 4, 2), (3, 2, 0), (5, 1, 2)],
])
def test_receptive_field_is_where_the_gradient_reaches(layers):
    size, jump, start = visualize.receptive_field(layers)
    i, j = 3, 4  # positions whose window lies inside a 96-pixel image for every stack above
    first_row, last_row, first_col, last_col = _pixels_that_matter(layers, 96, i, j)
    assert (first_row, last_row) == (start + i * jump, start + i * jump + size - 1)
    assert (first_col, last_col) == (start + j * jump, start + j * jump + size - 1)


def test_the_natural_cnn_geometry_gives_its_receptive_fields():
    model = models.NaturalCNN().eval()
    assert model.geometry("conv2") == [(7, 1, 3), (2, 2, 0), (5, 1, 2)]
    fields = {layer: visualize.receptive_field(model.geometry(layer)) for layer in ("conv1", "conv2", "conv3")}
    assert fields == {"conv1": (7, 1, -3), "conv2": (16, 2, -7), "conv3": (26, 4, -11)}
    x = torch.rand(4, 3, 32, 32, requires_grad=True)
    maps = model.features(x)["conv3"]
    (grad,) = torch.autograd.grad(maps[:, :, 4, 4].sum(), x)
    reached = grad.abs().sum(dim=(0, 1)) > 0
    size, jump, start = fields["conv3"]
    window = torch.zeros(32, 32, dtype=torch.bool)
    window[start + 4 * jump:start + 4 * jump + size, start + 4 * jump:start + 4 * jump + size] = True
    assert not reached[~window].any()
    with pytest.raises(ValueError, match="conv1"):
        model.geometry("fc")


def test_top_patches_cuts_the_window_at_the_strongest_position():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(6, 3, 10, 12, generator=g)
    activations = torch.rand(6, 5, 6, generator=g)
    activations[2, 4, 0] = 5.0  # the strongest image, at the bottom-left corner of its map
    activations[4, 1, 3] = 4.0
    patches, scores = visualize.top_patches(activations, images, 2, field=(4, 2, -1))
    assert scores.tolist() == [5.0, 4.0]
    assert patches.shape == (2, 3, 4, 4)
    # image 2, position (4, 0): rows −1 + 8 … 10, columns −1 … 2; row 10 and column −1 lie outside the image
    assert torch.equal(patches[0, :, :3, 1:], images[2, :, 7:10, 0:3])
    assert (patches[0, :, 3, :] == 0.5).all() and (patches[0, :, :, 0] == 0.5).all()
    # image 4, position (1, 3): rows 1 … 4, columns 5 … 8, all inside
    assert torch.equal(patches[1], images[4, :, 1:5, 5:9])
    whole, same_scores = visualize.top_patches(activations, images, 2)
    assert torch.equal(whole, images[[2, 4]]) and torch.equal(same_scores, scores)
    with pytest.raises(ValueError, match="maps"):
        visualize.top_patches(activations.amax(dim=(1, 2)), images, 2, field=(4, 2, -1))


def test_blur_is_a_normalised_gaussian_convolution():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 9, 11, generator=g)
    sigma = 0.8
    radius = max(1, int(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel_1d = torch.exp(-t**2 / (2 * sigma**2))
    kernel = torch.outer(kernel_1d, kernel_1d) / kernel_1d.sum() ** 2  # the 2-D Gaussian, summing to 1
    padded = F.pad(x, (radius,) * 4, mode="reflect")
    expected = F.conv2d(padded, kernel.expand(3, 1, -1, -1), groups=3)
    torch.testing.assert_close(visualize.blur(x, sigma), expected)
    torch.testing.assert_close(visualize.blur(torch.full((1, 3, 8, 8), 0.3), 1.0), torch.full((1, 3, 8, 8), 0.3))


def test_maximize_activation_repeats_itself_and_records_every_step():
    torch.manual_seed(0)
    model = models.NaturalCNN().eval()
    a = visualize.maximize_activation(model, "conv1", unit=5, size=16, steps=10, lr=0.01, seed=3)
    b = visualize.maximize_activation(model, "conv1", unit=5, size=16, steps=10, lr=0.01, seed=3)
    assert torch.equal(a[0], b[0]) and a[1] == b[1] and len(a[1]) == 10
    assert a[1][-1] > a[1][0]
