"""Gradual unfreezing that survives a resume."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import BackboneFinetuning


class GradualUnfreezing(BackboneFinetuning):
    """Lightning's ``BackboneFinetuning`` (the head first, the backbone from
    ``unfreeze_backbone_at_epoch`` at a rate that grows each epoch), resumable.

    Lightning's callback freezes the backbone at every fit's setup and unfreezes it only in
    the epoch it was told to, so a run resumed after that epoch put the backbone's group
    back into the optimizer but left its weights frozen to the end. Here every epoch after
    the unfreezing one makes the backbone trainable (a no-op in an unbroken run), and a
    resumed run ends where an unbroken run ends.
    """

    def finetune_function(self, pl_module: L.LightningModule, epoch: int, optimizer) -> None:
        if epoch > self.unfreeze_backbone_at_epoch:
            self.make_trainable(pl_module.backbone)
        super().finetune_function(pl_module, epoch, optimizer)
