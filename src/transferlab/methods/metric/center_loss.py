"""Softmax + centre loss (Wen et al., ECCV 2016)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.losses.metric import CenterLoss
from transferlab.methods.metric.base import MetricLearningModule


class SoftmaxEmbedding(MetricLearningModule):
    """The baseline: a plain softmax classifier over the seen classes, whose embedding
    (before the classifier) is scored by retrieval like every metric-learning method."""

    def __init__(self, normalize: bool = False, **kwargs) -> None:
        # A named argument, not kwargs.setdefault: the CLI fills every inherited argument
        # with the parent's default (normalize=True), which a setdefault never overrides.
        super().__init__(normalize=normalize, **kwargs)
        self.classifier = nn.Linear(self.hparams.embedding_dim, self.num_classes)

    def metric_loss(self, embeddings, labels, features) -> torch.Tensor:
        logits = self.classifier(embeddings)
        self.log("train/labeled_acc", (logits.argmax(1) == labels).float().mean())
        return F.cross_entropy(logits, labels)


class CenterLossEmbedding(SoftmaxEmbedding):
    """Softmax cross-entropy + ``center_weight`` x centre loss on the embedding: the
    classifier separates the classes, the centres make each class compact.

    Args:
        center_weight: lambda, the weight of the centre loss.
        center_lr_scale: the centres' learning rate relative to the network's (the
            paper's alpha).
    """

    def __init__(self, center_weight: float = 0.01, center_lr_scale: float = 5.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.center_loss = CenterLoss(self.num_classes, self.hparams.embedding_dim)

    def metric_loss(self, embeddings, labels, features) -> torch.Tensor:
        softmax = super().metric_loss(embeddings, labels, features)
        centre = self.center_loss(embeddings, labels)
        self.log_dict({"train/softmax_loss": softmax, "train/center_loss": centre})
        return softmax + self.hparams.center_weight * centre

    def parameter_groups(self) -> list[dict]:
        centres = self.center_loss.centers
        groups = super().parameter_groups()
        for group in groups:
            group["params"] = [p for p in group["params"] if p is not centres]
        return [
            *groups,
            {"params": [centres], "name": "centers", "lr_scale": self.hparams.center_lr_scale},
        ]
