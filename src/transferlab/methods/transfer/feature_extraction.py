"""Transfer by feature extraction: a frozen pretrained backbone feeds new classifiers."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from transferlab.methods.transfer.source_only import SourceOnly


class FeatureExtraction(SourceOnly):
    """Frozen backbone + a new linear head, and an SVM fitted on the same features.

    The backbone stays in eval mode, so even its BatchNorm statistics keep what they learned
    on the pretraining data. At test time an RBF SVM is fitted on the features of the labeled
    training split, and ``test/<domain>_acc_svm`` is logged beside the linear head's number.

    Args:
        fit_svm: also fit and evaluate the SVM at test time.
        svm_c: the SVM's regularisation constant ``C``.
    """

    def __init__(self, fit_svm: bool = True, svm_c: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.backbone.requires_grad_(False)
        self.svm = None
        self._svm_hits: dict[str, list[int]] = {}

    def on_train_epoch_start(self) -> None:
        # Lightning switches every module to train mode before the epoch; the frozen
        # backbone must not update its BatchNorm statistics.
        self.backbone.eval()

    @torch.no_grad()
    def _training_features(self) -> tuple[np.ndarray, np.ndarray]:
        features, labels = [], []
        for images, batch_labels in self.trainer.datamodule.labeled_train_dataloader():
            features.append(self.features(images.to(self.device)).cpu())
            labels.append(batch_labels)
        return torch.cat(features).numpy(), torch.cat(labels).numpy()

    def on_test_start(self) -> None:
        if not self.hparams.fit_svm or getattr(self.trainer, "datamodule", None) is None:
            return
        features, labels = self._training_features()
        self.svm = make_pipeline(StandardScaler(), SVC(C=self.hparams.svm_c)).fit(features, labels)
        self._svm_hits = {}

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        features = self._evaluate("test", batch, dataloader_idx)
        if self.svm is None or not isinstance(batch, list | tuple):  # no labels: no accuracy
            return
        predicted = self.svm.predict(features.cpu().numpy())
        hits = int((predicted == batch[1].cpu().numpy()).sum())
        for domain in self.eval_domains("test")[dataloader_idx]:
            total = self._svm_hits.setdefault(domain, [0, 0])
            total[0], total[1] = total[0] + hits, total[1] + len(predicted)

    def on_test_epoch_end(self) -> None:
        super().on_test_epoch_end()
        for domain, (hits, count) in self._svm_hits.items():
            self.log(f"test/{domain}_acc_svm", hits / count)
