"""Deep co-training (Blum & Mitchell, 1998, with two networks): two models on two views
teach each other with their confident predictions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.backbones import create_backbone
from transferlab.losses.pseudo_labels import exchange_pseudo_labels, masked_cross_entropy
from transferlab.methods.semi_supervised.base import SemiSupervisedModule


class CoTraining(SemiSupervisedModule):
    """Model A (``backbone`` + ``head``) sees the first unlabeled view, model B
    (``peer_backbone`` + ``peer_head``) the last; both learn from the labeled batch. After
    the warm-up, each model's confident predictions on an unlabeled image become the other
    model's target for it -- only those above ``threshold`` are exchanged. Two different
    initialisations (or architectures, via ``peer_backbone``) and two augmentations keep
    the models' errors apart, which is what makes the exchange useful. Predictions average
    the two models' probabilities.

    Args:
        peer_backbone: timm name of model B's backbone (default: the same as model A's).
    """

    # Two networks whose probabilities are averaged: not one network to export.
    deployable = False

    def __init__(self, peer_backbone: str | None = None, warmup_epochs: int = 5, **kwargs) -> None:
        super().__init__(warmup_epochs=warmup_epochs, **kwargs)
        self.peer_backbone = create_backbone(
            peer_backbone or self.hparams.backbone,
            self.hparams.pretrained,
            self.hparams.weights,
            drop_rate=self.hparams.drop_rate,
        )
        self.peer_head = nn.Linear(self.peer_backbone.num_features, self.num_classes)
        self._split = self.backbone.num_features

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Both models' features side by side."""
        return torch.cat([self.backbone(images), self.peer_backbone(images)], dim=1)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """Log of the two models' averaged probabilities (a valid logit vector)."""
        a, b = features[:, : self._split], features[:, self._split :]
        mean = (self.head(a).softmax(1) + self.peer_head(b).softmax(1)) / 2
        return mean.clamp_min(1e-12).log()

    def model_a(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images))

    def model_b(self, images: torch.Tensor) -> torch.Tensor:
        return self.peer_head(self.peer_backbone(images))

    def training_step(self, batch: dict, batch_idx: int):
        (images, labels), views = batch["source"], self.unlabeled_views(batch)
        n = len(images)
        logits_a = self.model_a(torch.cat([images, views[0]]))
        logits_b = self.model_b(torch.cat([images, views[-1]]))
        loss = F.cross_entropy(logits_a[:n], labels) + F.cross_entropy(logits_b[:n], labels)
        (for_a, keep_a), (for_b, keep_b) = exchange_pseudo_labels(
            logits_a[n:], logits_b[n:], self.hparams.threshold
        )
        if not self.warming_up:
            unlabeled = masked_cross_entropy(logits_a[n:], for_a, keep_a) + masked_cross_entropy(
                logits_b[n:], for_b, keep_b
            )
            loss = loss + self.hparams.unlabeled_weight * unlabeled
        self.log_dict(
            {
                "train/loss": loss,
                "train/a_to_b_share": keep_b.float().mean(),
                "train/b_to_a_share": keep_a.float().mean(),
                "train/views_agree": (logits_a[n:].argmax(1) == logits_b[n:].argmax(1))
                .float()
                .mean(),
            }
        )
        return loss
