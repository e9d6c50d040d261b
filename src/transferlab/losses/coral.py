"""Deep CORAL (Sun & Saenko, 2016): match the second-order statistics of two domains."""

from __future__ import annotations

import torch


def covariance(x: torch.Tensor) -> torch.Tensor:
    """Unbiased covariance of the rows of ``x`` (n x d) -> d x d."""
    centred = x - x.mean(dim=0, keepdim=True)
    return centred.T @ centred / max(len(x) - 1, 1)


def coral(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``||C_s - C_t||_F^2 / (4 d^2)``, the loss of the Deep CORAL paper."""
    d = source.shape[1]
    return (covariance(source) - covariance(target)).pow(2).sum() / (4 * d * d)
