"""Every building block takes its device from its model or its inputs (issue: the generative half on a GPU).

Proof without a GPU: each block runs with its model and inputs on the CPU while torch's default device is ``meta``
(``with torch.device("meta")``). A tensor that a block makes without a device (``torch.zeros(n)``, ``torch.rand(n,
generator=g)``, a model built inside it) lands on ``meta``, and mixing it with the CPU tensors raises; a block that
allocates on its inputs' device runs as it does on a GPU. Random numbers are drawn on the CPU from a seeded generator
and moved (``runtime.uniform``, ``normal``, ``integers``), so that a seed gives the same samples on every device:
the last tests check that.

``BLOCKS`` is the list of what is covered, by name.
"""

from functools import partial

import pytest
import torch

import coursekit as ck
from coursekit import color, efros_leung, features, gan, gram, pix2pix, pixelcnn, runtime, training, visualize

torch.manual_seed(0)
G = torch.Generator


def _digits(n=4):
    return torch.rand(n, 1, 28, 28, generator=G().manual_seed(1))


def _rgb(n=2, size=16, seed=2):
    return torch.rand(n, 3, size, size, generator=G().manual_seed(seed))


def _pixelcnn():
    return pixelcnn.GatedPixelCNN(pixelcnn.GatedPixelCNNConfig(channels=8, layers=2))


def _pixelcnn_train_step():
    model = _pixelcnn()
    return partial(pixelcnn.train_step, model, torch.optim.Adam(model.parameters()), (_digits() > 0.5).float(),
                   torch.tensor([1, 2, 3, 4]), generator=G().manual_seed(0))


def _pixelcnn_completion(sampler):
    mask = torch.zeros(2, 1, 6, 6, dtype=torch.bool)
    mask[:, :, :2] = True
    return partial(sampler, _pixelcnn(), 2, 6, labels=torch.tensor([3, 4]), generator=G().manual_seed(0),
                   known=torch.zeros(2, 1, 6, 6), known_mask=mask, record=(10,))


def _gan_step(model, real):
    g_opt, d_opt = gan.optimizers(model)
    return partial(gan.train_step, model, g_opt, d_opt, real, generator=G().manual_seed(0))


def _unet(**kw):
    return pix2pix.UNetGenerator(pix2pix.UNetConfig(depth=2, width=4, **kw))


def _discriminator():
    return pix2pix.PatchDiscriminator(pix2pix.PatchDiscriminatorConfig(layers=1, width=4))


def _pix2pix_step():
    g, d = _unet(), _discriminator()
    g_opt, d_opt = pix2pix.optimizers(g, d)
    return partial(pix2pix.train_step, g, d, g_opt, d_opt, _rgb(), _rgb(seed=3))


def _measure_outputs():
    pairs = pix2pix.held_out_pairs("facades", 2)
    return partial(pix2pix.measure_outputs, pairs.targets.clone(), pairs, "facades")


def _colour(bins=0):
    return color.ColorNet(color.ColorNetConfig(bins=bins, width=4, dilations=(1,)))


def _colour_fit():
    bins = color.ab_bins()
    model = _colour(len(bins))
    return partial(color.fit, model, torch.optim.Adam(model.parameters()), _rgb(4), 2, G().manual_seed(0), bins=bins,
                   weights=torch.ones(len(bins)), batch_size=2, augment=training.colour_jitter)


def _colour_l2_step():
    model = _colour()
    return partial(color.train_step, model, torch.optim.Adam(model.parameters()), _rgb())


def _random_features():
    return features.RandomFeatures(features.RandomFeaturesConfig(sizes=(3, 5), filters=4))


def _digit_cnn():
    return ck.models.DigitCNN(ck.models.DigitCNNConfig(channels=(4, 4), hidden=8))


def _train_loop():
    model = _digit_cnn()
    return partial(training.train_loop, model, torch.optim.SGD(model.parameters(), lr=0.1), _digits(),
                   torch.arange(4), steps=2, batch_size=2, generator=G().manual_seed(0))


def _linear_classifier():
    features, labels, new = _rgb(6).flatten(1), torch.arange(6) % 3, _rgb(2).flatten(1)
    return lambda: training.linear_classifier(features, labels, steps=2)(new)


