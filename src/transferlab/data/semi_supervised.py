"""Labeled / unlabeled splits of one domain, for semi- and self-supervised learning.

Same batch contract as domain adaptation, so every method and the CLI work unchanged:
``{"source": (images, labels), "target": {"views": [...], "index": i}}``, where
"source" is the small labeled subset (``labels_per_class`` per class of the training split)
and "target" the rest of the training split with its labels removed. Validation and test
are held-out labeled splits of the domain; with ``unlabeled_domain`` the unlabeled pool
(and the "target" evaluation) comes from a second domain instead, e.g. labeled MNIST with
unlabeled MNIST-M. A domain published with a split keeps it (the full MNIST: the
labels and the pool come from its 50,000 training images, test from its 10,000 test images).

Augmented views are made per batch on the device (``on_after_batch_transfer``), see
:mod:`transferlab.data.augment`.
"""

from __future__ import annotations

import torch
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset

from transferlab.data.augment import ViewKind, ViewMaker
from transferlab.data.datasets import (
    EpochSeededSampler,
    Indexed,
    Relabeled,
    dataset_labels,
    per_class_subset,
)
from transferlab.data.digit_domains import DigitDomains, OfflineDigitDomain
from transferlab.data.image_folders import ImageFolderDomains
from transferlab.data.label_noise import NoiseKind, noisy_labels
from transferlab.data.text import TextDomains


