"""Supervised training on the labeled domain: the baseline every method must beat."""

from __future__ import annotations

from typing import Literal

import torch
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

    The overfitting remedies of a supervised classifier are switches here (augmentation,
    early stopping, dropout and L2 live in the data, the trainer preset
    ``configs/trainer/early_stopping.yaml``, ``drop_rate`` and the optimizer's
    ``weight_decay``; see the docs' guide "Overfitting remedies").

    Args:
        train_on: ``source`` (the labeled source, plus labeled target images if any) or
            ``target_labeled`` (only the few labeled target images).
        label_smoothing: the share of each target spread over the other classes
            (``F.cross_entropy``'s ``label_smoothing``; 0: none).
        mixup_alpha: mixup (Zhang et al., ICLR 2018): train on convex mixes of two images
            and their labels, the mix weight drawn from Beta(alpha, alpha); 0: none.
        l1_weight: weight of an L1 penalty on every weight matrix and kernel (not biases
            or normalisation), which drives weights to exactly zero; 0: none.
    """

    trains_on_labeled_target = True

    def __init__(
        self,
        train_on: Literal["source", "target_labeled"] = "source",
        label_smoothing: float = 0.0,
        mixup_alpha: float = 0.0,
        l1_weight: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in [("label_smoothing", label_smoothing), ("mixup_alpha", mixup_alpha)]:
            if value < 0 or (name == "label_smoothing" and value >= 1):
                raise ValueError(f"model.{name} must be in [0, 1), got {value}")
        if l1_weight < 0:
            raise ValueError(f"model.l1_weight must be >= 0, got {l1_weight}")

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
        logits, loss = self.supervised_loss(images, labels)
        loss = self.with_labeled_target(loss, batch)
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/labeled_acc", (logits.argmax(-1) == labels).float().mean())
        return loss

    def supervised_loss(self, images, labels) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and cross-entropy of a labeled batch, with the configured remedies."""
        smoothing, alpha = self.hparams.label_smoothing, self.hparams.mixup_alpha
        if alpha > 0:
            share = torch.distributions.Beta(alpha, alpha).sample().to(images.device)
            partner = torch.randperm(len(images), device=images.device)
            logits = self(share * images + (1 - share) * images[partner])
            loss = share * F.cross_entropy(logits, labels, label_smoothing=smoothing)
            loss = loss + (1 - share) * F.cross_entropy(
                logits, labels[partner], label_smoothing=smoothing
            )
        else:
            logits = self(images)
            loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
        if self.hparams.l1_weight > 0:
            weights = [p for p in self.parameters() if p.dim() > 1 and p.requires_grad]
            penalty = sum(p.abs().sum() for p in weights)
            self.log("train/l1_penalty", penalty)
            loss = loss + self.hparams.l1_weight * penalty
        return logits, loss
