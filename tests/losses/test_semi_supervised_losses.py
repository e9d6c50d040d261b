"""NT-Xent, pseudo-label selection and exchange, label spreading: against hand values."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from transferlab.losses.contrastive import nt_xent
from transferlab.losses.label_propagation import label_spreading
from transferlab.losses.pseudo_labels import (
    confident_pseudo_labels,
    exchange_pseudo_labels,
    masked_cross_entropy,
)


def test_nt_xent_matches_a_hand_computed_value():
    # two images, two views each, unit vectors in 2-D: z1 = [e1, e2], z2 = [e1, e2]
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z2 = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # scale must not matter (cosine)
    t = 0.5
    # row 0 (view 1 of image 0): similarities to [z1_1, z2_0, z2_1] = [0, 1, 0] / t
    expected = -math.log(math.exp(1 / t) / (math.exp(0) + math.exp(1 / t) + math.exp(0)))
    assert nt_xent(z1, z2, t).item() == pytest.approx(expected, rel=1e-6)


def test_nt_xent_is_lower_when_views_agree_and_rejects_mismatched_views():
    torch.manual_seed(0)
    z = torch.randn(8, 16)
    assert nt_xent(z, z + 0.01 * torch.randn(8, 16)) < nt_xent(z, torch.randn(8, 16))
    with pytest.raises(ValueError, match="differ in shape"):
        nt_xent(z, z[:4])


def test_pseudo_labels_respect_the_threshold():
    probabilities = torch.tensor([[0.96, 0.04], [0.94, 0.06], [0.02, 0.98], [0.5, 0.5]])
    labels, keep = confident_pseudo_labels(probabilities.log(), threshold=0.95)
    assert labels.tolist()[:3] == [0, 0, 1]
    assert keep.tolist() == [True, False, True, False]


def test_masked_cross_entropy_averages_over_the_whole_batch():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    targets = torch.tensor([0, 0])
    mask = torch.tensor([True, False])
    expected = F.cross_entropy(logits[:1], targets[:1]) / 2
    assert masked_cross_entropy(logits, targets, mask) == pytest.approx(expected.item())


def test_co_training_exchanges_only_confident_predictions_to_the_other_model():
    sure, unsure = 6.0, 0.1
    logits_a = torch.tensor([[sure, 0.0], [unsure, 0.0], [0.0, sure]])
    logits_b = torch.tensor([[0.0, unsure], [0.0, sure], [0.0, sure]])
    (for_a, keep_a), (for_b, keep_b) = exchange_pseudo_labels(logits_a, logits_b, 0.9)
    assert keep_b.tolist() == [True, False, True]  # what A was sure of goes to B
    assert for_b[keep_b].tolist() == [0, 1]
    assert keep_a.tolist() == [False, True, True]  # what B was sure of goes to A
    assert for_a[keep_a].tolist() == [1, 1]


def two_clusters(n=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, 8, generator=g) * 0.5 + torch.eye(8)[0] * 4
    b = torch.randn(n, 8, generator=g) * 0.5 + torch.eye(8)[1] * 4
    return torch.cat([a, b]), torch.cat([torch.zeros(n), torch.ones(n)]).long()


def test_label_spreading_recovers_two_well_separated_clusters_from_one_label_each():
    features, truth = two_clusters()
    labeled = torch.zeros(len(truth), dtype=torch.bool)
    labeled[[0, 60]] = True
    spread, certainty = label_spreading(features, truth, labeled, 2, k=5)
    assert torch.equal(spread, truth)
    assert certainty.min() > 0.5


def test_label_spreading_agrees_with_scikit_learn_on_the_same_embeddings():
    from sklearn.semi_supervised import LabelSpreading

    g = torch.Generator().manual_seed(1)
    centres = torch.randn(4, 16, generator=g) * 3
    truth = torch.arange(4).repeat_interleave(50)
    features = centres[truth] + torch.randn(200, 16, generator=g) * 1.5
    labeled = torch.zeros(200, dtype=torch.bool)
    labeled[torch.arange(0, 200, 25)] = True  # two labels per class
    ours, _ = label_spreading(F.normalize(features, dim=1), truth, labeled, 4, k=10, alpha=0.99)
    sk_labels = np.where(labeled.numpy(), truth.numpy(), -1)
    sklearn = LabelSpreading(kernel="knn", n_neighbors=10, alpha=0.99, max_iter=2000)
    sklearn.fit(F.normalize(features, dim=1).numpy(), sk_labels)
    agreement = (ours.numpy() == sklearn.transduction_).mean()
    assert agreement > 0.9
    assert (ours == truth).float().mean() > 0.9
