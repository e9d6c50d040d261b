"""What the metric-learning methods share: an embedding head and retrieval evaluation."""

from __future__ import annotations

from abc import abstractmethod

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.evaluation.retrieval import retrieval_metrics, verification_auc
from transferlab.methods.base import MethodModule


class MetricLearningModule(MethodModule, family_base=True):
    """Backbone -> ``embedding`` (a linear map to ``embedding_dim``); a subclass adds its
    loss on the embeddings of a class-balanced batch (``ClassSplitDigits``).

    Evaluation embeds every validation / test image and scores retrieval per domain:
    ``{stage}/{domain}_acc`` is precision@1 (so it fills the same table column as
    classification accuracy), plus ``recall_at_k``, ``map_at_r`` and ``verification_auc``.
    "source" are new images of the seen classes (this selects the checkpoint), "target"
    images of the held-out classes (never seen in training).

    Args:
        embedding_dim: size of the embedding.
        normalize: L2-normalise the embedding (distances then lie in [0, 2]).
    """

    def __init__(self, embedding_dim: int = 64, normalize: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedding = nn.Linear(self.backbone.num_features, embedding_dim)
        self._embeddings: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        z = self.embedding(self.features(images))
        return F.normalize(z, dim=1) if self.hparams.normalize else z

    @abstractmethod
    def metric_loss(self, embeddings: torch.Tensor, labels: torch.Tensor, features) -> torch.Tensor:
        """The method's loss on a batch's embeddings (and backbone features, if needed)."""

    def training_step(self, batch, batch_idx: int):
        images, labels = batch
        features = self.features(images)
        z = self.embedding(features)
        z = F.normalize(z, dim=1) if self.hparams.normalize else z
        loss = self.metric_loss(z, labels, features)
        self.log("train/loss", loss)
        return loss

    # -- retrieval evaluation --------------------------------------------------------------
    def on_validation_epoch_start(self) -> None:
        self._embeddings = {}

    on_test_epoch_start = on_validation_epoch_start

    def _collect(self, stage: str, batch, dataloader_idx: int) -> None:
        images, labels = batch
        embedded = (self.embed(images).cpu(), labels.cpu())
        for domain in self.eval_domains(stage)[dataloader_idx]:
            self._embeddings.setdefault(domain, []).append(embedded)

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._collect("val", batch, dataloader_idx)

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._collect("test", batch, dataloader_idx)

    def _log_retrieval(self, stage: str) -> None:
        for domain, chunks in self._embeddings.items():
            embeddings = torch.cat([z for z, _ in chunks])
            labels = torch.cat([y for _, y in chunks])
            if len(labels.unique()) < 2:
                continue
            metrics = retrieval_metrics(embeddings, labels)
            metrics["verification_auc"] = verification_auc(embeddings, labels)
            precision_at_1 = metrics.pop("precision_at_1")
            self.log(f"{stage}/{domain}_acc", precision_at_1)
            self.log_dict({f"{stage}/{domain}_{name}": value for name, value in metrics.items()})
            if stage == "val" and domain == "source":
                self.log("val/select_score", precision_at_1)

    def on_validation_epoch_end(self) -> None:
        self._log_retrieval("val")

    def on_test_epoch_end(self) -> None:
        self._log_retrieval("test")
