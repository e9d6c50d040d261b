"""Instance-based transfer: train on source examples weighted by how target-like they are."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.losses.importance import classifier_density_ratio, kernel_mean_matching
from transferlab.methods.base import TransferModule
from transferlab.schedules import dann_lambda


class ImportanceWeighting(TransferModule):
    """Importance-weighted source cross-entropy, weights estimated on the fly per batch.

    The weights come from the current (detached) features, so they follow the
    representation as it trains; they are faded in with DANN's ramp, because the density
    ratio of random early features means nothing. The features are not aligned: this is
    the right tool when the target is a re-weighting of the source (covariate or label
    shift with overlapping support), not when the domains look different (MNIST -> MNIST-M).

    Args:
        estimator: ``domain_classifier`` (a logistic head on detached features, trained
            alongside) or ``kmm`` (kernel mean matching per batch).
        max_weight: clip for the weights (the ratio explodes where the source is rare).
        gamma: steepness of the fade-in ramp.
    """

    trains_on_labeled_target = True

    def __init__(
        self,
        estimator: Literal["domain_classifier", "kmm"] = "domain_classifier",
        max_weight: float = 10.0,
        gamma: float = 10.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.domain_head = nn.Linear(self.backbone.num_features, 1)

    def source_weights(self, source_features, target_features) -> tuple[torch.Tensor, torch.Tensor]:
        """Weights (mean 1) for the source rows, and the domain head's loss (0 for KMM)."""
        source_features, target_features = source_features.detach(), target_features.detach()
        domain_logits = self.domain_head(torch.cat([source_features, target_features])).flatten()
        n = len(source_features)
        domains = torch.cat([torch.zeros(n), torch.ones(len(target_features))]).to(domain_logits)
        domain_loss = F.binary_cross_entropy_with_logits(domain_logits, domains)
        if self.hparams.estimator == "kmm":
            weights = kernel_mean_matching(
                source_features, target_features, self.hparams.max_weight
            )
        else:
            weights = classifier_density_ratio(
                domain_logits[:n].detach(), n, len(target_features), self.hparams.max_weight
            )
        weights = weights / weights.mean().clamp_min(1e-12)
        ramp = dann_lambda(self.progress, self.hparams.gamma)
        return 1 + ramp * (weights - 1), domain_loss

    def training_step(self, batch: dict, batch_idx: int):
        (source, labels), target = batch["source"], self.target_images(batch)
        features = self.features(torch.cat([source, target]))
        n = len(source)
        weights, domain_loss = self.source_weights(features[:n], features[n:])
        per_example = F.cross_entropy(self.head(features[:n]), labels, reduction="none")
        class_loss = (weights * per_example).mean()
        loss = self.with_labeled_target(class_loss + domain_loss, batch)
        self.log_dict(
            {
                "train/loss": loss,
                "train/weighted_class_loss": class_loss,
                "train/domain_loss": domain_loss,
                "train/max_weight": weights.max(),
                "train/weight_std": weights.std(),
            }
        )
        return loss
