"""Mean Teacher (Tarvainen & Valpola, NeurIPS 2017): a student matches the predictions of
an exponential moving average of itself."""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.methods.semi_supervised.base import SemiSupervisedModule


def sigmoid_rampup(progress: float) -> float:
    """The paper's ramp ``exp(-5 (1 - t)^2)`` for ``t`` in [0, 1]."""
    t = min(max(progress, 0.0), 1.0)
    return math.exp(-5.0 * (1.0 - t) ** 2)


class MeanTeacher(SemiSupervisedModule):
    """Labeled cross-entropy + a consistency cost: the squared distance between the
    student's softmax on one view and the EMA teacher's softmax on another view of the
    same unlabeled image, ramped up over ``rampup_epochs``. The teacher is saved in the
    checkpoint and, with ``evaluate_teacher``, is what validation and test measure.

    Args:
        ema_decay: the teacher's decay per step (0.99 in the paper's small-data runs).
        rampup_epochs: epochs for the consistency weight to reach ``unlabeled_weight``.
        evaluate_teacher: evaluate the teacher (usually better) rather than the student.
    """

    def __init__(
        self,
        ema_decay: float = 0.99,
        rampup_epochs: int = 5,
        evaluate_teacher: bool = True,
        unlabeled_weight: float = 10.0,
        **kwargs,
    ) -> None:
        super().__init__(unlabeled_weight=unlabeled_weight, **kwargs)
        self.teacher_backbone = copy.deepcopy(self.backbone).requires_grad_(False)
        self.teacher_head = copy.deepcopy(self.head).requires_grad_(False)

    def _evaluating_teacher(self) -> bool:
        return not self.training and self.hparams.evaluate_teacher

    def features(self, images: torch.Tensor) -> torch.Tensor:
        backbone = self.teacher_backbone if self._evaluating_teacher() else self.backbone
        return backbone(images)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        head = self.teacher_head if self._evaluating_teacher() else self.head
        return head(features)

    def deployable_network(self) -> nn.Module:
        """The network that is evaluated: the teacher unless ``evaluate_teacher`` is off."""
        if not self.hparams.evaluate_teacher:
            return super().deployable_network()
        return nn.Sequential(self.teacher_backbone, self.teacher_head)

    def teacher(self, images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.teacher_head(self.teacher_backbone(images))

    def training_step(self, batch: dict, batch_idx: int):
        views = self.unlabeled_views(batch)
        loss = self.supervised_loss(batch)
        student = self(views[0]).softmax(1)
        teacher = self.teacher(views[-1]).softmax(1)
        consistency = F.mse_loss(student, teacher, reduction="sum") / len(student)
        epochs = max(self.hparams.rampup_epochs, 1)
        weight = self.hparams.unlabeled_weight * sigmoid_rampup(
            (self.current_epoch + self.progress_in_epoch) / epochs
        )
        loss = loss + weight * consistency
        self.log_dict(
            {
                "train/loss": loss,
                "train/consistency": consistency,
                "train/consistency_weight": weight,
            }
        )
        return loss

    @property
    def progress_in_epoch(self) -> float:
        batches = self.trainer.num_training_batches
        if not batches or batches == float("inf"):
            return 0.0
        return (self.global_step % batches) / batches

    @torch.no_grad()
    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        """EMA update; the decay is lowered early on (the paper's code) so that the teacher
        does not stay near its random initialisation."""
        super().on_train_batch_end(outputs, batch, batch_idx)
        decay = min(self.hparams.ema_decay, (self.global_step + 1) / (self.global_step + 10))
        pairs = [(self.teacher_backbone, self.backbone), (self.teacher_head, self.head)]
        for teacher, student in pairs:
            for t, s in zip(teacher.parameters(), student.parameters(), strict=True):
                t.lerp_(s, 1 - decay)
            for t, s in zip(teacher.buffers(), student.buffers(), strict=True):
                t.copy_(s)
