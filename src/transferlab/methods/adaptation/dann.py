"""Domain-Adversarial Neural Network (Ganin et al., JMLR 2016)."""

from __future__ import annotations

from torch import nn

from transferlab.losses import domain_adversarial_loss, gradient_reversal
from transferlab.methods.adaptation.base import AdaptationModule


def discriminator(width: int, hidden: int) -> nn.Sequential:
    """The two-hidden-layer domain classifier of DANN and CDAN (one logit: source?)."""
    return nn.Sequential(
        nn.Linear(width, hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, 1),
    )


class DANN(AdaptationModule):
    """Source classification + a domain discriminator behind a gradient-reversal layer.

    The features are trained to classify the source *and* to fool a discriminator that
    tells source from target, so the classifier's decision boundaries carry over to the
    target. The reversal coefficient follows the paper's ``2/(1+exp(-gamma p)) - 1``; pair
    it with ``transferlab.schedules.InverseDecayLR`` for the paper's learning-rate schedule.

    Args:
        discriminator_hidden: width of the discriminator's two hidden layers.
    """

    def __init__(self, discriminator_hidden: int = 1024, **kwargs) -> None:
        super().__init__(**kwargs)
        self.discriminator = discriminator(self.backbone.num_features, discriminator_hidden)

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        coeff = self.adaptation_coeff
        source_domain = self.discriminator(gradient_reversal(source_features, coeff))
        target_domain = self.discriminator(gradient_reversal(target_features, coeff))
        loss, accuracy = domain_adversarial_loss(source_domain, target_domain)
        return loss, {"domain_acc": accuracy}
