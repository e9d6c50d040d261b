"""The domain-classification loss of adversarial adaptation (DANN and its relatives)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def domain_adversarial_loss(
    source_logits: torch.Tensor, target_logits: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Binary cross-entropy of a discriminator told source = 1, target = 0.

    Returns the loss (mean over both domains, each weighted by its batch share) and the
    discriminator's accuracy, which should drift toward 0.5 as the features align.
    """
    logits = torch.cat([source_logits, target_logits]).flatten()
    labels = torch.cat([torch.ones(len(source_logits)), torch.zeros(len(target_logits))]).to(logits)
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    accuracy = ((logits > 0).float() == labels).float().mean()
    return loss, accuracy
