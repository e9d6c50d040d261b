"""SimCLR (Chen et al., ICML 2020): self-supervised contrastive pretraining, with the
online linear probe and kNN monitor that tell during training whether it is working."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.evaluation.selection import DomainAccuracies
from transferlab.losses.contrastive import nt_xent
from transferlab.methods.base import MethodModule


class SimCLR(MethodModule):
    """Two views of an unlabeled image must find each other among the batch (NT-Xent on a
    projection head's output); the labels are never used by that loss.

    Monitors, neither of which touches the backbone's gradients:

    * an *online linear probe* -- ``head`` trained with cross-entropy on the detached
      features of the labeled batch; its validation accuracy is ``val/source_acc`` and
      the checkpoint selection score (test: ``test/source_acc``, ``test/target_acc``);
    * a *kNN monitor* -- ``val/knn_acc``: cosine k-nearest-neighbour vote of the labeled
      training features for every validation image.

    Train it on ``SemiSupervisedDigits`` (or an image folder) with
    ``unlabeled_views: [contrastive, contrastive]``; the pretrained backbone is then
    loadable by any method with ``--model.init_args.weights <this run's .ckpt>``.

    Args:
        projection_dim: output size of the projection head.
        projection_hidden: hidden size of the projection head.
        temperature: NT-Xent temperature.
        knn_k: neighbours of the kNN monitor.
    """

    # Pretraining: its head is an online probe that only monitors the features, so it is
    # not deployable; export the feature-extraction or fine-tuning run built on them.

    def __init__(
        self,
        projection_dim: int = 128,
        projection_hidden: int = 512,
        temperature: float = 0.5,
        knn_k: int = 20,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.head = nn.Linear(self.backbone.num_features, self.num_classes)
        self.accuracy = DomainAccuracies(self.num_classes)
        self.projector = nn.Sequential(
            nn.Linear(self.backbone.num_features, projection_hidden),
            nn.BatchNorm1d(projection_hidden),
            nn.ReLU(inplace=True),
            nn.Linear(projection_hidden, projection_dim),
        )
        self._bank: tuple[torch.Tensor, torch.Tensor] | None = None
        self._knn_hits, self._knn_seen = 0, 0

    def training_step(self, batch: dict, batch_idx: int):
        target = batch["target"]
        views = target["views"] if isinstance(target, dict) else None
        if not views or len(views) < 2:
            raise ValueError("SimCLR needs data.unlabeled_views: [contrastive, contrastive]")
        n = len(views[0])
        projections = self.projector(self.features(torch.cat(views[:2])))
        contrastive = nt_xent(projections[:n], projections[n:], self.hparams.temperature)
        images, labels = batch["source"]
        with torch.no_grad():
            probe_features = self.features(images)
        probe_logits = self.head(probe_features)
        probe = F.cross_entropy(probe_logits, labels)
        self.log_dict(
            {
                "train/loss": contrastive,
                "train/nt_xent": contrastive,
                "train/probe_loss": probe,
                "train/probe_acc": (probe_logits.argmax(1) == labels).float().mean(),
            }
        )
        return contrastive + probe

    # -- kNN monitor -----------------------------------------------------------------------
    # -- evaluation: the probe's accuracy per domain, and the kNN monitor -----------------
    def _evaluate(self, stage: str, batch, dataloader_idx: int) -> torch.Tensor | None:
        """The probe's accuracy on a labeled batch, for every domain its loader stands for
        (unlabeled target validation images have none); the features, if it had labels."""
        if not isinstance(batch, list | tuple):
            return None
        features = self.features(batch[0])
        logits = self.head(features)
        for domain in self.eval_domains(stage)[dataloader_idx]:
            if self.scores_labels(stage, domain):
                self.accuracy.record(stage, domain, logits, batch[1])
        return features

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate("test", batch, dataloader_idx)

    def on_test_epoch_end(self) -> None:
        self.accuracy.log_epoch("test", self.log)

    @torch.no_grad()
    def on_validation_epoch_start(self) -> None:
        features, labels = [], []
        for images, batch_labels in self.trainer.datamodule.labeled_train_dataloader():
            features.append(F.normalize(self.features(images.to(self.device)), dim=1))
            labels.append(batch_labels.to(self.device))
        self._bank = torch.cat(features), torch.cat(labels)
        self._knn_hits, self._knn_seen = 0, 0

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        features = self._evaluate("val", batch, dataloader_idx)
        source = "source" in self.eval_domains("val")[dataloader_idx]
        if source and features is not None and self._bank is not None:
            predictions = self.knn_predict(features)
            self._knn_hits += int((predictions == batch[1]).sum())
            self._knn_seen += len(predictions)

    def knn_predict(self, features: torch.Tensor) -> torch.Tensor:
        """Similarity-weighted vote of the k nearest labeled training features."""
        bank, labels = self._bank
        similarity = F.normalize(features, dim=1) @ bank.T
        top, index = similarity.topk(min(self.hparams.knn_k, len(bank)), dim=1)
        votes = torch.zeros(len(features), self.num_classes, device=features.device)
        votes.scatter_add_(1, labels[index], (top / 0.07).exp())
        return votes.argmax(1)

    def on_validation_epoch_end(self) -> None:
        accuracies = self.accuracy.log_epoch("val", self.log)
        selected = accuracies.get("target" if self.hparams.oracle else "source")
        if selected is not None:
            self.log("val/select_score", selected)
        if self._knn_seen:
            self.log("val/knn_acc", self._knn_hits / self._knn_seen)
