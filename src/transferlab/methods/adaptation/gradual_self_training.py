"""Gradual self-training (Kumar, Ma & Liang, ICML 2020): walk to the target in small steps."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab.methods.base import TransferModule, frozen_copy


class GradualSelfTraining(TransferModule):
    """Self-train through a sequence of intermediate domains, ending at the target.

    When the target is far from the source, pseudo-labels on the target are mostly wrong and
    self-training amplifies the errors. Small steps keep each pseudo-labelling accurate:
    stage 0 trains on the labeled source for ``source_epochs``; then each intermediate
    domain (``step1``, ``step2``, ... from the DataModule, e.g. ``GradualDigits``) and
    finally the target get ``epochs_per_stage`` epochs of training on the *confident*
    pseudo-labels of a frozen copy of the model as it stood at the end of the previous stage.

    Args:
        source_epochs: epochs of supervised source training before the walk starts.
        epochs_per_stage: epochs spent on each intermediate domain and on the target.
        threshold: keep a pseudo-label only when the teacher's confidence reaches it.
        source_weight: weight of a source cross-entropy kept during self-training (0 =
            pure gradual self-training, as in the paper).
    """

    trains_on_labeled_target = True

    def __init__(
        self,
        source_epochs: int = 5,
        epochs_per_stage: int = 2,
        threshold: float = 0.8,
        source_weight: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._teacher: list[torch.nn.Module] = []  # a list: not a registered submodule
        self._teacher_stage = 0

    def stage(self, epoch: int) -> int:
        """0 = source, k = k-th domain after it (intermediate ones, then the target)."""
        if epoch < self.hparams.source_epochs:
            return 0
        return 1 + (epoch - self.hparams.source_epochs) // self.hparams.epochs_per_stage

    def _domain_images(self, batch: dict, stage: int) -> torch.Tensor:
        steps = sorted((k for k in batch if k.startswith("step")), key=lambda k: int(k[4:]))
        domains = [*steps, "target"]
        key = domains[min(stage, len(domains)) - 1]
        return self.target_images({"target": batch[key]})

    def on_train_epoch_start(self) -> None:
        stage = self.stage(self.current_epoch)
        if stage > 0 and stage != self._teacher_stage:
            self._teacher = [frozen_copy(self.backbone, self.head)]
            self._teacher_stage = stage

    def training_step(self, batch: dict, batch_idx: int):
        source, labels = batch["source"]
        stage = self.stage(self.current_epoch)
        if stage == 0 or not self._teacher:
            loss = self.with_labeled_target(F.cross_entropy(self(source), labels), batch)
            self.log_dict({"train/loss": loss, "train/stage": float(stage)})
            return loss
        images = self._domain_images(batch, stage)
        with torch.no_grad():
            confidence, pseudo = self._teacher[0](images).softmax(1).max(1)
        keep = confidence >= self.hparams.threshold
        logits = self(images)
        self_loss = (F.cross_entropy(logits, pseudo, reduction="none") * keep).sum()
        self_loss = self_loss / keep.sum().clamp_min(1)
        loss = self_loss
        if self.hparams.source_weight:
            loss = loss + self.hparams.source_weight * F.cross_entropy(self(source), labels)
        loss = self.with_labeled_target(loss, batch)
        self.log_dict(
            {
                "train/loss": loss,
                "train/stage": float(stage),
                "train/pseudo_label_share": keep.float().mean(),
            }
        )
        return loss
