"""The digit networks timm lacks, registered with timm so that each is created, frozen,
grouped and loaded from a file exactly like any timm model.

* ``digit_cnn``: a small CNN for 28x28 digits;
* ``dann_mnist_cnn``: the DANN paper's own MNIST feature extractor (Ganin et al., JMLR 2016,
  figure 4a), for the full-scale MNIST -> MNIST-M comparison with the paper;
* ``dcgan_discriminator``: the DCGAN critic, whose features a classifier can reuse;
* ``digit_mlp_1200`` / ``digit_mlp_800``: the fully connected nets of Hinton et al. (2015)
  on MNIST (784-1200-1200-10 teacher, 784-800-800-10 student), for distillation.
"""

from __future__ import annotations

import torch
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from torch import nn


class TimmClassifierAPI(nn.Module):
    """The part of timm's model API that our own backbones share: a ``classifier`` on
    ``num_features`` that can be swapped, and ``forward = forward_head(forward_features)``."""

    num_features: int
    classifier: nn.Module

    def get_classifier(self) -> nn.Module:
        return self.classifier

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        self.num_classes = num_classes
        self.classifier = (
            nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


class StemBlockNeck(TimmClassifierAPI):
    """The digit-sized convolutional nets: ``stem`` and ``block1`` make the feature maps,
    ``neck`` pools them into the feature vector, ``classifier`` is timm's head."""

    def group_matcher(self, coarse: bool = False) -> dict:
        return {"stem": r"^stem", "blocks": [(r"^block1", (0,)), (r"^neck", (1,))]}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.block1(self.stem(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.neck(x)
        return x if pre_logits else self.classifier(x)


class DigitCNN(StemBlockNeck):
    """Two conv blocks and a 256-d bottleneck, in the spirit of the DANN paper's MNIST net.

    Batch norm makes it train quickly with SGD at the DANN learning rate; the adaptive pool
    lets it take any input size, not only 28x28.
    """

    def __init__(self, num_classes: int = 10, in_chans: int = 3, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, 32, 5), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2)
        )
        self.block1 = nn.Sequential(
            nn.Conv2d(32, 64, 5), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(2)
        )
        self.neck = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(64 * 16, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
        )
        self.num_features = 256
        self.num_classes = num_classes
        self.classifier = nn.Linear(256, num_classes) if num_classes else nn.Identity()


class DANNMnistCNN(StemBlockNeck):
    """The DANN paper's MNIST feature extractor: conv 5x5x32, max-pool, conv 5x5x48, max-pool.

    No batch norm and no bottleneck: the 768 features (48 maps of 4x4) are what both the
    label predictor and the domain classifier see. The paper's label predictor (fully
    connected 100-100-10) is the method's head: ``head_hidden: [100, 100]``; its domain
    classifier (100-1) is DANN's ``discriminator_hidden: 100, discriminator_depth: 1``.
    Takes 28x28 images only, like the paper's.
    """

    def __init__(self, num_classes: int = 10, in_chans: int = 3, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, 32, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2)
        )
        self.block1 = nn.Sequential(nn.Conv2d(32, 48, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.neck = nn.Sequential(nn.Flatten(), nn.Dropout(drop_rate))
        self.num_features, self.num_classes = 48 * 4 * 4, num_classes
        self.classifier = (
            nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()
        )


class DCGANDiscriminator(StemBlockNeck):
    """The DCGAN paper's discriminator body for 28-32 px digits: strided 4x4 convolutions
    (no pooling), LeakyReLU(0.2), BatchNorm after the first layer; the flattened last map
    (projected to 256 features) is what a classifier on it sees.
    """

    def __init__(
        self, num_classes: int = 10, in_chans: int = 3, width: int = 64, drop_rate: float = 0.0
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)
        )
        self.block1 = nn.Sequential(
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.neck = nn.Sequential(
            nn.AdaptiveAvgPool2d(7),
            nn.Flatten(),
            nn.Linear(2 * width * 49, 256),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.num_features, self.num_classes = 256, num_classes
        self.classifier = nn.Linear(256, num_classes) if num_classes else nn.Identity()


class RandomShift(nn.Module):
    """Jitter images by up to ``pixels`` in each direction while training (Hinton et al.'s
    +-2 px jitter of the MNIST teacher); the identity in eval mode."""

    def __init__(self, pixels: int) -> None:
        super().__init__()
        self.pixels = pixels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.pixels == 0:
            return x
        padded = nn.functional.pad(x, [self.pixels] * 4)
        dy, dx = torch.randint(0, 2 * self.pixels + 1, (2,)).tolist()
        return padded[..., dy : dy + x.shape[-2], dx : dx + x.shape[-1]]


class DigitMLP(TimmClassifierAPI):
    """Fully connected digit classifier on the 784 grey pixels of a 28x28 image.

    Args:
        hidden: width of each of the two hidden layers.
        drop_rate: dropout on the hidden units (the teacher's regulariser).
        shift_pixels: random input jitter while training (0 = none).
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_chans: int = 3,
        hidden: int = 800,
        drop_rate: float = 0.0,
        shift_pixels: int = 0,
    ) -> None:
        super().__init__()
        self.jitter = RandomShift(shift_pixels)
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
        )
        self.num_features, self.num_classes = hidden, num_classes
        self.classifier = nn.Linear(hidden, num_classes) if num_classes else nn.Identity()

    def group_matcher(self, coarse: bool = False) -> dict:
        return {"stem": r"^body\.1", "blocks": [(r"^body\.4", (0,))]}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        grey = self.jitter(x).mean(dim=1)  # the digit domains repeat one channel three times
        if grey.shape[-2:] != (28, 28):
            grey = nn.functional.interpolate(grey.unsqueeze(1), size=(28, 28)).squeeze(1)
        return self.body(grey)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        return x if pre_logits else self.classifier(x)


DIGIT_CFG = {
    "num_classes": 10,
    "input_size": (3, 28, 28),
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "classifier": "classifier",
}

default_cfgs = generate_default_cfgs(
    {
        "digit_mlp_1200": {**DIGIT_CFG, "first_conv": "body.1"},
        "digit_mlp_800": {**DIGIT_CFG, "first_conv": "body.1"},
        "dcgan_discriminator": {**DIGIT_CFG, "first_conv": "stem.0"},
        "dann_mnist_cnn": {**DIGIT_CFG, "first_conv": "stem.0"},
        "digit_cnn": {
            "num_classes": 10,
            "input_size": (3, 28, 28),
            "mean": (0.5, 0.5, 0.5),
            "std": (0.5, 0.5, 0.5),
            "first_conv": "stem.0",
            "classifier": "classifier",
        },
    }
)


@register_model
def digit_cnn(pretrained: bool = False, **kwargs) -> DigitCNN:
    """timm entry point: ``timm.create_model("digit_cnn")``."""
    return build_model_with_cfg(DigitCNN, "digit_cnn", pretrained, **kwargs)


@register_model
def dann_mnist_cnn(pretrained: bool = False, **kwargs) -> DANNMnistCNN:
    """timm entry point: ``timm.create_model("dann_mnist_cnn")``."""
    return build_model_with_cfg(DANNMnistCNN, "dann_mnist_cnn", pretrained, **kwargs)


@register_model
def dcgan_discriminator(pretrained: bool = False, **kwargs) -> DCGANDiscriminator:
    """timm entry point: ``timm.create_model("dcgan_discriminator")``."""
    return build_model_with_cfg(DCGANDiscriminator, "dcgan_discriminator", pretrained, **kwargs)


@register_model
def digit_mlp_1200(pretrained: bool = False, **kwargs) -> DigitMLP:
    """Hinton et al.'s MNIST teacher: 784-1200-1200-10 with dropout and +-2 px jitter."""
    kwargs.setdefault("shift_pixels", 2)
    return build_model_with_cfg(DigitMLP, "digit_mlp_1200", pretrained, hidden=1200, **kwargs)


@register_model
def digit_mlp_800(pretrained: bool = False, **kwargs) -> DigitMLP:
    """Hinton et al.'s MNIST student: 784-800-800-10, no regularisation."""
    return build_model_with_cfg(DigitMLP, "digit_mlp_800", pretrained, hidden=800, **kwargs)
