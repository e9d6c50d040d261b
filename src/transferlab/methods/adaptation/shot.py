"""SHOT: source-free domain adaptation (Liang et al., ICML 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab import checkpoints
from transferlab.losses.entropy import entropy
from transferlab.methods.base import TransferModule


def load_source_model(module: TransferModule, path: str) -> None:
    """Copy backbone and head weights from a transferlab checkpoint (weights only)."""
    checkpoint = checkpoints.read_checkpoint(path)
    method = checkpoint["transferlab"]["method"]
    for part in ("backbone", "head"):
        checkpoints.load_part(
            getattr(module, part),
            checkpoints.prefixed(checkpoint["state_dict"], part),
            f"source checkpoint {path} ({method}) does not fit this model",
        )


class SHOT(TransferModule):
    """Adapt a source-trained model with unlabeled target data only: no source data at all.

    The source classifier (the hypothesis) is frozen; the backbone learns target features
    that the frozen classifier can read. Two losses: information maximisation (each
    prediction confident, all classes used) and cross-entropy on self-supervised pseudo
    labels, i.e. each target example's nearest class centroid in feature space, recomputed
    at the start of every epoch from the whole target training split.

    ``batch["source"]`` is never read. Select checkpoints with a label-free validator on
    target data (``validator: im`` in the config), since a source-free deployment has no
    source validation data either.

    Args:
        source_checkpoint: a checkpoint of a source-trained model with the same backbone
            (e.g. from ``transferlab fit -c configs/source_only/...``).
        pseudo_label_weight: weight of the pseudo-label cross-entropy (0.3 in the paper).
        diversity_weight: weight of the diversity half of information maximisation.
    """

    trains_on_labeled_target = True

    def __init__(
        self,
        source_checkpoint: str | None = None,
        pseudo_label_weight: float = 0.3,
        diversity_weight: float = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if source_checkpoint is not None:
            load_source_model(self, source_checkpoint)
        self.head.requires_grad_(False)
        self.register_buffer(
            "centroids", torch.zeros(self.num_classes, self.backbone.num_features + 1)
        )

    def on_fit_start(self) -> None:
        super().on_fit_start()
        if self.hparams.source_checkpoint is None:
            raise ValueError(
                "SHOT adapts a source-trained model: set model.init_args.source_checkpoint to a "
                "checkpoint of e.g. configs/source_only/<task>.yaml"
            )

    @staticmethod
    def _normalized(features: torch.Tensor) -> torch.Tensor:
        with_bias = torch.cat([features, torch.ones(len(features), 1, device=features.device)], 1)
        return F.normalize(with_bias, dim=1)

    @torch.no_grad()
    def on_train_epoch_start(self) -> None:
        """Class centroids of the target features, weighted by the current predictions,
        then refined once with hard assignments (SHOT's clustering step)."""
        was_training = self.training
        self.eval()
        features, probabilities = [], []
        loader = self.trainer.datamodule.eval_dataloader("target", "train", labeled=False)
        for images in loader:
            batch_features = self.features(images.to(self.device))
            features.append(self._normalized(batch_features))
            probabilities.append(self.classify(batch_features).softmax(1))
        features, probabilities = torch.cat(features), torch.cat(probabilities)
        centroids = probabilities.T @ features / probabilities.sum(0).unsqueeze(1).clamp_min(1e-8)
        for _ in range(2):
            labels = (features @ F.normalize(centroids, dim=1).T).argmax(1)
            hard = F.one_hot(labels, self.num_classes).float()
            centroids = hard.T @ features / hard.sum(0).unsqueeze(1).clamp_min(1e-8)
        self.centroids.copy_(F.normalize(centroids, dim=1))
        self.train(was_training)

    def training_step(self, batch: dict, batch_idx: int):
        features = self.features(self.target_images(batch))
        logits = self.classify(features)
        probabilities = logits.softmax(1)
        confidence = entropy(probabilities).mean()
        diversity = entropy(probabilities.mean(0, keepdim=True))[0]
        pseudo = (self._normalized(features.detach()) @ self.centroids.T).argmax(1)
        pseudo_loss = F.cross_entropy(logits, pseudo)
        loss = confidence - self.hparams.diversity_weight * diversity
        loss = loss + self.hparams.pseudo_label_weight * pseudo_loss
        loss = self.with_labeled_target(loss, batch)
        self.log_dict(
            {
                "train/loss": loss,
                "train/entropy": confidence,
                "train/diversity": diversity,
                "train/pseudo_label_loss": pseudo_loss,
            }
        )
        return loss
