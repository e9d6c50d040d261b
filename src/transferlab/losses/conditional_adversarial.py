"""The conditioning of CDAN (Long et al., NeurIPS 2018).

CDAN's discriminator sees the multilinear map ``f ⊗ g`` of features and class
predictions, so it aligns the *class-conditional* feature distributions, not only the
marginal one. With entropy conditioning (CDAN+E), examples with confident predictions
weigh more: ``w = 1 + exp(-H(g))``.
"""

from __future__ import annotations

import torch
from torch import nn

from transferlab.losses.entropy import entropy


def multilinear_map(features: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
    """Flattened outer product ``f ⊗ g`` per sample: (n, d) x (n, c) -> (n, d*c)."""
    return torch.bmm(probabilities.unsqueeze(2), features.unsqueeze(1)).flatten(1)


class RandomizedMultilinearMap(nn.Module):
    """``(R_f f) ⊙ (R_g g) / sqrt(dim)``: CDAN's randomized map when ``d*c`` is too large.

    The random matrices are fixed buffers (saved in checkpoints), never trained.
    """

    def __init__(self, feature_dim: int, num_classes: int, output_dim: int = 1024) -> None:
        super().__init__()
        self.register_buffer("feature_projection", torch.randn(feature_dim, output_dim))
        self.register_buffer("class_projection", torch.randn(num_classes, output_dim))
        self.output_dim = output_dim

    def forward(self, features: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        projected = (features @ self.feature_projection) * (probabilities @ self.class_projection)
        return projected / self.output_dim**0.5


def entropy_weights(probabilities: torch.Tensor) -> torch.Tensor:
    """CDAN+E weights ``1 + exp(-H)``, normalised to mean 1 within the batch."""
    weights = 1.0 + torch.exp(-entropy(probabilities))
    return weights / weights.mean()
