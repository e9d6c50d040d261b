"""Siamese network with the contrastive loss (Hadsell, Chopra & LeCun, CVPR 2006)."""

from __future__ import annotations

import torch

from transferlab.losses.metric import balanced_pairs, contrastive_loss
from transferlab.methods.metric.base import MetricLearningModule


class SiameseNetwork(MetricLearningModule):
    """One shared network embeds both images of a pair; the contrastive loss pulls
    positive pairs together and pushes negative pairs beyond ``margin``. Pairs come from
    the class-balanced batch: all positive pairs and as many random negatives.

    Args:
        margin: distance beyond which a negative pair costs nothing (embeddings are
            L2-normalised by default, so distances lie in [0, 2]).
    """

    def __init__(self, margin: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)

    def metric_loss(self, embeddings, labels, features) -> torch.Tensor:
        first, second, different = balanced_pairs(labels)
        distance = (embeddings[first] - embeddings[second]).norm(dim=1)
        self.log("train/pairs", float(len(first)))
        return contrastive_loss(distance, different, self.hparams.margin)
