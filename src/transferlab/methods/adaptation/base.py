"""The shared training step of domain-adaptation methods that add one loss term.

Source and target images go through the backbone together (one forward pass, shared
BatchNorm statistics), the source half is classified, and the method's
:meth:`adaptation_loss` sees both halves' features and logits. A method file then holds
only its own term: an MMD, a covariance distance, a discriminator, a confusion penalty.
"""

from __future__ import annotations

from abc import abstractmethod

import torch
import torch.nn.functional as F

from transferlab.methods.base import TransferModule
from transferlab.schedules import dann_lambda


class AdaptationModule(TransferModule, family_base=True):
    """Base for one-term adaptation methods.

    With a few labeled target images (``data.target_labels_per_class``) they join the
    joint forward pass and get their own cross-entropy term; the adaptation term still
    sees only the source and the unlabeled target.

    Args:
        adaptation_weight: weight of the adaptation term in the total loss.
        gamma: steepness of the ramp ``2/(1+exp(-gamma p)) - 1`` that methods use to fade
            their term in (DANN's schedule); see :attr:`adaptation_coeff`.
    """

    trains_on_labeled_target = True

    def __init__(self, adaptation_weight: float = 1.0, gamma: float = 10.0, **kwargs) -> None:
        super().__init__(**kwargs)

    @property
    def adaptation_coeff(self) -> float:
        """Ramp from 0 to 1 over training: keeps the adaptation term from acting on
        random features in the first steps."""
        return dann_lambda(self.progress, self.hparams.gamma)

    @abstractmethod
    def adaptation_loss(
        self,
        source_features: torch.Tensor,
        target_features: torch.Tensor,
        source_logits: torch.Tensor,
        target_logits: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor | float]]:
        """The method's own loss term and anything it wants logged under ``train/``."""

    def training_step(self, batch: dict, batch_idx: int):
        (source, labels), target = batch["source"], self.target_images(batch)
        labeled_target = batch.get("target_labeled", (source[:0], labels[:0]))[0]
        features = self.features(torch.cat([source, labeled_target, target]))
        logits = self.head(features)
        n, m = len(source), len(source) + len(labeled_target)
        class_loss = F.cross_entropy(logits[:n], labels)
        term, logs = self.adaptation_loss(features[:n], features[m:], logits[:n], logits[m:])
        loss = class_loss + self.hparams.adaptation_weight * term
        target_term = self.labeled_target_loss(batch, logits[n:m])
        if target_term is not None:
            loss = loss + target_term
        self.log_dict(
            {
                "train/loss": loss,
                "train/class_loss": class_loss,
                "train/adaptation_loss": term,
                "train/adaptation_coeff": self.adaptation_coeff,
                **{f"train/{key}": value for key, value in logs.items()},
            }
        )
        return loss
