"""Small dataset wrappers shared by every domain DataModule."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.utils.data import Dataset, Sampler, Subset


class TensorImages(Dataset):
    """uint8 images held in memory, converted to normalised float on access.

    Keeping uint8 in memory costs a quarter of float32 and makes the whole offline digit
    domain fit in a few MB; the per-item conversion is cheap next to a forward pass.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        mean: Sequence[float],
        std: Sequence[float],
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels = images, labels
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index].float().div_(255)
        if self.transform is not None:
            image = self.transform(image)
        return (image - self.mean) / self.std, self.labels[index]


class Unlabeled(Dataset):
    """A view of a labeled dataset that returns images only.

    Target training data goes through this wrapper, so target labels cannot reach a
    training step even by accident: they are not in the batch.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.dataset[index][0]


class EpochSeededSampler(Sampler[int]):
    """Random permutations drawn from ``seed + epoch``.

    Unlike a sampler that draws from the global RNG, the order of epoch *e* does not depend
    on what ran before it, so a run resumed from a checkpoint sees exactly the batches an
    uninterrupted run would. Lightning calls ``set_epoch`` before every epoch.

    ``num_samples`` larger than the dataset chains fresh permutations, so that a small
    labeled set (10 images per class, say) still fills whole batches. With
    ``reshuffle_each_pass`` a loader that is cycled within one epoch (the shorter side of a
    ``CombinedLoader``) gets a new order on every pass instead of repeating the first one.
    """

    def __init__(
        self,
        length: int,
        seed: int,
        num_samples: int | None = None,
        reshuffle_each_pass: bool = False,
    ) -> None:
        if length == 0:
            raise ValueError("cannot sample from an empty dataset")
        self.length, self.seed, self.epoch = length, seed, 0
        self.num_samples = num_samples or length
        self.reshuffle_each_pass, self._passes = reshuffle_each_pass, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self._passes = epoch, 0

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch + 100_003 * self._passes)
        self._passes += self.reshuffle_each_pass
        rounds = -(-self.num_samples // self.length)
        order = torch.cat([torch.randperm(self.length, generator=generator) for _ in range(rounds)])
        return iter(order[: self.num_samples].tolist())


class Relabeled(Dataset):
    """A labeled dataset with its labels replaced (e.g. by noisy ones)."""

    def __init__(self, dataset: Dataset, labels: torch.Tensor) -> None:
        if len(dataset) != len(labels):
            raise ValueError(f"{len(dataset)} items but {len(labels)} labels")
        self.dataset, self.labels = dataset, labels

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.dataset[index][0], self.labels[index]


class Indexed(Dataset):
    """Images of a labeled dataset as ``{"image": x, "index": i}``, labels dropped.

    The unlabeled pool of semi-supervised learning: like :class:`Unlabeled`, no label can
    reach a training step; the index lets a method keep per-example state (e.g. the labels
    that graph propagation assigned).
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.dataset[index][0], "index": index}


def split_indices(length: int, fractions: Sequence[float], seed: int) -> list[list[int]]:
    """Disjoint random index sets with the given fractions; the last part takes the rest."""
    if any(f < 0 for f in fractions) or sum(fractions[:-1]) >= 1:
        raise ValueError(
            f"split fractions must be >= 0 and leave room for the last part, got {list(fractions)}"
        )
    order = torch.randperm(length, generator=torch.Generator().manual_seed(seed)).tolist()
    parts, start = [], 0
    for fraction in fractions[:-1]:
        stop = start + round(fraction * length)
        parts.append(order[start:stop])
        start = stop
    parts.append(order[start:])
    return parts


def dataset_labels(dataset: Dataset) -> torch.Tensor:
    """All labels of a dataset, without loading images where the dataset keeps them."""
    if isinstance(dataset, Subset):
        return dataset_labels(dataset.dataset)[torch.as_tensor(dataset.indices)]
    if hasattr(dataset, "labels"):
        return torch.as_tensor(dataset.labels)
    return torch.as_tensor([dataset[i][1] for i in range(len(dataset))])


def per_class_subset(
    labels: torch.Tensor, per_class: int, seed: int
) -> tuple[list[int], list[int]]:
    """Positions of ``per_class`` random examples of every class, and of the rest."""
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for cls in labels.unique().tolist():
        members = (labels == cls).nonzero().flatten()
        if len(members) < per_class:
            raise ValueError(
                f"class {cls} has only {len(members)} training examples, fewer than "
                f"labels_per_class={per_class}"
            )
        chosen += members[torch.randperm(len(members), generator=generator)[:per_class]].tolist()
    chosen_set = set(chosen)
    rest = [i for i in range(len(labels)) if i not in chosen_set]
    return sorted(chosen), rest
