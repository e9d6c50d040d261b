"""How good are generated digits? Numbers from a digit classifier trained on the offline MNIST.

The Fréchet distance of the usual FID needs Inception weights (a download); torchmetrics'
``FrechetInceptionDistance`` takes any feature extractor instead, so here it is the
penultimate layer of a digit CNN trained on MNIST (the same kind of network, the
same data). The numbers are comparable with each other, not with published FIDs.
"""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance


class ClassifierFeatures(nn.Module):
    """A classifier's backbone as torchmetrics' feature extractor: it receives the images
    as given to the metric, intensities in [0, 1] (torchmetrics converts to uint8 only for
    its own Inception), and normalises them as the classifier was trained (mean 0.5, std
    0.5)."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone.eval()
        self.num_features = backbone.num_features

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone((images.float() - 0.5) / 0.5)


def frechet_distance(backbone: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to the features of ``real`` and ``fake``
    images (both normalised to [-1, 1], as the data serves them)."""
    metric = FrechetInceptionDistance(feature=ClassifierFeatures(backbone))
    for images, is_real in ((real, True), (fake, False)):
        for chunk in images.split(256):
            metric.update((chunk.cpu() * 0.5 + 0.5).clamp(0, 1), real=is_real)
    return float(metric.compute())


@torch.no_grad()
def predicted_classes(classifier: nn.Module, images: torch.Tensor) -> torch.Tensor:
    classifier.eval()
    return torch.cat([classifier(chunk).argmax(1) for chunk in images.split(256)])


def class_histogram(classifier: nn.Module, images: torch.Tensor, classes: int) -> list[float]:
    """The share of images the classifier puts in each class (mode coverage: a GAN that
    collapsed onto a few digits shows empty bins)."""
    counts = torch.bincount(predicted_classes(classifier, images), minlength=classes)
    return (counts.float() / len(images)).tolist()


def conditional_accuracy(classifier: nn.Module, images: torch.Tensor, asked: torch.Tensor) -> float:
    """The share of samples the held classifier assigns to the class they were asked for."""
    return float((predicted_classes(classifier, images).cpu() == asked.cpu()).float().mean())