def _colour_gan_step():
    generator = color.ColourGenerator(_colour(0))
    discriminator = pix2pix.PatchDiscriminator(pix2pix.PatchDiscriminatorConfig(1, 2, layers=1, width=4))
    g_opt, d_opt = pix2pix.optimizers(generator, discriminator)
    return partial(pix2pix.train_step, generator, discriminator, g_opt, d_opt, *color.gan_pair(_rgb(2, 16)))


# name: a function that makes the block's model and inputs on the CPU (outside the meta device), and returns the
# call of the block, run under the meta device
BLOCKS = {
    "pixelcnn.sample": lambda: partial(pixelcnn.sample, _pixelcnn(), 2, 6, labels=torch.tensor([1, 2]),
                                       generator=G().manual_seed(0)),
    "pixelcnn.sample (completion)": lambda: _pixelcnn_completion(pixelcnn.sample),
    "pixelcnn.sample (masked PixelCNN)": lambda: partial(pixelcnn.sample, pixelcnn.MaskedPixelCNN(channels=8, layers=2),
                                                         2, 6, generator=G().manual_seed(0)),
    "pixelcnn.sample_cached": lambda: partial(pixelcnn.sample_cached, _pixelcnn(), 2, 6, generator=G().manual_seed(0)),
    "pixelcnn.sample_cached (completion)": lambda: _pixelcnn_completion(pixelcnn.sample_cached),
    "pixelcnn.train_step": _pixelcnn_train_step,
    "pixelcnn.test_nll": lambda: partial(pixelcnn.test_nll, _pixelcnn(), (_digits() > 0.5).float(), batch_size=3),
    "pixelcnn.receptive_field": lambda: partial(pixelcnn.receptive_field, _pixelcnn(), size=7),
    "gan.DCGAN.sample": lambda: partial(gan.DCGAN(gan.DCGANConfig(noise=8, width=8)).sample, 3, G().manual_seed(0)),
    "gan.train_step (DCGAN)": lambda: _gan_step(gan.DCGAN(gan.DCGANConfig(noise=8, width=8)), _digits()),
    "gan.train_step (2-D GAN)": lambda: _gan_step(gan.GAN2D(), torch.randn(8, 2)),
    "gan.train_ring": lambda: partial(gan.train_ring, steps=2, every=1, resolution=4),
    "gan.dcgan_metrics": lambda: partial(gan.dcgan_metrics, gan.dcgan(), n=20),
    "pix2pix.train_step": _pix2pix_step,
    "pix2pix.translate": lambda: partial(pix2pix.translate, _unet(), _rgb(3), batch_size=2),
    "pix2pix.segment": lambda: partial(pix2pix.segment, _unet(out_channels=5, logits=True), _rgb(3), batch_size=2),
    "pix2pix.measured_receptive_field": lambda: partial(pix2pix.measured_receptive_field, _discriminator(), size=24),
    "pix2pix.power_spectrum": lambda: partial(pix2pix.power_spectrum, _rgb(), bins=4),
    "pix2pix.high_frequency_energy": lambda: partial(pix2pix.high_frequency_energy, _rgb()),
    "pix2pix.measure_outputs (FCN-score)": _measure_outputs,
    "color.train_step (L2)": _colour_l2_step,
    "color.fit (classes, rebalanced, jittered)": _colour_fit,
    "color.colorize": lambda: partial(color.colorize, _colour(len(color.ab_bins())), _rgb(3), temperature=0.1,
                                      batch_size=2),
    "color.predict_distribution": lambda: partial(color.predict_distribution, _colour(len(color.ab_bins())), _rgb()),
    "color.lab_to_rgb": lambda: partial(color.lab_to_rgb, color.rgb_to_lab(_rgb())),
    "color.accuracy_curve": lambda: partial(color.accuracy_curve, _rgb()[:, :2], _rgb(seed=5)[:, :2]),
    "gram.style_transfer": lambda: partial(gram.style_transfer, _random_features(), _rgb(1)[0], _rgb(1, seed=4)[0],
                                           steps=2, tv_weight=0.1),
    "gram.synthesize_texture": lambda: partial(gram.synthesize_texture, _random_features(), _rgb(1)[0], size=(12, 12),
                                               steps=2, tv_weight=0.1),
    "gram.relative_losses": lambda: partial(gram.relative_losses, _random_features(), _rgb(1), _rgb(1, seed=6),
                                            _rgb(1, seed=7)),
    "features.vgg19 (random weights)": lambda: partial(features.vgg19(pretrained=False), _rgb(1, 32), ["relu2_1"]),
    "training.train_loop": _train_loop,
    "training.fit (augmented)": lambda: partial(training.fit, _digit_cnn(), _digits(), torch.arange(4), steps=2,
                                                batch_size=2, every=1, augment=training.low_resolution),
    "training.evaluate": lambda: partial(training.evaluate, _digit_cnn(), _digits(), torch.arange(4), batch_size=3),
    "gram.gram_matrix (no image)": lambda: partial(gram.gram_matrix, torch.zeros(0, 4, 3, 3)),
    "training.linear_classifier": _linear_classifier,
    "color.ColourGenerator (pix2pix.train_step)": _colour_gan_step,
    "color.mode_shares": lambda: partial(color.mode_shares, _rgb(2, 64)[:, :2] * 100 - 50,
                                         ck.data.scenes.render_scenes(2, 64, seed=1)[1]),
    "training.random_flips": lambda: partial(training.random_flips, [_rgb(), _rgb(seed=8)], G().manual_seed(0)),
    "visualize.maximize_activation": lambda: partial(visualize.maximize_activation, _digit_cnn(), "conv1", 0, size=28,
                                                     channels=1, steps=3),
    "visualize.orientation_selectivity": lambda: partial(visualize.orientation_selectivity,
                                                         _digit_cnn().conv1.weight.detach()),
    "efros_leung.synthesize": lambda: partial(efros_leung.synthesize, _rgb(1, 8)[0], 4, 4, window=3, record=(2,)),
}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_allocates_on_its_inputs_device(name):
    call = BLOCKS[name]()  # the model and the inputs, on the CPU
    with torch.device("meta"):  # anything the block makes without a device lands on meta, and meets the CPU tensors
        out = call()
    tensors = [t for t in torch.utils._pytree.tree_leaves(out) if isinstance(t, torch.Tensor)]
    assert all(t.device.type == "cpu" for t in tensors), f"{name} returned tensors on {[t.device for t in tensors]}"


