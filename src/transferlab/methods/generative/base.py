"""What the generative methods share: the backbone is their encoder (VAE, VQ-VAE) or their
discriminator (GANs), so that ``FeatureExtraction`` / ``FineTuning`` take it over with
``--model.init_args.weights <this run's .ckpt>``; a transposed-convolution decoder; and the
loop that turns a per-batch loss into training, validation and test numbers.

Images arrive normalised to [-1, 1] (the digit domains' mean 0.5, std 0.5) with three equal
channels (grey digits); the models generate one channel and repeat it.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from transferlab.methods.base import MethodModule


def up_decoder(latent_dim: int, image_size: int, out_channels: int = 1, width: int = 64):
    """latent -> (out_channels, image_size, image_size): a linear layer to a
    (2 * width, s/4, s/4) map, then two stride-2 transposed convolutions (DCGAN's
    generator shape: BatchNorm and ReLU between, no pooling)."""
    if image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4 for the decoder, got {image_size}")
    side = image_size // 4
    return nn.Sequential(
        nn.Linear(latent_dim, 2 * width * side * side),
        nn.BatchNorm1d(2 * width * side * side),
        nn.ReLU(inplace=True),
        nn.Unflatten(1, (2 * width, side, side)),
        nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(width, out_channels, 4, stride=2, padding=1),
    )


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """One channel of [-1, 1] images as pixel intensities in [0, 1]."""
    return (images[:, :1] * 0.5 + 0.5).clamp(0, 1)


def from_unit(pixels: torch.Tensor) -> torch.Tensor:
    """[0, 1] intensities back to the three-channel [-1, 1] images the data serves."""
    return (pixels * 2 - 1).repeat(1, 3, 1, 1)


class GenerativeModule(MethodModule, family_base=True):
    """Trains on the source images (and labels, for conditional models) of any
    ``DomainDataModule``. Subclasses give ``losses(images, labels) -> dict`` (with a
    ``loss`` entry that training minimises) and ``sample(count, labels)``.

    The checkpoint is selected on the validation loss (``val/select_score`` = minus it;
    protocol ``source_val_loss``); GANs, whose losses say little about sample quality,
    keep the last epoch instead (``last_epoch``).
    """

    # no classifier: hand the backbone to FeatureExtraction instead
    selects_last_epoch: ClassVar[bool] = False

    def __init__(self, image_size: int = 28, **kwargs) -> None:
        super().__init__(**kwargs)
        self.image_size = image_size
        self.selection_protocol = "last_epoch" if self.selects_last_epoch else "source_val_loss"
        self._sums: dict[str, float] = {}
        self._count = 0

    def test_metrics(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """What the test reports; by default the same terms as training."""
        return self.losses(images, labels)

    def check_images(self, images: torch.Tensor) -> None:
        if images.shape[-1] != self.image_size:
            raise ValueError(
                f"{type(self).__name__} was built for {self.image_size}px images but the data "
                f"serves {images.shape[-1]}px: set model.init_args.image_size"
            )

    def training_step(self, batch: dict, batch_idx: int):
        images, labels = batch["source"]
        self.check_images(images)
        terms = self.losses(images, labels)
        self.log_dict({f"train/{k}": v for k, v in terms.items()}, prog_bar=True)
        return terms["loss"]

    # -- validation and test: means over the source split --------------------------------
    def _accumulate(self, terms: dict[str, torch.Tensor], count: int) -> None:
        for key, value in terms.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(value) * count
        self._count += count

    def _means(self) -> dict[str, float]:
        means = {k: v / max(self._count, 1) for k, v in self._sums.items()}
        self._sums, self._count = {}, 0
        return means

    def on_validation_epoch_start(self) -> None:
        self._sums, self._count = {}, 0

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        if "source" in self.eval_domains("val")[dataloader_idx] and isinstance(batch, list | tuple):
            self._accumulate(self.test_metrics(*batch), len(batch[0]))

    def on_validation_epoch_end(self) -> None:
        means = self._means()
        for key, value in means.items():
            self.log(f"val/{key}", value)
        if self.selects_last_epoch:
            self.log("val/select_score", float(self.current_epoch))
        elif "loss" in means:
            self.log("val/select_score", -means["loss"])

    def on_test_epoch_start(self) -> None:
        self._sums, self._count = {}, 0

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self.validation_step(batch, batch_idx, dataloader_idx)  # the same means, test split

    def on_test_epoch_end(self) -> None:
        for key, value in self._means().items():
            self.log(f"test/{key}", value)
