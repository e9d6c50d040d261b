"""How many pseudo-labels a semi-supervised method uses, and how many are right."""

from __future__ import annotations

import lightning as L
import torch

from transferlab.callbacks.watch import WatchOnly


class PseudoLabelQuality(WatchOnly, L.Callback):
    """At the end of every training epoch, compare the method's pseudo-labels of the whole
    unlabeled pool with the pool's true labels and log ``pseudo/kept`` (count),
    ``pseudo/kept_share`` and ``pseudo/precision`` (share of kept labels that are right).

    For reporting only: the true labels are read here, outside the LightningModule, and
    never reach a loss. Works with any :class:`SemiSupervisedModule` on data whose
    unlabeled pool still has its labels on disk (the offline digits, image folders).

    Args:
        every_n_epochs: measure every n epochs (one pass over the pool each time).
    """

    def __init__(self, every_n_epochs: int = 1) -> None:
        self.every_n_epochs = every_n_epochs
        self.history: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.cannot_watch(trainer):
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs or not hasattr(
            pl_module, "pool_pseudo_labels"
        ):
            return
        labels, kept = pl_module.pool_pseudo_labels()
        truth = torch.cat(
            [y for _, y in trainer.datamodule.eval_dataloader("target", "train", labeled=True)]
        )
        correct = (labels == truth) & kept
        record = {
            "pseudo/kept": float(kept.sum()),
            "pseudo/kept_share": float(kept.float().mean()),
            "pseudo/precision": float(correct.sum() / kept.sum().clamp_min(1)),
        }
        self.history.append({"epoch": trainer.current_epoch, **record})
        pl_module.log_dict(record)
