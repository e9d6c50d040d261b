import math

import torch
import torch.nn.functional as F

from transferlab.losses.distillation import distillation_loss, soft_target_loss


def test_soft_term_is_t_squared_times_the_kl_of_the_softened_distributions():
    student = torch.tensor([[1.0, 0.0]])
    teacher = torch.tensor([[0.0, 1.0]])
    temperature = 2.0
    p = [math.exp(0) / (math.exp(0) + math.exp(0.5)), math.exp(0.5) / (math.exp(0) + math.exp(0.5))]
    q = [math.exp(0.5) / (math.exp(0.5) + math.exp(0)), math.exp(0) / (math.exp(0.5) + math.exp(0))]
    kl = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
    assert math.isclose(
        soft_target_loss(student, teacher, temperature).item(), 4 * kl, rel_tol=1e-6
    )


def test_equal_logits_give_no_soft_term():
    logits = torch.randn(5, 10)
    assert soft_target_loss(logits, logits.clone(), 7.0).abs().item() < 1e-6


def test_alpha_one_is_cross_entropy_and_alpha_zero_is_the_soft_term():
    student, teacher = torch.randn(6, 4), torch.randn(6, 4)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    hard = F.cross_entropy(student, labels)
    soft = soft_target_loss(student, teacher, 3.0)
    assert torch.allclose(distillation_loss(student, teacher, labels, 1.0, 3.0), hard)
    assert torch.allclose(distillation_loss(student, teacher, labels, 0.0, 3.0), soft)
    mixed = distillation_loss(student, teacher, labels, 0.25, 3.0)
    assert torch.allclose(mixed, 0.25 * hard + 0.75 * soft)


def test_without_labels_only_the_soft_term_applies_at_full_weight():
    student, teacher = torch.randn(3, 5), torch.randn(3, 5)
    soft = soft_target_loss(student, teacher, 2.0)
    assert torch.allclose(distillation_loss(student, teacher, None, 0.7, 2.0), soft)
