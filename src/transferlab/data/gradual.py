"""Intermediate domains between MNIST and MNIST-M, for gradual (transitive) transfer."""

from __future__ import annotations

import torch
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import Subset

from transferlab.data.datasets import TensorImages, Unlabeled
from transferlab.data.digit_domains import DigitDomains


class GradualDigits(DigitDomains):
    """MNIST -> MNIST-M with ``intermediate_steps`` blended domains in between.

    Domain ``k`` of ``K`` is ``(1 - a) * MNIST + a * MNIST-M`` with ``a = k / (K + 1)``:
    the colour and texture of MNIST-M fade in step by step. Because MNIST-M is built from
    the same digits, a blend is a real image of the same digit, half-way in style.
    Training batches gain keys ``step1`` ... ``stepK`` (images only, target-train indices);
    labels of the intermediate domains are never served.

    Args:
        intermediate_steps: number of domains between source and target (0: none).
    """

    def __init__(self, intermediate_steps: int = 4, **kwargs) -> None:
        kwargs.setdefault("source", "mnist")
        kwargs.setdefault("target", "mnistm")
        super().__init__(**kwargs)
        if {self.source, self.target} != {"mnist", "mnistm"}:
            raise ValueError(
                "GradualDigits blends MNIST and MNIST-M: use source mnist, target mnistm"
            )
        self.intermediate_steps = intermediate_steps

    def blended(self, step: int) -> TensorImages:
        source, _ = self._tensors[self.source]
        target, labels = self._tensors[self.target]
        share = step / (self.intermediate_steps + 1)
        images = ((1 - share) * source.float() + share * target.float()).round().to(torch.uint8)
        return TensorImages(images, labels, self.mean, self.std)

    def train_dataloader(self) -> CombinedLoader:
        loaders = dict(super().train_dataloader().iterables)
        indices = self.splits["target"]["train"].indices
        for step in range(1, self.intermediate_steps + 1):
            domain = Unlabeled(Subset(self.blended(step), indices))
            loaders[f"step{step}"] = self._loader(domain, train=True, seed_offset=1 + step)
        return CombinedLoader(loaders, mode="max_size_cycle")
