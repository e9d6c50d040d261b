"""What the semi-supervised methods share: the labeled loss, the unlabeled views, a
warm-up, frozen teachers, and pseudo-labels of the whole unlabeled pool for reporting."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab.losses.pseudo_labels import confident_pseudo_labels
from transferlab.methods.base import TransferModule


class SemiSupervisedModule(TransferModule, family_base=True):
    """Base of methods trained on ``SemiSupervisedDigits`` / ``SemiSupervisedImageFolder``.

    Args:
        threshold: confidence a pseudo-label needs before it is trained on.
        unlabeled_weight: weight of the unlabeled term against the labeled cross-entropy.
        warmup_epochs: epochs of labeled-only training before the unlabeled term starts
            (pseudo-labels of a random network are noise).
    """

    def __init__(
        self,
        threshold: float = 0.95,
        unlabeled_weight: float = 1.0,
        warmup_epochs: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)

    @staticmethod
    def unlabeled_views(batch: dict) -> list[torch.Tensor]:
        target = batch["target"]
        if not isinstance(target, dict) or "views" not in target:
            raise TypeError(
                "this method needs unlabeled views: train it on transferlab.data."
                "SemiSupervisedDigits or SemiSupervisedImageFolder"
            )
        return target["views"]

    @property
    def warming_up(self) -> bool:
        return self.current_epoch < self.hparams.warmup_epochs

    def supervised_loss(self, batch: dict) -> torch.Tensor:
        images, labels = batch["source"]
        logits = self(images)
        self.log("train/labeled_acc", (logits.argmax(1) == labels).float().mean())
        return F.cross_entropy(logits, labels)

    def pseudo_labels(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The labels this method would train on for ``images`` now, and which it keeps.
        Defaults to the model's own confident predictions."""
        return confident_pseudo_labels(self(images), self.hparams.threshold)

    @torch.no_grad()
    def pool_pseudo_labels(self) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`pseudo_labels` over the whole unlabeled pool, in the pool's order."""
        loader = self.trainer.datamodule.eval_dataloader("target", "train", labeled=False)
        was_training = self.training
        self.eval()
        labels, kept = [], []
        for images in loader:
            batch_labels, batch_kept = self.pseudo_labels(images.to(self.device))
            labels.append(batch_labels.cpu())
            kept.append(batch_kept.cpu())
        self.train(was_training)
        return torch.cat(labels), torch.cat(kept)
