"""NT-Xent, SimCLR's contrastive loss (Chen et al., ICML 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """Normalised-temperature cross-entropy over 2N projections.

    ``z1[i]`` and ``z2[i]`` are two views of image ``i`` (a positive pair); each of the 2N
    projections must pick its partner out of the other 2N - 1 by cosine similarity / T.
    """
    if z1.shape != z2.shape:
        raise ValueError(f"the two views differ in shape: {tuple(z1.shape)} vs {tuple(z2.shape)}")
    n = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    similarity = z @ z.T / temperature
    similarity.fill_diagonal_(float("-inf"))
    partners = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(similarity, partners)
