"""Prototypical networks (Snell, Swersky & Zemel, NeurIPS 2017)."""

from __future__ import annotations

import torch

from transferlab.methods.meta.base import EpisodicModule


def prototype_logits(
    support_features: torch.Tensor,
    support_y: torch.Tensor,
    query_features: torch.Tensor,
    ways: int,
) -> torch.Tensor:
    """Negative squared Euclidean distance of each query to each class mean."""
    prototypes = torch.stack([support_features[support_y == c].mean(0) for c in range(ways)])
    return -torch.cdist(query_features, prototypes).pow(2)


class ProtoNet(EpisodicModule):
    """Embed support and query; classify each query by its nearest class prototype (the
    mean embedding of the class's support images). The strong simple baseline of
    few-shot learning; the ``head`` is not used."""

    def task_logits(self, support_x, support_y, query_x) -> torch.Tensor:
        features = self.features(torch.cat([support_x, query_x]))
        n = len(support_x)
        return prototype_logits(features[:n], support_y, features[n:], self.num_classes)

    def parameter_groups(self) -> list[dict]:
        return [
            {
                "params": [p for p in self.backbone.parameters() if p.requires_grad],
                "name": "backbone",
            }
        ]
