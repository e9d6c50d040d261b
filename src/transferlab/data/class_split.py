"""Seen / held-out classes of a digit domain, for metric learning.

An embedding is trained on the *seen* classes ("source") and judged by retrieval on
*held-out* classes it never saw ("target"), the way face verification or
re-identification meets new identities. Training batches are class-balanced: P classes x
K images, which every triplet miner and pair sampler needs.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Sampler, Subset

from transferlab.data.datasets import dataset_labels, split_indices
from transferlab.data.digit_domains import DigitDomains, OfflineDigitDomain


class ClassBalancedBatches(Sampler[list[int]]):
    """Batches of ``classes_per_batch`` random classes x ``samples_per_class`` images,
    seeded per epoch like :class:`EpochSeededSampler` (resumable, reproducible)."""

    def __init__(self, labels, classes_per_batch, samples_per_class, batches, seed) -> None:
        self.by_class = [(labels == c).nonzero().flatten() for c in labels.unique()]
        if classes_per_batch > len(self.by_class):
            raise ValueError(
                f"classes_per_batch={classes_per_batch} but only {len(self.by_class)} seen classes"
            )
        self.p, self.k, self.batches, self.seed, self.epoch = (
            classes_per_batch,
            samples_per_class,
            batches,
            seed,
            0,
        )

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.batches

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        for _ in range(self.batches):
            batch = []
            for c in torch.randperm(len(self.by_class), generator=generator)[: self.p].tolist():
                members = self.by_class[c]
                picks = torch.randint(len(members), (self.k,), generator=generator)
                batch += members[picks].tolist()
            yield batch


class ClassSplitDigits(DigitDomains):
    """Seen classes of ``domain`` for training; held-out classes for retrieval tests.

    Labels of the seen classes are renumbered ``0..S-1`` (the softmax and centre-loss
    heads have S outputs); held-out images keep their digit as label, used only to score
    retrieval. Validation and test come as ``[seen classes, held-out classes]``; the
    checkpoint is selected on the seen classes' validation images.

    Args:
        domain: the offline domain (``mnist``, ``mnistm`` or ``digits``).
        held_out_domain: judge retrieval on another domain's held-out classes instead.
        seen_classes: digits used for training (the rest are held out).
        classes_per_batch: P of a P x K training batch.
        samples_per_class: K of a P x K training batch.
    """

    def __init__(
        self,
        domain: OfflineDigitDomain = "mnist",
        held_out_domain: OfflineDigitDomain | None = None,
        seen_classes: list[int] | None = None,
        classes_per_batch: int = 6,
        samples_per_class: int = 10,
        **kwargs,
    ) -> None:
        super().__init__(source=domain, target=held_out_domain or domain, **kwargs)
        self.seen_classes = list(range(6)) if seen_classes is None else list(seen_classes)
        if not 2 <= len(self.seen_classes) <= 8:
            raise ValueError("seen_classes must leave at least two digits on each side")
        self.classes_per_batch, self.samples_per_class = classes_per_batch, samples_per_class

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.seen_classes]

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        seen = torch.tensor(self.seen_classes)
        val_fraction, test_fraction = self.fractions
        fractions = (1 - val_fraction - test_fraction, val_fraction, test_fraction)
        for role, name in (("source", self.source), ("target", self.target)):
            domain = self.load_domain(name, False)
            labels = dataset_labels(domain)
            keep = torch.isin(labels, seen) if role == "source" else ~torch.isin(labels, seen)
            members = keep.nonzero().flatten()
            parts = split_indices(len(members), fractions, seed=self.split_seed + len(role))
            self.splits[role] = {
                split: Subset(domain, members[torch.tensor(part, dtype=torch.long)].tolist())
                for split, part in zip(("train", "val", "test"), parts, strict=True)
            }
        remap = torch.full((10,), -1, dtype=torch.long)
        remap[seen] = torch.arange(len(seen))
        self._remap = remap

    def train_dataloader(self) -> DataLoader:
        train = self.splits["source"]["train"]
        labels = self._remap[dataset_labels(train)]
        per_batch = self.classes_per_batch * self.samples_per_class
        sampler = ClassBalancedBatches(
            labels,
            self.classes_per_batch,
            self.samples_per_class,
            max(1, len(train) // per_batch),
            self.split_seed,
        )
        return DataLoader(
            train,
            batch_sampler=sampler,
            num_workers=self.num_workers,
            collate_fn=self._collate_seen,
        )

    def _collate_seen(self, items):
        images = torch.stack([image for image, _ in items])
        labels = self._remap[torch.as_tensor([label for _, label in items])]
        return images, labels

    def labeled_train_dataloader(self, shuffle: bool = False) -> DataLoader:
        return DataLoader(
            self.splits["source"]["train"],
            batch_size=self.batch_size,
            collate_fn=self._collate_seen,
        )

    def val_dataloader(self) -> list[DataLoader]:
        """Both labeled: held-out labels only score retrieval, never select checkpoints."""
        return [
            self._loader(self.splits[role]["val"], train=False) for role in ("source", "target")
        ]