def test_the_meta_device_catches_a_tensor_made_without_a_device():
    """The check itself: a block that forgets the device fails it."""
    def forgetful(x):
        return x + torch.zeros(x.shape)

    x = torch.ones(3)
    forgetful(x)  # fine on the CPU alone
    with torch.device("meta"), pytest.raises(RuntimeError, match="device"):
        forgetful(x)


def test_random_numbers_are_drawn_on_the_cpu_and_moved():
    """The same seed gives the same numbers whatever the device asked for (here meta's shape, the CPU's values)."""
    a = runtime.uniform((2, 3), G().manual_seed(5), "cpu")
    assert torch.equal(a, torch.rand(2, 3, generator=G().manual_seed(5)))
    assert runtime.uniform((2, 3), G().manual_seed(5), "meta").device.type == "meta"
    assert torch.equal(runtime.integers(9, (4,), G().manual_seed(1), "cpu"),
                       torch.randint(0, 9, (4,), generator=G().manual_seed(1)))
    assert torch.equal(runtime.normal((4,), G().manual_seed(2), "cpu"), torch.randn(4, generator=G().manual_seed(2)))
    with pytest.raises(TypeError, match="device"):
        runtime.uniform((2, 3), G().manual_seed(5))  # no default device: a caller must say where


def test_device_of_a_model_is_where_its_weights_are():
    assert runtime.device_of(torch.nn.Linear(2, 2)).type == "cpu"
    assert runtime.device_of(torch.nn.Linear(2, 2, device="meta")).type == "meta"
    assert runtime.device_of(torch.nn.ReLU()).type == "cpu"  # no weights: the CPU