class SemiSupervisedSplits:
    """Mixin for a :class:`DomainDataModule`: labeled subset + unlabeled pool of a domain.

    Args:
        labels_per_class: labeled training examples kept per class; the rest of the
            training split is served without labels.
        unlabeled_views: the views of every unlabeled image in a training batch, e.g.
            ``[weak, strong]`` for FixMatch, ``[contrastive, contrastive]`` for SimCLR.
        unlabeled_ratio: unlabeled images per labeled image in a batch (FixMatch's mu).
        labeled_view: augmentation of the labeled images (``identity`` for none).
        label_noise: share of the labeled subset whose labels are flipped.
        noise_kind: ``symmetric`` (to any other class) or ``pair`` (``c`` to ``c + 1``).
        flip: allow horizontal flips in the views (natural images; not digits).
        labeled_indices: which images of the active-learning pool (:meth:`training_pool`)
            are labeled, instead of ``labels_per_class`` drawn at random: what an
            active-learning loop chose so far.
        annotations: labels a person gave, by pool position (class index); they replace
            the dataset's label of those positions, and are the only labels of images
            from an unlabeled folder.
    """

    pool_role = "source"  # the labeled domain is the pool, and is what the test reports
    pool_arguments = ("labeled_indices", "annotations")

    def __init__(
        self,
        labels_per_class: int = 10,
        unlabeled_views: list[ViewKind] | None = None,
        unlabeled_ratio: int = 1,
        labeled_view: ViewKind = "weak",
        label_noise: float = 0.0,
        noise_kind: NoiseKind = "symmetric",
        flip: bool = False,
        labeled_indices: list[int] | None = None,
        annotations: dict[int, int] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.labeled_indices = None if labeled_indices is None else list(labeled_indices)
        self.annotations = {int(k): int(v) for k, v in (annotations or {}).items()}
        if self.annotations and self.labeled_indices is None:
            raise ValueError("annotations label pool positions: give labeled_indices too")
        if labels_per_class < 1 or unlabeled_ratio < 1:
            raise ValueError("labels_per_class and unlabeled_ratio must be at least 1")
        self.labels_per_class, self.unlabeled_ratio = labels_per_class, unlabeled_ratio
        self.unlabeled_views = list(unlabeled_views or ["weak"])
        self.labeled_view, self.flip = labeled_view, flip
        self.label_noise, self.noise_kind = label_noise, noise_kind
        self.noisy: torch.Tensor | None = None  # which labeled examples were flipped

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        self.views = ViewMaker(self.mean, self.std, self.flip)
        if self.labeled_indices is not None:
            return self._setup_given_labeled()
        domain = self.load_domain(self.source, False)
        train, val, test = self._split("source", len(domain))
        train_labels = dataset_labels(Subset(domain, train))
        labeled, rest = per_class_subset(train_labels, self.labels_per_class, self.split_seed)
        self.splits["source"] = {
            "train": self._noisy(
                Subset(domain, [train[i] for i in labeled]), train_labels[labeled]
            ),
            "val": Subset(domain, val),
            "test": Subset(domain, test),
        }
        if self.target == self.source:
            pool = Subset(domain, [train[i] for i in rest])
            self.splits["target"] = {**self.splits["source"], "train": pool}
        else:
            other = self.load_domain(self.target, False)
            train, val, test = self._split("target", len(other))
            self.splits["target"] = {
                "train": Subset(other, train),
                "val": Subset(other, val),
                "test": Subset(other, test),
            }

    def _noisy(self, labeled: Dataset, true: torch.Tensor) -> Relabeled:
        """The labeled subset with ``label_noise`` of its labels flipped (none by default)."""
        noisy = noisy_labels(
            true, self.label_noise, self.num_classes, self.noise_kind, seed=self.split_seed
        )
        self.noisy = noisy != true
        return Relabeled(labeled, noisy)

    def _setup_given_labeled(self) -> None:
        """Labeled = the pool positions an active-learning loop chose; unlabeled = the rest
        of the pool. Validation and test splits are the same as without them."""
        pool, labels = self.training_pool()
        chosen = set(self.labeled_indices)
        if not chosen or len(chosen) != len(self.labeled_indices):
            raise ValueError("labeled_indices must be non-empty and without repeats")
        if min(chosen) < 0 or max(chosen) >= len(pool):
            raise ValueError(f"labeled_indices must lie in [0, {len(pool)}): the pool")
        unknown = sorted(set(self.annotations) - chosen)
        if unknown:
            raise ValueError(f"annotations for positions not in labeled_indices: {unknown[:10]}")
        labeled = sorted(chosen)
        for position, label in self.annotations.items():
            if not 0 <= label < self.num_classes:
                raise ValueError(f"annotation {label} of position {position} is not a class")
            labels[position] = label
        missing = [i for i in labeled if labels[i] < 0]
        if missing:
            raise ValueError(
                f"labeled pool positions {missing[:10]} have no label: give them in annotations"
            )
        domain = self.load_domain(self.source, False)
        _, val, test = self._split("source", len(domain))
        self.splits["source"] = {
            "train": self._noisy(Subset(pool, labeled), labels[labeled]),
            "val": Subset(domain, val),
            "test": Subset(domain, test),
        }
        rest = Subset(pool, [i for i in range(len(pool)) if i not in chosen])
        if self.target == self.source:
            self.splits["target"] = {**self.splits["source"], "train": rest}
            return
        other = self.load_domain(self.target, False)
        _, val, test = self._split("target", len(other))
        train = rest if self._target_is_unlabeled() else self._other_train()
        self.splits["target"] = {
            "train": train,
            "val": Subset(other, val),
            "test": Subset(other, test),
        }

    def _other_train(self) -> Dataset:
        other = self.load_domain(self.target, False)
        train, _, _ = self._split("target", len(other))
        return Subset(other, train)

    def _target_is_unlabeled(self) -> bool:
        """An unlabeled domain (a flat image folder): its images join the pool."""
        if self.target == self.source:
            return False
        return bool((dataset_labels(self.load_domain(self.target, False)) < 0).all())

    def training_pool(self) -> tuple[Dataset, torch.Tensor]:
        """The pool an active-learning loop queries (positions = ``labeled_indices``), in
        a fixed order, and its labels (-1 where unknown): the labeled domain's training split,
        then the training split of an unlabeled ``unlabeled_domain`` folder if there is one."""
        domain = self.load_domain(self.source, False)
        train, _, _ = self._split("source", len(domain))
        parts = [Subset(domain, train)]
        if self._target_is_unlabeled():
            parts.append(self._other_train())
        labels = torch.cat([dataset_labels(part) for part in parts])
        return (ConcatDataset(parts) if len(parts) > 1 else parts[0]), labels

    def train_dataloader(self) -> CombinedLoader:
        labeled = self.splits["source"]["train"]
        unlabeled = self.splits["target"]["train"]
        unlabeled_batch = self.batch_size * self.unlabeled_ratio
        if len(unlabeled) < unlabeled_batch:
            raise ValueError(
                f"the unlabeled pool holds {len(unlabeled)} images, fewer than one batch "
                f"({unlabeled_batch}); lower batch_size or unlabeled_ratio"
            )
        return CombinedLoader(
            {
                "source": self._sampled(
                    labeled, self.batch_size, 0, max(len(labeled), self.batch_size)
                ),
                "target": self._sampled(Indexed(unlabeled), unlabeled_batch, 1, len(unlabeled)),
            },
            mode="max_size_cycle",
        )

    def _sampled(self, dataset: Dataset, batch_size: int, offset: int, samples: int):
        sampler = EpochSeededSampler(
            len(dataset), self.split_seed + offset, samples, reshuffle_each_pass=True
        )
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=sampler,
            drop_last=True,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        """Make the augmented views of a training batch, batched, on its device."""
        trainer = getattr(self, "trainer", None)
        if trainer is None or not trainer.training or not isinstance(batch, dict):
            return batch
        images, labels = batch["source"]
        unlabeled = batch["target"]
        return {
            "source": [self.views(images, self.labeled_view), labels],
            "target": {
                "views": [self.views(unlabeled["image"], kind) for kind in self.unlabeled_views],
                "index": unlabeled["index"],
            },
        }


class SemiSupervisedDigits(SemiSupervisedSplits, DigitDomains):
    """A few labels per class of an offline digit domain; the rest unlabeled.

    Args:
        domain: the labeled domain (``mnist``, ``mnistm`` or ``digits``).
        unlabeled_domain: take the unlabeled pool from another domain (default: the rest
            of ``domain``'s training split).
    """

    def __init__(
        self,
        domain: OfflineDigitDomain = "mnist",
        unlabeled_domain: OfflineDigitDomain | None = None,
        **kwargs,
    ) -> None:
        super().__init__(source=domain, target=unlabeled_domain or domain, **kwargs)


class SemiSupervisedImageFolder(SemiSupervisedSplits, ImageFolderDomains):
    """A few labels per class of an image folder domain (``root/<domain>/<class>/*``).

    Args:
        domain: the labeled domain's folder name under ``root``.
        unlabeled_domain: take the unlabeled pool from another domain folder.
    """

    def __init__(
        self,
        domain: str,
        unlabeled_domain: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(source=domain, target=unlabeled_domain or domain, **kwargs)


class SemiSupervisedText(SemiSupervisedSplits, TextDomains):
    """A few labels per class of a text domain (a built-in corpus, a file or a folder of
    ``.txt`` files); the rest unlabeled. Few-label fine-tuning, self-training, Mean Teacher
    and the active-learning loop use it as they use the image version.

    Texts have no augmented views: every view of an unlabeled text is its token ids
    (``identity``), so consistency methods such as Mean Teacher get their noise from the
    encoder's dropout, as they do on text in the literature.

    Args:
        domain: the labeled domain.
        unlabeled_domain: take the unlabeled pool from another text domain.
    """

    def __init__(
        self,
        domain: str = "movies",
        unlabeled_domain: str | None = None,
        unlabeled_views: list[str] | None = None,
        labeled_view: str = "identity",
        **kwargs,
    ) -> None:
        unlabeled_views = list(unlabeled_views or ["identity"])
        other = sorted({v for v in [*unlabeled_views, labeled_view] if v != "identity"})
        if other:
            raise ValueError(
                f"text has no augmented views: unlabeled_views and labeled_view take "
                f"'identity' only, got {other}"
            )
        super().__init__(
            source=domain,
            target=unlabeled_domain or domain,
            unlabeled_views=unlabeled_views,
            labeled_view=labeled_view,
            **kwargs,
        )

    def setup(self, stage: str | None = None) -> None:
        self.mean, self.std = (0.0,), (1.0,)  # for the view maker, whose views are identity
        super().setup(stage)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        """Token ids stay token ids: the batch gets its views without image arithmetic."""
        trainer = getattr(self, "trainer", None)
        if trainer is None or not trainer.training or not isinstance(batch, dict):
            return batch
        unlabeled = batch["target"]
        views = [unlabeled["image"] for _ in self.unlabeled_views]
        return {
            "source": list(batch["source"]),
            "target": {"views": views, "index": unlabeled["index"]},
        }
