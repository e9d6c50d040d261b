"""MMD, JMMD, CORAL, CDAN conditioning, MCC and MCD against hand-computed values."""

import math

import pytest
import torch

from transferlab.losses.class_confusion import classifier_discrepancy, minimum_class_confusion
from transferlab.losses.conditional_adversarial import (
    RandomizedMultilinearMap,
    entropy_weights,
    multilinear_map,
)
from transferlab.losses.coral import coral, covariance
from transferlab.losses.entropy import entropy
from transferlab.losses.mmd import joint_mmd, mmd


def test_mmd_of_identical_samples_is_zero_and_of_shifted_samples_positive():
    x = torch.randn(64, 5, generator=torch.Generator().manual_seed(0))
    assert mmd(x, x.clone()).abs() < 1e-6
    assert mmd(x, x + 2.0) > 0.1


def test_mmd_hand_computed_single_kernel():
    x, y = torch.tensor([[0.0]]), torch.tensor([[1.0]])
    # one kernel exp(-d^2 / s) with s = 1: k(x,x)=k(y,y)=1, k(x,y)=e^-1
    value = mmd(x, y, num_kernels=1, bandwidth=1.0)
    assert value.item() == pytest.approx(2 - 2 * math.exp(-1), rel=1e-6)


def test_mmd_grows_with_the_shift():
    x = torch.randn(100, 3, generator=torch.Generator().manual_seed(1))
    y = torch.randn(100, 3, generator=torch.Generator().manual_seed(2))
    assert mmd(x, y + 0.5) < mmd(x, y + 1.5)


def test_joint_mmd_sees_a_shift_in_one_layer_only():
    g = torch.Generator().manual_seed(3)
    features = torch.randn(50, 4, generator=g)
    labels = torch.softmax(torch.randn(50, 3, generator=g), 1)
    same = joint_mmd([features, labels], [features.clone(), labels.clone()])
    shifted = joint_mmd([features, labels], [features.clone(), labels.roll(1, dims=1)])
    assert same.abs() < 1e-6 and shifted > 1e-3
    with pytest.raises(ValueError):
        joint_mmd([features], [])


def test_coral_is_zero_for_equal_covariances_and_matches_the_formula():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(200, 3, generator=g)
    assert coral(x, x + 5.0).abs() < 1e-6  # a mean shift does not change covariance
    y = x * torch.tensor([1.0, 2.0, 1.0])
    expected = (covariance(x) - covariance(y)).pow(2).sum() / (4 * 9)
    assert coral(x, y).item() == pytest.approx(expected.item())
    assert torch.allclose(covariance(x), torch.cov(x.T), atol=1e-6)


def test_entropy_of_uniform_and_certain_predictions():
    assert entropy(torch.full((1, 4), 0.25)).item() == pytest.approx(math.log(4), rel=1e-5)
    assert entropy(torch.tensor([[1.0, 0.0]])).item() == pytest.approx(0.0, abs=1e-6)


def test_multilinear_map_is_the_outer_product():
    f, g = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.25, 0.75]])
    assert multilinear_map(f, g).tolist() == [[0.25, 0.5, 0.75, 1.5]]
    random_map = RandomizedMultilinearMap(2, 2, output_dim=8)
    assert random_map(f, g).shape == (1, 8)
    assert set(dict(random_map.named_buffers())) == {"feature_projection", "class_projection"}


def test_entropy_weights_favour_confident_examples():
    weights = entropy_weights(torch.tensor([[0.99, 0.01], [0.5, 0.5]]))
    assert weights[0] > weights[1] and weights.mean().item() == pytest.approx(1.0)


def test_mcc_is_zero_for_confident_distinct_classes_and_positive_for_confusion():
    confident = torch.eye(4) * 50
    assert minimum_class_confusion(confident).item() == pytest.approx(0.0, abs=1e-6)
    confused = torch.zeros(4, 4)
    # all-equal logits: every row of C is uniform, off-diagonal mass 3/4 per class
    assert minimum_class_confusion(confused).item() == pytest.approx(0.75, rel=1e-6)


def test_classifier_discrepancy():
    a = torch.tensor([[10.0, -10.0]])
    assert classifier_discrepancy(a, a).item() == pytest.approx(0.0)
    assert classifier_discrepancy(a, -a).item() == pytest.approx(1.0, rel=1e-4)
