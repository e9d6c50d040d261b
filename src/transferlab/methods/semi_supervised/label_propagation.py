"""Deep label propagation (Iscen et al., CVPR 2019): spread the few labels over a kNN graph
of the network's own embeddings, then train on the spread labels, weighted by certainty."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab.losses.label_propagation import label_spreading
from transferlab.methods.semi_supervised.base import SemiSupervisedModule


class LabelPropagation(SemiSupervisedModule):
    """Alternate between propagating labels and training on them.

    After the labeled-only warm-up, every ``propagate_every`` epochs the labeled and
    unlabeled training images are embedded (backbone features, eval mode), a kNN graph is
    built on them and the labels are spread over it (:func:`label_spreading`). Each
    unlabeled image then contributes a cross-entropy towards its propagated label, weighted
    by the propagation's certainty (``1 - H / log C``).

    Args:
        k: neighbours per node of the graph.
        alpha: how far labels spread (0: stay at the seeds; close to 1: far).
        propagate_every: epochs between two propagations.
    """

    def __init__(
        self,
        k: int = 10,
        alpha: float = 0.99,
        propagate_every: int = 1,
        warmup_epochs: int = 5,
        **kwargs,
    ) -> None:
        super().__init__(warmup_epochs=warmup_epochs, **kwargs)
        self.register_buffer("propagated", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("certainty", torch.zeros(0), persistent=False)

    @torch.no_grad()
    def _embed(self, loader) -> tuple[torch.Tensor, torch.Tensor | None]:
        features, labels = [], []
        for batch in loader:
            images = batch[0] if isinstance(batch, list | tuple) else batch
            features.append(self.features(images.to(self.device)).cpu())
            if isinstance(batch, list | tuple):
                labels.append(batch[1])
        return torch.cat(features), torch.cat(labels) if labels else None

    def propagate(self) -> None:
        data = self.trainer.datamodule
        was_training = self.training
        self.eval()
        labeled_features, labels = self._embed(data.labeled_train_dataloader())
        pool_features, _ = self._embed(data.eval_dataloader("target", "train", labeled=False))
        self.train(was_training)
        n = len(labeled_features)
        seeds = torch.cat([labels, torch.zeros(len(pool_features), dtype=torch.long)])
        is_seed = torch.arange(len(seeds)) < n
        spread, certainty = label_spreading(
            torch.cat([labeled_features, pool_features]),
            seeds,
            is_seed,
            self.num_classes,
            k=self.hparams.k,
            alpha=self.hparams.alpha,
        )
        self.propagated = spread[n:].to(self.device)
        self.certainty = certainty[n:].to(self.device)
        self.log("train/propagation_certainty", self.certainty.mean())

    def on_train_epoch_start(self) -> None:
        if self.warming_up:
            return
        since = self.current_epoch - self.hparams.warmup_epochs
        if since % self.hparams.propagate_every == 0 or not len(self.propagated):
            self.propagate()

    @torch.no_grad()
    def pool_pseudo_labels(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not len(self.propagated):
            return super().pool_pseudo_labels()
        return self.propagated.cpu(), self.certainty.cpu() >= 0.5

    def training_step(self, batch: dict, batch_idx: int):
        loss = self.supervised_loss(batch)
        if len(self.propagated) and not self.warming_up:
            view, index = self.unlabeled_views(batch)[0], batch["target"]["index"]
            per_example = F.cross_entropy(self(view), self.propagated[index], reduction="none")
            unlabeled = (self.certainty[index] * per_example).mean()
            loss = loss + self.hparams.unlabeled_weight * unlabeled
            self.log("train/unlabeled_loss", unlabeled)
        self.log("train/loss", loss)
        return loss
