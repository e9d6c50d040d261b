"""Triplet network with online mining (FaceNet; Hermans et al., 2017)."""

from __future__ import annotations

from typing import Literal

import torch

from transferlab.losses.metric import (
    batch_all_triplets,
    batch_hard_triplets,
    semi_hard_triplets,
    triplet_loss,
)
from transferlab.methods.metric.base import MetricLearningModule


class TripletNetwork(MetricLearningModule):
    """``max(0, m + d(a, p) - d(a, n))`` on triplets mined from each class-balanced batch:
    ``all`` valid triplets, the ``hard`` ones (farthest positive, nearest negative per
    anchor) or ``semihard`` (negatives just beyond the positive, inside the margin).

    Args:
        margin: the triplet margin.
        miner: ``all``, ``hard`` or ``semihard``.
    """

    def __init__(
        self,
        margin: float = 0.2,
        miner: Literal["all", "hard", "semihard"] = "semihard",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)

    def metric_loss(self, embeddings, labels, features) -> torch.Tensor:
        if self.hparams.miner == "all":
            triplets = batch_all_triplets(labels)
        else:
            distances = torch.cdist(embeddings, embeddings).detach()
            if self.hparams.miner == "hard":
                triplets = batch_hard_triplets(distances, labels)
            else:
                triplets = semi_hard_triplets(distances, labels, self.hparams.margin)
        self.log("train/triplets", float(len(triplets[0])))
        return triplet_loss(embeddings, triplets, self.hparams.margin)
