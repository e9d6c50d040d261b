"""Prediction entropy, used by CDAN+E, MCC, SHOT and the information-maximisation validator."""

from __future__ import annotations

import torch


def entropy(probabilities: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-sample Shannon entropy (nats) of rows of class probabilities."""
    return -(probabilities * (probabilities + eps).log()).sum(dim=-1)
