"""FixMatch (Sohn et al., NeurIPS 2020): the weak view labels the strong view."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab.losses.pseudo_labels import confident_pseudo_labels, masked_cross_entropy
from transferlab.methods.semi_supervised.base import SemiSupervisedModule


class FixMatch(SemiSupervisedModule):
    """Labeled cross-entropy + cross-entropy of the *strong* view of each unlabeled image
    against the confident arg-max of its *weak* view (threshold 0.95 in the paper).

    Needs ``unlabeled_views: [weak, strong]`` in the data.
    """

    def training_step(self, batch: dict, batch_idx: int):
        views = self.unlabeled_views(batch)
        if len(views) < 2:
            raise ValueError("FixMatch needs data.unlabeled_views: [weak, strong]")
        (images, labels), (weak, strong) = batch["source"], views[:2]
        n, u = len(images), len(weak)
        logits = self(torch.cat([images, weak, strong]))  # one pass: shared BN statistics
        labeled_logits, weak_logits, strong_logits = logits[:n], logits[n : n + u], logits[n + u :]
        supervised = F.cross_entropy(labeled_logits, labels)
        targets, keep = confident_pseudo_labels(weak_logits, self.hparams.threshold)
        unlabeled = masked_cross_entropy(strong_logits, targets, keep)
        weight = 0.0 if self.warming_up else self.hparams.unlabeled_weight
        loss = supervised + weight * unlabeled
        self.log_dict(
            {
                "train/loss": loss,
                "train/unlabeled_loss": unlabeled,
                "train/pseudo_label_share": keep.float().mean(),
                "train/labeled_acc": (labeled_logits.argmax(1) == labels).float().mean(),
            }
        )
        return loss
