"""Supervised training on the labeled domain: the baseline every method must beat."""

from __future__ import annotations

import torch.nn.functional as F

from transferlab.methods.base import TransferModule


class SourceOnly(TransferModule):
    """Cross-entropy on labeled source images; the target is seen only at test time.

    With ``oracle: true`` (set on the data) it trains on *labeled target* images instead:
    the upper bound that tells how much of the domain gap a method closes.
    """

    def training_step(self, batch: dict, batch_idx: int):
        images, labels = self.labeled_batch(batch)
        logits = self(images)
        loss = F.cross_entropy(logits, labels)
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/labeled_acc", (logits.argmax(-1) == labels).float().mean())
        return loss
