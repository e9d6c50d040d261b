"""Black-box shift estimation at test time: correct a classifier for new class priors."""

from __future__ import annotations

import lightning as L
import numpy as np
import torch

from transferlab.shift.label_shift import bbse_target_priors, reweight_predictions


class LabelShiftCorrection(L.Callback):
    """Estimate the target class priors with BBSE and re-weight the target predictions.

    At test start: the model's hard predictions on the labeled *source validation* split
    give the confusion matrix, its predictions on the *unlabeled target training* images
    give the predicted-label distribution; solving ``q(ŷ) = C w`` gives ``w = q(y)/p(y)``
    (Lipton et al., 2018). During the test, target probabilities are multiplied by ``w``
    and renormalised, and ``test/target_acc_bbse`` is logged beside the uncorrected
    ``test/target_acc``. No target label is read before the test split is scored.
    """

    def __init__(self) -> None:
        self.weights: np.ndarray | None = None
        self.estimated_priors: np.ndarray | None = None
        self._hits = self._seen = 0

    @torch.no_grad()
    def _predict(self, pl_module, loader) -> tuple[np.ndarray, np.ndarray | None]:
        predictions, labels = [], []
        for batch in loader:
            images = batch[0] if isinstance(batch, list | tuple) else batch
            predictions.append(pl_module(images.to(pl_module.device)).argmax(1).cpu())
            if isinstance(batch, list | tuple):
                labels.append(batch[1])
        return torch.cat(predictions).numpy(), torch.cat(labels).numpy() if labels else None

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        data = trainer.datamodule
        source_predictions, source_labels = self._predict(
            pl_module, data.eval_dataloader("source", "val")
        )
        target_predictions, _ = self._predict(
            pl_module, data.eval_dataloader("target", "train", labeled=False)
        )
        self.estimated_priors, self.weights = bbse_target_priors(
            source_predictions, source_labels, target_predictions, pl_module.num_classes
        )
        self._hits = self._seen = 0

    @torch.no_grad()
    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        if dataloader_idx != 1 or self.weights is None:  # loader 1 is the target test split
            return
        images, labels = batch
        probabilities = pl_module(images).softmax(1).float().cpu().numpy()
        corrected = reweight_predictions(probabilities, self.weights).argmax(1)
        self._hits += int((corrected == labels.cpu().numpy()).sum())
        self._seen += len(labels)

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._seen:
            pl_module.log("test/target_acc_bbse", self._hits / self._seen)
