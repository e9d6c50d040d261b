"""Contrastive and triplet losses against hand values; miners pick what they claim;
centre loss pulls features to their centres; retrieval metrics on known embeddings."""

import pytest
import torch

from transferlab.evaluation.retrieval import retrieval_metrics, verification_auc
from transferlab.losses.metric import (
    CenterLoss,
    balanced_pairs,
    batch_all_triplets,
    batch_hard_triplets,
    contrastive_loss,
    semi_hard_triplets,
    triplet_loss,
)


def test_contrastive_loss_is_the_seed_formula_including_the_margin_edge():
    d = torch.tensor([0.5, 0.5, 2.0, 1.0])
    y = torch.tensor([0, 1, 1, 1])  # Y = 0 positive pair, 1 negative pair; margin 1
    # positive: 0.5 * 0.25; negative inside margin: 0.5 * 0.25; beyond: 0; at margin: 0
    expected = (0.125 + 0.125 + 0.0 + 0.0) / 4
    assert contrastive_loss(d, y, margin=1.0).item() == pytest.approx(expected)


def test_triplet_loss_is_the_hinge_on_the_distance_gap_with_margin_edges():
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [1.1, 0.0]])
    margin = 1.0
    # (a=0, p=1, n=2): 1 + 1 - 3 = -1 -> 0 (easy);  (a=0, p=1, n=3): 1 + 1 - 1.1 = 0.9
    loss = triplet_loss(
        z, (torch.tensor([0, 0]), torch.tensor([1, 1]), torch.tensor([2, 3])), margin
    )
    assert loss.item() == pytest.approx(0.9, abs=1e-4)  # mean over active triplets only
    empty = (torch.tensor([], dtype=torch.long),) * 3
    assert triplet_loss(z, empty, margin).item() == 0.0


def test_balanced_pairs_has_every_positive_and_as_many_negatives():
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    first, second, different = balanced_pairs(labels, torch.Generator().manual_seed(0))
    positives = different == 0
    assert int(positives.sum()) == 4 == int((~positives).sum())  # 3 + 1 positive pairs
    assert torch.all(labels[first[positives]] == labels[second[positives]])
    assert torch.all(labels[first[~positives]] != labels[second[~positives]])


def test_batch_all_finds_every_valid_triplet():
    labels = torch.tensor([0, 0, 1])
    anchor, positive, negative = batch_all_triplets(labels)
    assert sorted(zip(anchor.tolist(), positive.tolist(), negative.tolist(), strict=True)) == [
        (0, 1, 2),
        (1, 0, 2),
    ]


def test_batch_hard_takes_the_farthest_positive_and_the_nearest_negative():
    z = torch.tensor([[0.0], [1.0], [3.0], [2.0], [10.0]])
    labels = torch.tensor([0, 0, 0, 1, 1])
    distances = torch.cdist(z, z)
    anchor, positive, negative = batch_hard_triplets(distances, labels)
    first = anchor.tolist().index(0)
    assert positive[first] == 2 and negative[first] == 3


def test_semi_hard_negatives_lie_between_the_positive_and_the_margin():
    z = torch.tensor([[0.0], [1.0], [0.5], [1.5], [5.0]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    distances = torch.cdist(z, z)
    anchor, positive, negative = semi_hard_triplets(distances, labels, margin=1.0)
    pairs = dict(
        zip(zip(anchor.tolist(), positive.tolist(), strict=True), negative.tolist(), strict=True)
    )
    assert pairs[(0, 1)] == 3  # d_ap = 1: 0.5 is too close, 5 too far, 1.5 is semi-hard
    for a, p, n in zip(anchor, positive, negative, strict=True):
        assert distances[a, p] < distances[a, n] < distances[a, p] + 1.0


def test_center_loss_pulls_features_toward_their_centres():
    torch.manual_seed(0)
    loss_fn = CenterLoss(num_classes=2, dim=2)
    features = torch.randn(20, 2, requires_grad=True)
    labels = torch.arange(2).repeat(10)
    optimizer = torch.optim.SGD(
        [{"params": [features], "lr": 10.0}, {"params": loss_fn.parameters(), "lr": 1.0}]
    )
    before = loss_fn(features, labels).item()
    for _ in range(20):
        optimizer.zero_grad()
        loss_fn(features, labels).backward()
        optimizer.step()
    assert loss_fn(features, labels).item() < 0.1 * before
    assert loss_fn(loss_fn.centers[labels].detach(), labels).item() == 0.0


def test_retrieval_metrics_on_known_embeddings():
    # two tight classes: every neighbour is right; then swap one item's label
    z = torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.98, 0.2], [0.0, 1.0], [0.1, 0.99], [0.2, 0.98]])
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    perfect = retrieval_metrics(z, labels, ks=(1, 2))
    assert perfect == {
        "precision_at_1": 1.0,
        "recall_at_1": 1.0,
        "recall_at_2": 1.0,
        "map_at_r": 1.0,
    }
    assert verification_auc(z, labels) == 1.0
    mixed = retrieval_metrics(z, torch.tensor([0, 0, 1, 1, 1, 0]), ks=(1,))
    assert mixed["precision_at_1"] < 1.0 and mixed["map_at_r"] < 1.0
