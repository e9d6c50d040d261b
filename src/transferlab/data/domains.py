"""The source/target DataModule that every domain-adaptation run uses.

Training batches are dicts ``{"source": (images, labels), "target": images}``: the
labeled source is paired with *unlabeled* target images, the shorter side cycled. Target
labels appear in a training batch (``"target": (images, labels)``) only under
``oracle: true``, the protocol that measures the upper bound and is labelled as such.

Evaluation loaders come in a fixed order, ``[source, target]``, and
:meth:`DomainDataModule.eval_domains` names the domains of each, so a LightningModule never
looks into the DataModule; where source and target evaluate on the same images
(semi-supervised data, active learning) one loader serves both, and every image is scored
once. Validation target batches are images only
(for label-free validators), labeled only under the oracle protocol or when
``target_val_labels`` asks for them *to report* an oracle-selected checkpoint beside the
label-free one (they then reach validation metrics, never a loss or the label-free
selection score); test batches are
labeled on both sides and are never used for training or selection. Each domain is split
once, with a seed, into disjoint train / val / test parts; the target test part is never
trained on.

Two things users of their own data need: a target domain *without labels* (a flat folder
of images; :meth:`DomainDataModule.target_has_labels` is then false, target batches are
images everywhere and ``test`` reports label-free scores instead of target accuracy), and
*a few target labels* (``target_labels_per_class``: k labeled images per class drawn from
the target training split, served as a third training stream ``"target_labeled"`` and
removed from the unlabeled stream; never from the validation or test split). An
active-learning loop chooses those images instead (``target_labeled_indices``, positions in
:meth:`DomainDataModule.training_pool`): active domain adaptation.

The file is longer than most because these rules are one contract -- which split may show
which labels to whom -- and reading them in one class is how a reviewer checks it.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

import lightning as L
import torch
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import DataLoader, Dataset, Subset

from transferlab.data.datasets import (
    EpochSeededSampler,
    Relabeled,
    Unlabeled,
    dataset_labels,
    per_class_subset,
    split_indices,
)

SPLITS = ("train", "val", "test")


def default_num_workers() -> int:
    """One loader process per CPU this process may use, keeping one for training (max 8)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(0, min(8, available - 1))


