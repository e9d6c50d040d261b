"""Self-training with confident pseudo-labels (pseudo-labelling, Lee 2013; rounds as in
Yarowsky-style self-training): train on the labels, label the unlabeled, keep what the
model is sure of, train on it, repeat."""

from __future__ import annotations

import torch

from transferlab.losses.pseudo_labels import confident_pseudo_labels, masked_cross_entropy
from transferlab.methods.base import frozen_copy
from transferlab.methods.semi_supervised.base import SemiSupervisedModule


class SelfTraining(SemiSupervisedModule):
    """Labeled cross-entropy + cross-entropy on a teacher's confident pseudo-labels.

    The teacher is a frozen snapshot of the model, refreshed at the start of every round of
    ``epochs_per_round`` epochs after the warm-up: within a round the pseudo-labels are
    fixed, as in classic round-based self-training, but computed per batch so that the
    student sees them under fresh augmentation. ``epochs_per_round: 0`` is online
    pseudo-labelling: the current model labels each batch.

    Args:
        epochs_per_round: epochs between teacher refreshes (0 = online).
    """

    def __init__(self, epochs_per_round: int = 2, warmup_epochs: int = 5, **kwargs) -> None:
        super().__init__(warmup_epochs=warmup_epochs, **kwargs)
        self._teacher: list[torch.nn.Module] = []  # a list: not a registered submodule

    def on_train_epoch_start(self) -> None:
        rounds = self.hparams.epochs_per_round
        if self.warming_up or not rounds:
            return
        new_round = (self.current_epoch - self.hparams.warmup_epochs) % rounds == 0
        if new_round or not self._teacher:
            self._teacher = [frozen_copy(self.backbone, self.head)]

    def teacher(self, images: torch.Tensor) -> torch.Tensor:
        if self._teacher:
            return self._teacher[0](images)
        with torch.no_grad():
            return self(images)

    def pseudo_labels(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return confident_pseudo_labels(self.teacher(images), self.hparams.threshold)

    def training_step(self, batch: dict, batch_idx: int):
        loss = self.supervised_loss(batch)
        if not self.warming_up:
            views = self.unlabeled_views(batch)
            targets, keep = self.pseudo_labels(views[0])
            unlabeled = masked_cross_entropy(self(views[-1]), targets, keep)
            loss = loss + self.hparams.unlabeled_weight * unlabeled
            self.log_dict(
                {"train/unlabeled_loss": unlabeled, "train/pseudo_label_share": keep.float().mean()}
            )
        self.log("train/loss", loss)
        return loss
