"""Domain-Adversarial Neural Network (Ganin et al., JMLR 2016)."""

from __future__ import annotations

import torch
from torch import nn

from transferlab.losses import domain_adversarial_loss, gradient_reversal
from transferlab.methods.adaptation.base import AdaptationModule


def discriminator(
    width: int, hidden: int, batch_norm: bool = False, depth: int = 2
) -> nn.Sequential:
    """The domain classifier of DANN and CDAN: ``depth`` hidden layers, one logit (source?).

    Two hidden layers is what the paper uses for its larger networks, and TLlib too; its
    MNIST network uses one of 100 units.

    ``batch_norm`` adds BatchNorm after each hidden layer, as Transfer-Learning-Library's
    discriminator does; it must then see source and target in one batch (the callers
    concatenate them), or each domain would be normalised by its own statistics.
    """

    def hidden_layer(inputs: int) -> list[nn.Module]:
        norm = [nn.BatchNorm1d(hidden)] if batch_norm else []
        return [nn.Linear(inputs, hidden), *norm, nn.ReLU(inplace=True)]

    if depth < 1:
        raise ValueError(f"discriminator_depth must be at least 1, got {depth}")
    layers = hidden_layer(width)
    for _ in range(depth - 1):
        layers += hidden_layer(hidden)
    return nn.Sequential(*layers, nn.Linear(hidden, 1))


class DANN(AdaptationModule):
    """Source classification + a domain discriminator behind a gradient-reversal layer.

    The features are trained to classify the source *and* to fool a discriminator that
    tells source from target, so the classifier's decision boundaries carry over to the
    target. The reversal coefficient follows the paper's ``2/(1+exp(-gamma p)) - 1``; pair
    it with ``transferlab.schedules.InverseDecayLR`` for the paper's learning-rate schedule.

    The discriminator sees source and target as one batch.

    Args:
        discriminator_hidden: width of the discriminator's hidden layers.
        discriminator_batch_norm: BatchNorm after each hidden layer of the discriminator.
        discriminator_depth: how many hidden layers (the paper's MNIST network: 1).
    """

    def __init__(
        self,
        discriminator_hidden: int = 1024,
        discriminator_batch_norm: bool = False,
        discriminator_depth: int = 2,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.discriminator = discriminator(
            self.backbone.num_features,
            discriminator_hidden,
            discriminator_batch_norm,
            discriminator_depth,
        )

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        features = torch.cat([source_features, target_features])
        domain_logits = self.discriminator(gradient_reversal(features, self.adaptation_coeff))
        source_domain, target_domain = domain_logits.split(
            [len(source_features), len(target_features)]
        )
        loss, accuracy = domain_adversarial_loss(source_domain, target_domain)
        return loss, {"domain_acc": accuracy}
