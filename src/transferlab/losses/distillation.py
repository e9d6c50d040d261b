"""Knowledge distillation (Hinton, Vinyals & Dean, 2015): soft targets at a temperature."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_target_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> torch.Tensor:
    """``T^2 * KL(softmax(teacher / T) || softmax(student / T))``, averaged over the batch.

    The ``T^2`` keeps the soft term's gradients on the scale of the hard term's whatever
    the temperature (its gradients shrink as ``1 / T^2``), as the paper prescribes.
    """
    teacher = F.log_softmax(teacher_logits / temperature, dim=1)
    student = F.log_softmax(student_logits / temperature, dim=1)
    kl = F.kl_div(student, teacher, reduction="batchmean", log_target=True)
    return temperature**2 * kl


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    alpha: float,
    temperature: float,
) -> torch.Tensor:
    """``alpha * CE(student, labels) + (1 - alpha) * T^2 * KL(teacher_T || student_T)``.

    Without labels (an unlabeled transfer set) only the soft term applies, at full weight.
    """
    soft = soft_target_loss(student_logits, teacher_logits, temperature)
    if labels is None:
        return soft
    return alpha * F.cross_entropy(student_logits, labels) + (1 - alpha) * soft
