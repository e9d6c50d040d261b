"""Label spreading on a k-nearest-neighbour graph of embeddings (Zhou et al., 2004),
with the graph of Iscen et al. (CVPR 2019, "Label Propagation for Deep Semi-supervised
Learning"): cosine similarities of the k nearest neighbours raised to ``gamma``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def knn_graph(features: torch.Tensor, k: int, gamma: float = 3.0, chunk: int = 1024):
    """Symmetric, normalised affinity ``D^-1/2 W D^-1/2`` as a sparse matrix.

    Neighbours are found in row chunks, so memory grows with ``chunk * n``, not ``n^2``.
    """
    n = len(features)
    k = min(k, n - 1)
    x = F.normalize(features.float(), dim=1)
    rows, cols, values = [], [], []
    for start in range(0, n, chunk):
        similarity = x[start : start + chunk] @ x.T
        similarity[torch.arange(len(similarity)), torch.arange(start, start + len(similarity))] = -2
        top, index = similarity.topk(k, dim=1)
        rows.append(torch.arange(start, start + len(similarity)).repeat_interleave(k))
        cols.append(index.flatten())
        values.append(top.clamp_min(0).pow(gamma).flatten())
    w = torch.sparse_coo_tensor(
        torch.stack([torch.cat(rows), torch.cat(cols)]),
        torch.cat(values),
        (n, n),
        check_invariants=False,
    )
    w = (w + w.t()).coalesce()
    degree = torch.sparse.sum(w, dim=1).to_dense().clamp_min(1e-12)
    scale = degree.rsqrt()
    i, j = w.indices()
    return torch.sparse_coo_tensor(
        w.indices(), w.values() * scale[i] * scale[j], (n, n), check_invariants=False
    )


def label_spreading(
    features: torch.Tensor,
    labels: torch.Tensor,
    labeled: torch.Tensor,
    num_classes: int,
    k: int = 10,
    alpha: float = 0.99,
    iterations: int = 20,
    gamma: float = 3.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spread the labels of the ``labeled`` rows over the graph.

    Iterates ``F <- alpha * S F + (1 - alpha) * Y``. Returns the arg-max label of every row
    and a certainty weight in [0, 1], ``1 - H(p) / log(classes)`` of the row-normalised
    scores, by which a training loss can trust each propagated label.
    """
    graph = knn_graph(features, k, gamma)
    seeds = torch.zeros(len(features), num_classes)
    seeds[labeled, labels[labeled]] = 1.0
    scores = seeds.clone()
    for _ in range(iterations):
        scores = alpha * torch.sparse.mm(graph, scores) + (1 - alpha) * seeds
    probabilities = scores.clamp_min(0) / scores.clamp_min(0).sum(1, keepdim=True).clamp_min(1e-12)
    entropy = -(probabilities * probabilities.clamp_min(1e-12).log()).sum(1)
    weight = (1 - entropy / math.log(num_classes)).clamp(0, 1)
    weight[probabilities.sum(1) == 0] = 0.0  # rows the labels never reached
    return probabilities.argmax(1), weight
