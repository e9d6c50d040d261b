"""Supervised training on the labeled domain: the baseline every method must beat."""

from __future__ import annotations

from typing import Literal

import torch.nn.functional as F

from transferlab.methods.base import TransferModule


class SourceOnly(TransferModule):
    """Cross-entropy on labeled source images; the target is seen only at test time.

    With ``oracle: true`` (set on the data) it trains on *labeled target* images instead:
    the upper bound that tells how much of the domain gap a method closes.

    With a few labeled target images (``data.target_labels_per_class``) it trains on both
    (the "S+T" baseline of semi-supervised adaptation); ``train_on: target_labeled`` trains
    on those few target labels alone (with ``FineTuning`` from a source checkpoint: plain
    fine-tuning on the target labels).

    Args:
        train_on: ``source`` (the labeled source, plus labeled target images if any) or
            ``target_labeled`` (only the few labeled target images).
    """

    trains_on_labeled_target = True

    def __init__(self, train_on: Literal["source", "target_labeled"] = "source", **kwargs):
        super().__init__(**kwargs)

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = getattr(self.trainer, "datamodule", None)
        if self.hparams.train_on == "target_labeled" and not getattr(
            datamodule, "target_labels_per_class", 0
        ):
            raise ValueError("model.train_on=target_labeled needs data.target_labels_per_class > 0")

    def training_step(self, batch: dict, batch_idx: int):
        if self.hparams.train_on == "target_labeled":
            images, labels = batch["target_labeled"]
            logits = self(images)
            loss = F.cross_entropy(logits, labels)
            self.log("train/loss", loss, prog_bar=True)
            return loss
        images, labels = self.labeled_batch(batch)
        logits = self(images)
        loss = self.with_labeled_target(F.cross_entropy(logits, labels), batch)
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/labeled_acc", (logits.argmax(-1) == labels).float().mean())
        return loss
