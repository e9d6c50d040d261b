"""Maximum Classifier Discrepancy (Saito et al., CVPR 2018), with manual optimization."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.losses.class_confusion import classifier_discrepancy
from transferlab.methods.base import TransferModule


class MCD(TransferModule):
    """Two classifiers disagree on target examples far from the source; the features learn
    to move those examples where the classifiers agree.

    Each training step has the paper's three parts, with two optimizers (Lightning manual
    optimization): (A) backbone and both classifiers learn the source; (B) the classifiers
    learn the source while *maximising* their disagreement on the target; (C) the backbone
    *minimises* that disagreement, ``generator_steps`` times. Evaluation uses the mean of
    both classifiers' logits.

    Args:
        generator_steps: repetitions of step C (``num_k`` in the paper, 4 for digits).
    """

    # Two heads averaged: not the one-backbone, one-head network that exports.
    deployable = False

    trains_on_labeled_target = True

    def __init__(self, generator_steps: int = 4, **kwargs) -> None:
        super().__init__(**kwargs)
        self.automatic_optimization = False
        self.head2 = nn.Linear(self.backbone.num_features, self.num_classes)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return (self.head(features) + self.head2(features)) / 2

    def configure_optimizers(self):
        # the generator at the backbone's rates (backbone_lr_scale, backbone_lr_decay)
        backbone = self.make_optimizer(  # an empty group when the backbone is frozen
            self.backbone_parameter_groups() or [{"params": [], "name": "backbone"}]
        )
        classifiers = self.optimizer_factory(
            [{"params": [*self.head.parameters(), *self.head2.parameters()], "name": "heads"}]
        )
        if self.scheduler_factory is None:
            return [backbone, classifiers]
        schedulers = [self.make_scheduler(opt) for opt in (backbone, classifiers)]
        return [backbone, classifiers], schedulers

    def _source_loss(self, features, labels):
        return F.cross_entropy(self.head(features), labels) + F.cross_entropy(
            self.head2(features), labels
        )

    def training_step(self, batch: dict, batch_idx: int) -> None:
        (source, labels), target = batch["source"], self.target_images(batch)
        backbone_opt, heads_opt = self.optimizers()

        # A: everything learns the source
        source_loss = self._source_loss(self.features(source), labels)
        if "target_labeled" in batch:
            target_images, target_labels = batch["target_labeled"]
            source_loss = source_loss + self._source_loss(
                self.features(target_images), target_labels
            )
        self._step([backbone_opt, heads_opt], source_loss)

        # B: classifiers keep the source, maximise disagreement on the target
        with torch.no_grad():
            source_features, target_features = self.features(source), self.features(target)
        disagreement = classifier_discrepancy(
            self.head(target_features), self.head2(target_features)
        )
        classifier_loss = self._source_loss(source_features, labels) - disagreement
        self._step([heads_opt], classifier_loss)

        # C: the backbone minimises the disagreement
        for _ in range(self.hparams.generator_steps):
            features = self.features(target)
            discrepancy = classifier_discrepancy(self.head(features), self.head2(features))
            self._step([backbone_opt], discrepancy)

        for scheduler in self.lr_schedulers() or []:
            if getattr(scheduler, "interval", "epoch") == "step":
                scheduler.step()
        self.log_dict(
            {
                "train/loss": source_loss,
                "train/source_loss": source_loss,
                "train/discrepancy": discrepancy,
            }
        )

    def _step(self, optimizers, loss: torch.Tensor) -> None:
        for optimizer in optimizers:
            optimizer.zero_grad()
        self.manual_backward(loss)
        for optimizer in optimizers:
            optimizer.step()

    def on_train_epoch_end(self) -> None:
        for scheduler in self.lr_schedulers() or []:
            if getattr(scheduler, "interval", "epoch") == "epoch":
                scheduler.step()
