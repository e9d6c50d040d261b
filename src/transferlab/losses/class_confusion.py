"""Minimum Class Confusion (Jin et al., ECCV 2020) and the MCD classifier discrepancy."""

from __future__ import annotations

import torch

from transferlab.losses.entropy import entropy


def minimum_class_confusion(logits: torch.Tensor, temperature: float = 2.5) -> torch.Tensor:
    """MCC loss on unlabeled target logits.

    Temperature-scaled probabilities ``Y`` (n x c) give the class correlation
    ``C = Y^T W Y``, where ``W`` up-weights confident (low-entropy) examples; each row of C
    is normalised to sum to 1, and the loss is the off-diagonal mass ``(sum C - tr C) / c``.
    Minimising it discourages the classifier from confusing classes on the target.
    """
    n, c = logits.shape
    probabilities = torch.softmax(logits / temperature, dim=1)
    weight = 1 + torch.exp(-entropy(probabilities.detach()))
    weight = (n * weight / weight.sum()).unsqueeze(1)
    confusion = (probabilities * weight).T @ probabilities
    confusion = confusion / confusion.sum(dim=1, keepdim=True)
    return (confusion.sum() - confusion.trace()) / c


def classifier_discrepancy(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """MCD's discrepancy: mean absolute difference of two classifiers' probabilities."""
    return (torch.softmax(first, dim=1) - torch.softmax(second, dim=1)).abs().mean()
