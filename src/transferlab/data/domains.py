"""The source/target DataModule that every domain-adaptation run uses.

Training batches are dicts ``{"source": (images, labels), "target": images}``: the
labeled source is paired with *unlabeled* target images, the shorter side cycled. Target
labels appear in a training batch (``"target": (images, labels)``) only under
``oracle: true``, the protocol that measures the upper bound and is labelled as such.

Evaluation loaders come in a fixed order, ``[source, target]``, so a LightningModule can
name them without looking into the DataModule. Validation target batches are images only
(for label-free validators), labeled only under the oracle protocol or when
``target_val_labels`` asks for them *to report* an oracle-selected checkpoint beside the
label-free one (they then reach validation metrics, never a loss or the label-free
selection score); test batches are
labeled on both sides and are never used for training or selection. Each domain is split
once, with a seed, into disjoint train / val / test parts; the target test part is never
trained on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import lightning as L
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import DataLoader, Dataset, Subset

from transferlab.data.datasets import EpochSeededSampler, Unlabeled, split_indices

SPLITS = ("train", "val", "test")


class DomainDataModule(L.LightningDataModule, ABC):
    """Base class: subclasses say how to load a domain; this class splits and serves it.

    Args:
        source: name of the labeled source domain.
        target: name of the target domain (unlabeled during training).
        batch_size: images per domain per step (a DA step sees twice this many).
        num_workers: DataLoader worker processes.
        val_fraction: share of each domain held out for validation.
        test_fraction: share of each domain held out for the final test.
        split_seed: seed of the train/val/test split and of the training order.
        oracle: expose target labels to training and to checkpoint selection. Only for
            measuring the upper bound; every number it produces is labelled ``oracle``.
        target_val_labels: serve target *validation* labels so that ``val/target_acc`` is
            logged and a benchmark can report the oracle-selected checkpoint of the same
            run next to the label-free one. Training batches stay unlabeled.
    """

    def __init__(
        self,
        source: str,
        target: str,
        batch_size: int = 64,
        num_workers: int = 0,
        val_fraction: float = 0.1,
        test_fraction: float = 0.2,
        split_seed: int = 0,
        oracle: bool = False,
        target_val_labels: bool = False,
    ) -> None:
        super().__init__()
        self.source, self.target = source, target
        self.batch_size, self.num_workers = batch_size, num_workers
        self.fractions = (val_fraction, test_fraction)
        self.split_seed, self.oracle = split_seed, oracle
        self.target_val_labels = target_val_labels
        self.splits: dict[str, dict[str, Dataset]] = {}

    # -- what a subclass provides ---------------------------------------------------------
    @abstractmethod
    def load_domain(self, name: str, train: bool) -> Dataset:
        """The whole domain as a labeled dataset of (image tensor, label).

        ``train`` says whether the result feeds the training split, so that a subclass can
        give that copy its augmentation and the evaluation copy none.
        """

    @property
    @abstractmethod
    def classes(self) -> list[str]:
        """Class names, shared by source and target (checked by the subclass)."""

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    # -- splitting ------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        for role, name in (("source", self.source), ("target", self.target)):
            train_copy, eval_copy = self.load_domain(name, True), self.load_domain(name, False)
            val_fraction, test_fraction = self.fractions
            train_idx, val_idx, test_idx = split_indices(
                len(eval_copy),
                (1 - val_fraction - test_fraction, val_fraction, test_fraction),
                seed=self.split_seed + (0 if role == "source" else 1),
            )
            self.splits[role] = {
                "train": Subset(train_copy, train_idx),
                "val": Subset(eval_copy, val_idx),
                "test": Subset(eval_copy, test_idx),
            }

    # -- loaders --------------------------------------------------------------------------
    def _loader(self, dataset: Dataset, train: bool, seed_offset: int = 0) -> DataLoader:
        sampler = EpochSeededSampler(len(dataset), self.split_seed + seed_offset) if train else None
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            drop_last=train,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def eval_dataloader(self, role: str, split: str, labeled: bool = True) -> DataLoader:
        """A fixed-order loader over one split of one domain, for analysis outside training.

        ``labeled=False`` strips the labels, e.g. to look at target training images.
        """
        dataset = self.splits[role][split]
        return self._loader(dataset if labeled else Unlabeled(dataset), train=False)

    def labeled_train_dataloader(self, shuffle: bool = False) -> DataLoader:
        """The labeled training split in a fixed order (source, or target under oracle).

        Used by methods that fit something outside gradient descent on the training
        features, e.g. the SVM of feature extraction.
        """
        role = "target" if self.oracle else "source"
        dataset = self.splits[role]["train"]
        if shuffle:
            return self._loader(dataset, train=True)
        return DataLoader(dataset, batch_size=self.batch_size, num_workers=self.num_workers)

    def train_dataloader(self) -> CombinedLoader:
        target = self.splits["target"]["train"]
        return CombinedLoader(
            {
                "source": self._loader(self.splits["source"]["train"], train=True),
                "target": self._loader(target if self.oracle else Unlabeled(target), True, 1),
            },
            mode="max_size_cycle",
        )

    def val_dataloader(self) -> list[DataLoader]:
        target = self.splits["target"]["val"]
        return [
            self._loader(self.splits["source"]["val"], train=False),
            self._loader(
                target if self.oracle or self.target_val_labels else Unlabeled(target),
                train=False,
            ),
        ]

    def test_dataloader(self) -> list[DataLoader]:
        return [
            self._loader(self.splits[role]["test"], train=False) for role in ("source", "target")
        ]

    def predict_dataloader(self) -> DataLoader:
        return self._loader(Unlabeled(self.splits["target"]["test"]), train=False)
