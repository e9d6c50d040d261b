"""The bias fix for a never-seen class, on logits where the right answer is known."""

import torch

from transferlab.evaluation.class_bias import (
    per_class_accuracy,
    raise_class_bias,
    tune_class_bias,
)


def test_the_bias_that_recovers_an_underpredicted_class_is_found():
    # class 2's logit is 1.0 below the winner on its own images, and 3.0 below elsewhere
    labels = torch.tensor([2, 2, 2, 0, 1, 0])
    logits = torch.tensor(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.5, 0.0]]
        + [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [3.0, 1.0, 0.0]]
    )
    assert per_class_accuracy(logits, labels, 2) == 0.0
    bias = tune_class_bias(logits, labels, 2, torch.arange(0.0, 4.01, 0.5))
    assert 1.0 < bias < 3.0 and bias == 1.5  # the smallest that wins, below what hurts
    assert per_class_accuracy(raise_class_bias(logits, 2, bias), labels, 2) == 1.0
    assert torch.equal(logits[:, :2], raise_class_bias(logits, 2, bias)[:, :2])


def test_no_bias_when_nothing_is_underpredicted():
    labels = torch.tensor([0, 1])
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    assert tune_class_bias(logits, labels, 2) == 0.0
