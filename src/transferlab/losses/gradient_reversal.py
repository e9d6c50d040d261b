"""Gradient reversal (Ganin & Lempitsky, 2015): identity forward, ``-coeff * grad`` backward."""

from __future__ import annotations

import torch
from torch import nn


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, coeff: float) -> torch.Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.coeff * grad_output, None


def gradient_reversal(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    """Pass ``x`` through unchanged; multiply its gradient by ``-coeff`` on the way back.

    The feature extractor below this layer is thereby trained to *maximise* the loss of
    whatever sits above it (a domain discriminator), in one backward pass.
    """
    return _GradientReversal.apply(x, coeff)


class GradientReversal(nn.Module):
    """Module form of :func:`gradient_reversal`; ``coeff`` may be changed during training."""

    def __init__(self, coeff: float = 1.0) -> None:
        super().__init__()
        self.coeff = coeff

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gradient_reversal(x, self.coeff)

    def extra_repr(self) -> str:
        return f"coeff={self.coeff}"
