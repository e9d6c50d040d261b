"""Confident pseudo-labels: the shared core of self-training, co-training and FixMatch."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def confident_pseudo_labels(
    logits: torch.Tensor, threshold: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Arg-max labels and a mask of the predictions whose confidence reaches ``threshold``."""
    confidence, labels = logits.detach().softmax(dim=1).max(dim=1)
    return labels, confidence >= threshold


def masked_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy averaged over the *whole* batch, masked examples counting zero.

    Averaging over the batch rather than over the kept examples (FixMatch's choice) makes
    the term grow with the share of confident predictions instead of jumping when a single
    example passes the threshold.
    """
    return (F.cross_entropy(logits, targets, reduction="none") * mask.float()).mean()


def exchange_pseudo_labels(
    logits_a: torch.Tensor, logits_b: torch.Tensor, threshold: float
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Co-training's exchange: each model's confident predictions become the *other*
    model's targets. Returns ``((targets_for_a, mask_for_a), (targets_for_b, mask_for_b))``.
    """
    labels_a, confident_a = confident_pseudo_labels(logits_a, threshold)
    labels_b, confident_b = confident_pseudo_labels(logits_b, threshold)
    return (labels_b, confident_b), (labels_a, confident_a)
