"""Domain-Adversarial Neural Network (Ganin et al., JMLR 2016)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.losses import domain_adversarial_loss, gradient_reversal
from transferlab.methods.base import TransferModule
from transferlab.schedules import dann_lambda


class DANN(TransferModule):
    """Source classification + a domain discriminator behind a gradient-reversal layer.

    The features are trained to classify the source *and* to fool a discriminator that
    tells source from target, so the classifier's decision boundaries carry over to the
    target. The reversal coefficient follows the paper's ``2/(1+exp(-gamma p)) - 1``; pair
    it with ``transferlab.schedules.InverseDecayLR`` for the paper's learning-rate schedule.

    Args:
        discriminator_hidden: width of the discriminator's two hidden layers.
        adaptation_weight: weight of the domain loss in the total loss.
        gamma: steepness of the reversal-coefficient schedule (10 in the paper).
    """

    def __init__(
        self,
        discriminator_hidden: int = 1024,
        adaptation_weight: float = 1.0,
        gamma: float = 10.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        width = self.backbone.num_features
        self.discriminator = nn.Sequential(
            nn.Linear(width, discriminator_hidden),
            nn.ReLU(inplace=True),
            nn.Linear(discriminator_hidden, discriminator_hidden),
            nn.ReLU(inplace=True),
            nn.Linear(discriminator_hidden, 1),
        )

    def training_step(self, batch: dict, batch_idx: int):
        (source, labels), target = batch["source"], self.target_images(batch)
        features = self.features(torch.cat([source, target]))
        class_loss = F.cross_entropy(self.head(features[: len(source)]), labels)
        coeff = dann_lambda(self.progress, self.hparams.gamma)
        domain_logits = self.discriminator(gradient_reversal(features, coeff))
        domain_loss, domain_acc = domain_adversarial_loss(
            domain_logits[: len(source)], domain_logits[len(source) :]
        )
        loss = class_loss + self.hparams.adaptation_weight * domain_loss
        self.log_dict(
            {
                "train/loss": loss,
                "train/class_loss": class_loss,
                "train/domain_loss": domain_loss,
                "train/domain_acc": domain_acc,
                "train/reversal_coeff": coeff,
            },
            prog_bar=False,
        )
        return loss
