"""Retrieval and verification metrics of an embedding (Musgrave et al., 2020, "A Metric
Learning Reality Check", for MAP@R). Each query is every item; the item itself is never
its own neighbour."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score


def _neighbours(embeddings: torch.Tensor, k: int) -> torch.Tensor:
    x = F.normalize(embeddings.float(), dim=1)
    similarity = x @ x.T
    similarity.fill_diagonal_(float("-inf"))
    return similarity.topk(min(k, len(x) - 1), dim=1).indices


def retrieval_metrics(
    embeddings: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 2, 4, 8)
) -> dict[str, float]:
    """precision@1, recall@k (a same-class item among the k nearest) and MAP@R, with
    cosine similarity."""
    same_class_counts = torch.bincount(labels)[labels] - 1
    r_max = int(same_class_counts.max())
    neighbours = _neighbours(embeddings, max(r_max, max(ks)))
    relevant = (labels[neighbours] == labels[:, None]).float()
    metrics = {"precision_at_1": float(relevant[:, 0].mean())}
    for k in ks:
        metrics[f"recall_at_{k}"] = float(relevant[:, :k].amax(1).mean())
    ranks = torch.arange(1, relevant.shape[1] + 1, device=relevant.device)
    within_r = ranks[None, :] <= same_class_counts[:, None]
    precision_at_i = relevant.cumsum(1) / ranks
    ap_at_r = (precision_at_i * relevant * within_r).sum(1) / same_class_counts.clamp_min(1)
    metrics["map_at_r"] = float(ap_at_r[same_class_counts > 0].mean())
    return metrics


def verification_auc(embeddings: torch.Tensor, labels: torch.Tensor) -> float:
    """ROC-AUC of "same class?" decided by cosine similarity, over all pairs."""
    x = F.normalize(embeddings.float(), dim=1)
    upper = torch.triu_indices(len(x), len(x), offset=1)
    similarity = (x[upper[0]] * x[upper[1]]).sum(1)
    same = labels[upper[0]] == labels[upper[1]]
    return float(roc_auc_score(same.cpu().numpy(), similarity.cpu().numpy()))
