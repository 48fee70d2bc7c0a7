"""The course's convolutional classifiers, loadable in one line with their shipped weights.

- ``DigitCNN``: digits 28×28 → 10 logits, two 5×5 convolution + ReLU + max-pool stages and two fully connected
  layers (LeNet's shape, LeCun et al. 1998). Trained on the rendered digits (notebook 02); later notebooks use it to
  judge generated digits (PixelCNN samples, DCGAN samples).
- ``NaturalCNN``: colour images 32×32 → class logits, with a first layer of 7×7 filters large enough to show what it
  learns on natural images: oriented edges and colour blobs (notebook 03, «Qu'est-ce que le réseau apprend?»).

Each model takes images in [0, 1], as everywhere in coursekit, and normalises them itself (a named step in
``forward``); ``features(x)`` returns the named activations that notebook 03 visualises, and
``NaturalCNN.geometry(layer)`` the kernels, strides and paddings below a layer, from which its receptive field follows.

    model = ck.models.digit_classifier(pretrained=True)   # eval mode, on the CPU
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from coursekit import checkpoints


@dataclass(frozen=True)
class DigitCNNConfig:
    """Hyperparameters of ``DigitCNN``; the defaults are those of the shipped checkpoint."""

    channels: tuple[int, int] = (32, 64)  # filters of conv1 and conv2
    hidden: int = 128  # units of the fully connected layer
    dropout: float = 0.3  # on the hidden layer: the fonts are few, the network would memorise them


class DigitCNN(nn.Module):
    """(N, 1, 28, 28) digits in [0, 1] → (N, 10) logits: conv5×5-ReLU-pool, conv5×5-ReLU-pool, fc-ReLU, fc."""

    MEAN, STD = 0.15, 0.32  # of the pixels of rendered digits (MNIST: 0.13, 0.31)

    def __init__(self, config: DigitCNNConfig = DigitCNNConfig()):
        super().__init__()
        self.config = config
        c1, c2 = config.channels
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2)  # 28×28 → 28×28, then pooled to 14×14
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)  # 14×14 → 14×14, then pooled to 7×7
        self.fc1 = nn.Linear(c2 * 7 * 7, config.hidden)
        self.fc2 = nn.Linear(config.hidden, 10)
        self.dropout = nn.Dropout(config.dropout)

    def extra_repr(self) -> str:
        return f"parameters={sum(p.numel() for p in self.parameters()):,}"

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The named activations: conv1 (N, c1, 28, 28), conv2 (N, c2, 14, 14), fc1 (N, hidden), logits (N, 10)."""
        if x.dim() != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"DigitCNN expects digits shaped (N, 1, 28, 28) in [0, 1], got {tuple(x.shape)}.")
        x = (x - self.MEAN) / self.STD  # normalise: inputs of mean 0 and unit variance train faster
        conv1 = F.relu(self.conv1(x))
        conv2 = F.relu(self.conv2(F.max_pool2d(conv1, 2)))
        fc1 = F.relu(self.fc1(F.max_pool2d(conv2, 2).flatten(1)))
        return {"conv1": conv1, "conv2": conv2, "fc1": fc1, "logits": self.fc2(self.dropout(fc1))}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)["logits"]


@dataclass(frozen=True)
class NaturalCNNConfig:
    """Hyperparameters of ``NaturalCNN``; the defaults are those of the shipped checkpoint."""

    classes: int = 17  # the embedded "natural" set: 10 photos + 7 textures (CIFAR-10 online: 10)
    channels: tuple[int, int, int] = (32, 64, 128)
    first_kernel: int = 7  # large enough for a filter to show an oriented edge or a grating


class NaturalCNN(nn.Module):
    """(N, 3, 32, 32) colour images in [0, 1] → (N, classes) logits.

    conv1 7×7 (stride 1) → ReLU → pool, conv2 5×5 → ReLU → pool, conv3 3×3 → ReLU, global average pool, fc.
    """

    MEAN = (0.5, 0.45, 0.4)
    STD = (0.25, 0.25, 0.25)

    def __init__(self, config: NaturalCNNConfig = NaturalCNNConfig()):
        super().__init__()
        self.config = config
        c1, c2, c3 = config.channels
        k = config.first_kernel
        self.conv1 = nn.Conv2d(3, c1, k, padding=k // 2)
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.fc = nn.Linear(c3, config.classes)
        self.register_buffer("mean", torch.tensor(self.MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(self.STD).view(1, 3, 1, 1), persistent=False)

    def extra_repr(self) -> str:
        return f"parameters={sum(p.numel() for p in self.parameters()):,}"

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named activations: conv1 (N, c1, H, W), conv2 (N, c2, H/2, W/2), conv3 (N, c3, H/4, W/4), logits."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"NaturalCNN expects colour images shaped (N, 3, H, W) in [0, 1], got {tuple(x.shape)}.")
        x = (x - self.mean) / self.std
        conv1 = F.relu(self.conv1(x))
        conv2 = F.relu(self.conv2(F.max_pool2d(conv1, 2)))
        conv3 = F.relu(self.conv3(F.max_pool2d(conv2, 2)))
        return {"conv1": conv1, "conv2": conv2, "conv3": conv3, "logits": self.fc(conv3.mean(dim=(2, 3)))}

    POOL = (2, 2, 0)  # max-pool: (kernel, stride, padding)

    def geometry(self, layer: str) -> list[tuple[int, int, int]]:
        """(kernel, stride, padding) of every convolution and max-pool from the input up to ``layer``'s map, in the
        order of ``features``: what ``visualize.receptive_field`` needs. layer: "conv1", "conv2" or "conv3"."""
        stages = {"conv1": [self.conv1], "conv2": [self.conv1, self.POOL, self.conv2],
                  "conv3": [self.conv1, self.POOL, self.conv2, self.POOL, self.conv3]}
        if layer not in stages:
            raise ValueError(f"NaturalCNN.geometry: layer should be one of {list(stages)}, got {layer!r}.")
        return [(s.kernel_size[0], s.stride[0], s.padding[0]) if isinstance(s, nn.Conv2d) else s
                for s in stages[layer]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)["logits"]


def digit_classifier(pretrained: bool = True, config: DigitCNNConfig = DigitCNNConfig()) -> DigitCNN:
    """A ``DigitCNN`` in eval mode: the shipped weights (``data/checkpoints/digit_cnn.pt``) or random ones.

    With ``pretrained=True`` the model also carries ``.metrics`` (test accuracies measured when it was trained) and
    ``.training_record`` (the command, data and steps that made it).
    """
    model = DigitCNN(config)
    if pretrained:
        checkpoints.load_shipped(model, "digit_cnn", asdict(config))
    return model.eval()


def natural_classifier(pretrained: bool = True, config: NaturalCNNConfig = NaturalCNNConfig()) -> NaturalCNN:
    """A ``NaturalCNN`` in eval mode: the shipped weights (``data/checkpoints/natural_cnn.pt``) or random ones."""
    model = NaturalCNN(config)
    if pretrained:
        checkpoints.load_shipped(model, "natural_cnn", asdict(config))
    return model.eval()
