import math

import pytest
import torch

from transferlab.losses import domain_adversarial_loss


def test_undecided_discriminator_costs_log_two():
    loss, accuracy = domain_adversarial_loss(torch.zeros(4, 1), torch.zeros(6, 1))
    assert math.isclose(loss.item(), math.log(2), rel_tol=1e-6)
    assert accuracy.item() == pytest.approx(
        0.6
    )  # logit 0 -> predicts target for all: 6 of 10 right


def test_hand_computed_value():
    source, target = torch.tensor([[2.0]]), torch.tensor([[-1.0]])
    expected = 0.5 * (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.0)))
    loss, accuracy = domain_adversarial_loss(source, target)
    assert math.isclose(loss.item(), expected, rel_tol=1e-6)
    assert accuracy.item() == 1.0


def test_confidently_wrong_discriminator_costs_more_than_right_one():
    right, _ = domain_adversarial_loss(torch.full((3, 1), 4.0), torch.full((3, 1), -4.0))
    wrong, accuracy = domain_adversarial_loss(torch.full((3, 1), -4.0), torch.full((3, 1), 4.0))
    assert wrong > right
    assert accuracy.item() == 0.0
