"""Metric-learning losses and miners, as pure functions of embeddings and labels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def contrastive_loss(
    distance: torch.Tensor, different: torch.Tensor, margin: float
) -> torch.Tensor:
    """Hadsell, Chopra & LeCun (2006): ``(1 - Y) ½ D² + Y ½ max(0, m - D)²``, averaged.

    ``Y = 0`` for a positive (same-class) pair, ``1`` for a negative pair; ``D`` is the
    Euclidean distance of the pair's embeddings, ``m`` the margin beyond which negatives
    cost nothing.
    """
    y = different.float()
    return ((1 - y) * 0.5 * distance.pow(2) + y * 0.5 * F.relu(margin - distance).pow(2)).mean()


def balanced_pairs(
    labels: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every positive pair of the batch and as many random negative pairs.

    Returns index tensors ``(first, second)`` and ``different`` (1 for negatives). A batch
    of P classes x K images has P·K(K-1)/2 positive pairs; balancing keeps the loss from
    being swamped by the far more numerous negatives.
    """
    same = labels[:, None] == labels[None, :]
    upper = torch.triu(torch.ones_like(same), diagonal=1)
    positives = (same & upper).nonzero()
    negatives = (~same & upper).nonzero()
    device = labels.device
    order = torch.randperm(len(negatives), generator=generator)[: len(positives)].to(device)
    negatives = negatives[order]
    pairs = torch.cat([positives, negatives])
    different = torch.cat([torch.zeros(len(positives)), torch.ones(len(negatives))]).to(device)
    return pairs[:, 0], pairs[:, 1], different


def _masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def batch_all_triplets(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every valid (anchor, positive, negative) of the batch."""
    positive, negative = _masks(labels)
    valid = positive[:, :, None] & negative[:, None, :]
    anchor, pos, neg = valid.nonzero(as_tuple=True)
    return anchor, pos, neg


def batch_hard_triplets(
    distances: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hermans et al. (2017): for each anchor, its farthest positive and nearest negative.
    Anchors without a positive or a negative in the batch are skipped."""
    positive, negative = _masks(labels)
    usable = positive.any(1) & negative.any(1)
    hardest_positive = distances.masked_fill(~positive, float("-inf")).argmax(1)
    hardest_negative = distances.masked_fill(~negative, float("inf")).argmin(1)
    anchors = usable.nonzero().flatten()
    return anchors, hardest_positive[anchors], hardest_negative[anchors]


def semi_hard_triplets(
    distances: torch.Tensor, labels: torch.Tensor, margin: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """FaceNet (Schroff et al., 2015): for each (anchor, positive), the nearest negative
    that is farther than the positive but inside the margin,
    ``d(a, p) < d(a, n) < d(a, p) + m``. Pairs with no such negative are skipped."""
    positive, negative = _masks(labels)
    anchor, pos = positive.nonzero(as_tuple=True)
    d_ap = distances[anchor, pos][:, None]
    d_an = distances[anchor]
    candidates = negative[anchor] & (d_an > d_ap) & (d_an < d_ap + margin)
    has = candidates.any(1)
    chosen = d_an.masked_fill(~candidates, float("inf")).argmin(1)
    return anchor[has], pos[has], chosen[has]


def triplet_loss(
    embeddings: torch.Tensor,
    triplets: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    margin: float,
) -> torch.Tensor:
    """``max(0, m + d(a, p) - d(a, n))`` averaged over the triplets whose loss is positive
    (averaging over the easy zeros too would shrink the gradient as training progresses).
    Uses torch's ``triplet_margin_loss``; zero when no triplet was mined."""
    anchor, positive, negative = triplets
    if len(anchor) == 0:
        return embeddings.sum() * 0.0
    losses = F.triplet_margin_loss(
        embeddings[anchor],
        embeddings[positive],
        embeddings[negative],
        margin=margin,
        reduction="none",
    )
    active = losses > 0
    return losses[active].mean() if active.any() else losses.sum() * 0.0


class CenterLoss(nn.Module):
    """Wen et al. (ECCV 2016): ``½ ||x_i - c_{y_i}||²`` averaged, with one learned centre
    per class. Trained beside softmax cross-entropy, it pulls each class's features
    together; the centres are parameters (the paper's centre update is SGD on this loss
    with its own learning rate, which the method gives them)."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, dim) * 0.1)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return 0.5 * (features - self.centers[labels]).pow(2).sum(1).mean()