class DomainDataModule(L.LightningDataModule, ABC):
    """Base class: subclasses say how to load a domain; this class splits and serves it.

    Args:
        source: name of the labeled source domain.
        target: name of the target domain (unlabeled during training).
        batch_size: images per domain per step (a DA step sees twice this many).
        num_workers: DataLoader worker processes; ``None`` picks one per available CPU
            but one (what decoding image files needs). In-memory domains default to 0:
            their items cost less than passing them between processes.
        val_fraction: share of each domain held out for validation.
        test_fraction: share of each domain held out for the final test.
        split_seed: seed of the train/val/test split and of the training order.
        oracle: expose target labels to training and to checkpoint selection. Only for
            measuring the upper bound; every number it produces is labelled ``oracle``.
        target_val_labels: serve target *validation* labels so that ``val/target_acc`` is
            logged and a benchmark can report the oracle-selected checkpoint of the same
            run next to the label-free one. Training batches stay unlabeled.
        target_labels_per_class: k labeled target training images per class, served as
            their own stream (semi-supervised adaptation).
        omit_source_classes: class names left out of the source *training* split only
            (validation and test keep them), e.g. to see whether a distilled student
            learns a class from the teacher's soft targets alone, never seeing one.
        target_labeled_indices: which target training images are labeled (positions in
            :meth:`training_pool`), instead of ``target_labels_per_class`` at random: what
            an active-learning loop queried so far.
        target_annotations: labels a person gave, by the same positions (class index).
    """

    pool_role = "target"  # the domain an active-learning loop queries and is tested on
    pool_arguments = ("target_labeled_indices", "target_annotations")

    def __init__(
        self,
        source: str,
        target: str,
        batch_size: int = 64,
        num_workers: int | None = 0,
        val_fraction: float = 0.1,
        test_fraction: float = 0.2,
        split_seed: int = 0,
        oracle: bool = False,
        target_val_labels: bool = False,
        target_labels_per_class: int = 0,
        omit_source_classes: list[str] | None = None,
        target_labeled_indices: list[int] | None = None,
        target_annotations: dict[int, int] | None = None,
    ) -> None:
        super().__init__()
        if target_labeled_indices is not None and target_labels_per_class:
            raise ValueError("give target_labels_per_class or target_labeled_indices, not both")
        self.target_labeled_indices = target_labeled_indices
        self.target_annotations = {int(k): int(v) for k, v in (target_annotations or {}).items()}
        self.source, self.target = source, target
        self.batch_size = batch_size
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.fractions = (val_fraction, test_fraction)
        self.split_seed, self.oracle = split_seed, oracle
        self.target_val_labels = target_val_labels
        self.target_labels_per_class = target_labels_per_class
        self.omit_source_classes = list(omit_source_classes or [])
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

    @property
    def target_has_labels(self) -> bool:
        """False for a target domain that is a flat folder of unlabeled images."""
        return True

    def check_target_label_options(self) -> None:
        """Options that need target labels are refused up front on an unlabeled target."""
        if self.target_has_labels:
            return
        wanted = [
            name
            for name, value in (
                ("oracle", self.oracle),
                ("target_val_labels", self.target_val_labels),
                ("target_labels_per_class", self.target_labels_per_class),
                ("target_labeled_indices", self.target_labeled_indices),
            )
            if value
        ]
        if wanted:
            raise ValueError(
                f"target domain {self.target!r} has no labels (a flat folder of images), "
                f"so {wanted} cannot be used; label a few images per class in class "
                "sub-folders to use them"
            )

    def predefined_split(self, name: str) -> list[list[int]] | None:
        """A domain's own (train, val, test) indices, for datasets published with a split
        that results should be comparable to; ``None`` splits at random by the fractions."""
        return None

    # -- splitting ------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        self.check_target_label_options()
        for role, name in (("source", self.source), ("target", self.target)):
            train_copy, eval_copy = self.load_domain(name, True), self.load_domain(name, False)
            train_idx, val_idx, test_idx = self._split(role, len(eval_copy))
            self.splits[role] = {
                "train": Subset(train_copy, train_idx),
                "val": Subset(eval_copy, val_idx),
                "test": Subset(eval_copy, test_idx),
            }
        if self.target_labels_per_class:
            self._split_off_labeled_target()
        if self.target_labeled_indices is not None:
            self._split_off_queried_target()
        if self.omit_source_classes:
            self._omit_source_training_classes()

    def _omit_source_training_classes(self) -> None:
        unknown = sorted(set(self.omit_source_classes) - set(self.classes))
        if unknown:
            raise ValueError(
                f"omit_source_classes: no class named {unknown}; the classes are {self.classes}"
            )
        omitted = torch.tensor([self.classes.index(name) for name in self.omit_source_classes])
        train = self.splits["source"]["train"]
        kept = (~torch.isin(dataset_labels(train), omitted)).nonzero().flatten().tolist()
        self.splits["source"]["train"] = Subset(train, kept)

    def _split_off_labeled_target(self) -> None:
        """Move k labeled images per class from the unlabeled target stream to their own."""
        train = self.splits["target"]["train"]
        try:
            chosen, rest = per_class_subset(
                dataset_labels(train), self.target_labels_per_class, self.split_seed + 2
            )
        except ValueError as error:
            raise ValueError(f"target_labels_per_class: {error}") from error
        self.splits["target"]["labeled"] = Subset(train, chosen)
        self.splits["target"]["train"] = Subset(train, rest)

    def _split(self, role: str, size: int) -> list[list[int]]:
        val_fraction, test_fraction = self.fractions
        return self.predefined_split(self.source if role == "source" else self.target) or (
            split_indices(
                size,
                (1 - val_fraction - test_fraction, val_fraction, test_fraction),
                seed=self.split_seed + (0 if role == "source" else 1),
            )
        )

    def training_pool(self) -> tuple[Dataset, torch.Tensor]:
        """The target training split (unaugmented) and its labels: the pool an active
        domain-adaptation loop queries. Validation and test splits are never in it."""
        eval_copy = self.load_domain(self.target, False)
        pool = Subset(eval_copy, self._split("target", len(eval_copy))[0])
        return pool, dataset_labels(pool)

    def _split_off_queried_target(self) -> None:
        """The queried target images (with the labels given for them) to their own stream."""
        train = self.splits["target"]["train"]
        chosen = sorted(set(self.target_labeled_indices))
        if not chosen or len(chosen) != len(self.target_labeled_indices):
            raise ValueError("target_labeled_indices must be non-empty and without repeats")
        if chosen[0] < 0 or chosen[-1] >= len(train):
            raise ValueError(f"target_labeled_indices must lie in [0, {len(train)})")
        if set(self.target_annotations) - set(chosen):
            raise ValueError("target_annotations for positions not in target_labeled_indices")
        labels = dataset_labels(train)
        for position, label in self.target_annotations.items():
            labels[position] = label
        picked = set(chosen)
        self.splits["target"]["labeled"] = Relabeled(Subset(train, chosen), labels[chosen])
        self.splits["target"]["train"] = Subset(
            train, [i for i in range(len(train)) if i not in picked]
        )

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
            pin_memory=torch.cuda.is_available(),
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
        streams = {
            "source": self._loader(self.splits["source"]["train"], train=True),
            "target": self._loader(target if self.oracle else Unlabeled(target), True, 1),
        }
        if "labeled" in self.splits["target"]:
            streams["target_labeled"] = self._labeled_target_loader()
        for role, loader in streams.items():
            if len(loader) == 0:  # drop_last: a split smaller than a batch would train nothing
                raise ValueError(
                    f"the {role} training split holds {len(loader.dataset)} examples, fewer "
                    f"than one batch (data.init_args.batch_size={self.batch_size}); lower it "
                    "or give the domain more data"
                )
        return CombinedLoader(streams, mode="max_size_cycle")

    def _labeled_target_loader(self) -> DataLoader:
        """The k-per-class labeled target images, reshuffled on every pass (they are few,
        so the stream is cycled many times within an epoch)."""
        labeled = self.splits["target"]["labeled"]
        sampler = EpochSeededSampler(len(labeled), self.split_seed + 2, reshuffle_each_pass=True)
        return DataLoader(
            labeled,
            batch_size=min(self.batch_size, len(labeled)),
            sampler=sampler,
            drop_last=True,
            num_workers=0,
        )

    @property
    def target_val_labeled(self) -> bool:
        """Whether the protocol may see target validation labels: under the oracle, or when
        ``target_val_labels`` asks to log (never to select on) target validation accuracy."""
        return self.target_has_labels and (self.oracle or self.target_val_labels)

    def scores_labels(self, stage: str, domain: str) -> bool:
        """Whether a labeled batch of ``domain`` may be scored at ``stage``: always at test
        and for the source; target validation labels only where the protocol sees them
        (also when the target shares the source's loader and so arrives labeled)."""
        return stage == "test" or domain == "source" or self.target_val_labeled

    def _shared(self, split: str) -> bool:
        """Whether source and target evaluate on the same images (semi-supervised data,
        active learning): they are then served, and scored, once."""
        return self.splits["target"][split] is self.splits["source"][split]

    def eval_domains(self, stage: str) -> tuple[tuple[str, ...], ...]:
        """The domains each loader of :meth:`val_dataloader` / :meth:`test_dataloader`
        stands for, in order."""
        if self._shared("val" if stage == "val" else "test"):
            return (("source", "target"),)
        return (("source",), ("target",))

    def eval_loaders(self, stage: str) -> dict[str, DataLoader]:
        """Each domain's loader of a stage, by name; a shared loader under both names."""
        loaders = self.val_dataloader() if stage == "val" else self.test_dataloader()
        return {
            domain: loader
            for domains, loader in zip(self.eval_domains(stage), loaders, strict=True)
            for domain in domains
        }

    def val_dataloader(self) -> list[DataLoader]:
        source = self._loader(self.splits["source"]["val"], train=False)
        if self._shared("val"):
            return [source]
        target = self.splits["target"]["val"]
        return [
            source,
            self._loader(target if self.target_val_labeled else Unlabeled(target), False),
        ]

    def test_dataloader(self) -> list[DataLoader]:
        source = self._loader(self.splits["source"]["test"], train=False)
        if self._shared("test"):
            return [source]
        target = self.splits["target"]["test"]
        return [
            source,
            self._loader(target if self.target_has_labels else Unlabeled(target), train=False),
        ]

    def predict_dataloader(self) -> DataLoader:
        return self._loader(Unlabeled(self.splits["target"]["test"]), train=False)
