"""Conditional Domain Adversarial Network (Long et al., NeurIPS 2018), with CDAN+E."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab.losses import gradient_reversal
from transferlab.losses.conditional_adversarial import (
    RandomizedMultilinearMap,
    entropy_weights,
    multilinear_map,
)
from transferlab.methods.adaptation.base import AdaptationModule
from transferlab.methods.adaptation.dann import discriminator


class CDAN(AdaptationModule):
    """A domain discriminator on the multilinear map of features and predictions.

    Conditioning on the classifier's predictions lets the adversary see class structure,
    so alignment happens per class. ``entropy_conditioning: true`` is CDAN+E: confident
    examples weigh more in the domain loss.

    Args:
        discriminator_hidden: width of the discriminator's hidden layers.
        discriminator_batch_norm: BatchNorm after each hidden layer of the discriminator.
        entropy_conditioning: CDAN+E's ``1 + exp(-H)`` example weights.
        randomized: use the randomized map (of ``randomized_dim``) instead of the full
            ``features x classes`` outer product; the paper switches at 4096 dimensions.
        randomized_dim: output size of the randomized map.
    """

    def __init__(
        self,
        discriminator_hidden: int = 1024,
        discriminator_batch_norm: bool = False,
        entropy_conditioning: bool = False,
        randomized: bool = False,
        randomized_dim: int = 1024,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        width = self.backbone.num_features
        if randomized:
            self.random_map = RandomizedMultilinearMap(width, self.num_classes, randomized_dim)
            map_width = randomized_dim
        else:
            self.random_map = None
            map_width = width * self.num_classes
        self.discriminator = discriminator(
            map_width, discriminator_hidden, discriminator_batch_norm
        )

    def conditioned(self, features: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        if self.random_map is not None:
            return self.random_map(features, probabilities)
        return multilinear_map(features, probabilities)

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        features = torch.cat([source_features, target_features])
        probabilities = torch.softmax(torch.cat([source_logits, target_logits]), 1).detach()
        joint = self.conditioned(gradient_reversal(features, self.adaptation_coeff), probabilities)
        logits = self.discriminator(joint).flatten()
        n = len(source_features)
        labels = torch.cat([torch.ones(n), torch.zeros(len(features) - n)]).to(logits)
        if self.hparams.entropy_conditioning:
            weights = torch.cat(
                [entropy_weights(probabilities[:n]), entropy_weights(probabilities[n:])]
            )
        else:
            weights = torch.ones_like(logits)
        loss = F.binary_cross_entropy_with_logits(logits, labels, weight=weights)
        accuracy = ((logits > 0).float() == labels).float().mean()
        return loss, {"domain_acc": accuracy}
