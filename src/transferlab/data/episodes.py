"""N-way K-shot episodes over class-split digit domains, for meta-learning.

A "class" is a (domain, digit) pair across the offline MNIST, MNIST-M and UCI Digits, so
there are 30 of them. Meta-training uses the digits in ``train_digits`` (in every domain);
meta-testing uses the held-out ``test_digits`` -- classes never seen in meta-training.
Validation episodes use the *training* classes but images held out from meta-training, so
that model selection never touches a test class.

Every batch is a dict of tasks: ``support_x (T, N*K, C, H, W)``, ``support_y (T, N*K)``,
``query_x (T, N*Q, C, H, W)``, ``query_y (T, N*Q)``, labels renumbered ``0..N-1`` per task.
Validation and test episodes are fixed by the seed, so every method meets the same ones.
"""

from __future__ import annotations

from abc import abstractmethod

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from transferlab.data.datasets import EpochSeededSampler
from transferlab.data.digits import load_digit_domain

DOMAINS = ("mnist", "mnistm", "digits")
VIRTUAL_EPISODES = 1_000_000  # training episodes are drawn from this many seeded ones


class Episodes(Dataset):
    """Episode ``i`` is drawn from a generator seeded by ``seed + i``: reproducible, and
    independent of which other episodes were drawn before it."""

    def __init__(self, pools, n_way, k_shot, queries, length, seed, mean=0.5, std=0.5):
        too_small = [i for i, pool in enumerate(pools) if len(pool) < k_shot + queries]
        if too_small or len(pools) < n_way:
            raise ValueError(
                f"{len(pools)} classes (need n_way={n_way}), {len(too_small)} of them with "
                f"fewer than k_shot + queries = {k_shot + queries} images"
            )
        self.pools, self.n_way, self.k_shot, self.queries = pools, n_way, k_shot, queries
        self.length, self.seed, self.mean, self.std = length, seed, mean, std

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        generator = torch.Generator().manual_seed(self.seed + index)
        classes = torch.randperm(len(self.pools), generator=generator)[: self.n_way]
        support, query = [], []
        for pool_index in classes.tolist():
            pool = self.pools[pool_index]
            picks = torch.randperm(len(pool), generator=generator)[: self.k_shot + self.queries]
            support.append(pool[picks[: self.k_shot]])
            query.append(pool[picks[self.k_shot :]])
        labels = torch.arange(self.n_way)
        return {
            "support_x": self._normalise(torch.cat(support)),
            "support_y": labels.repeat_interleave(self.k_shot),
            "query_x": self._normalise(torch.cat(query)),
            "query_y": labels.repeat_interleave(self.queries),
        }

    def _normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images.float() / 255 - self.mean) / self.std


class EpisodicDataModule(L.LightningDataModule):
    """N-way K-shot episodes from per-class image pools; a subclass builds the pools.

    Args:
        n_way: classes per episode.
        k_shot: labeled support images per class.
        queries: query images per class.
        tasks_per_batch: episodes per optimisation step (MAML's meta-batch).
        train_episodes: training episodes per epoch.
        val_episodes: fixed validation episodes (training classes, held-out images).
        test_episodes: fixed test episodes on the held-out classes (600 for a tight CI).
        val_fraction: share of every training class's images kept for validation.
        seed: seed of every episode and split.
    """

    oracle = False  # the CLI links this into the model: episodes have no oracle protocol

    def __init__(
        self,
        n_way: int = 5,
        k_shot: int = 1,
        queries: int = 15,
        tasks_per_batch: int = 4,
        train_episodes: int = 400,
        val_episodes: int = 100,
        test_episodes: int = 600,
        val_fraction: float = 0.2,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.n_way, self.k_shot, self.queries = n_way, k_shot, queries
        self.tasks_per_batch = tasks_per_batch
        self.episodes = {"train": train_episodes, "val": val_episodes, "test": test_episodes}
        self.val_fraction, self.seed, self.num_workers = val_fraction, seed, num_workers
        self.pools: dict[str, list[torch.Tensor]] = {}

    @property
    def num_classes(self) -> int:
        return self.n_way

    @abstractmethod
    def class_images(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """uint8 image tensors (N,3,H,W), one per meta-training class and one per held-out
        class."""

    def setup(self, stage: str | None = None) -> None:
        if self.pools:
            return
        generator = torch.Generator().manual_seed(self.seed)
        train_classes, test_classes = self.class_images()
        self.pools = {"train": [], "val": [], "test": list(test_classes)}
        for members in train_classes:
            order = torch.randperm(len(members), generator=generator)
            cut = round(len(members) * (1 - self.val_fraction))
            self.pools["train"].append(members[order[:cut]])
            self.pools["val"].append(members[order[cut:]])

    def _episodes(self, split: str, length: int, offset: int) -> Episodes:
        return Episodes(
            self.pools[split], self.n_way, self.k_shot, self.queries, length, self.seed + offset
        )

    def train_dataloader(self) -> DataLoader:
        episodes = self._episodes("train", VIRTUAL_EPISODES, 0)
        sampler = EpochSeededSampler(VIRTUAL_EPISODES, self.seed, self.episodes["train"])
        return DataLoader(
            episodes,
            batch_size=self.tasks_per_batch,
            sampler=sampler,
            drop_last=True,
            num_workers=self.num_workers,
        )

    def _fixed(self, split: str, offset: int) -> DataLoader:
        episodes = self._episodes(split, self.episodes[split], offset)
        return DataLoader(episodes, batch_size=self.tasks_per_batch, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return self._fixed("val", VIRTUAL_EPISODES)

    def test_dataloader(self) -> list[DataLoader]:
        """[training classes (held-out images), held-out classes]: the second is the
        number every table reports."""
        return [self._fixed("val", 2 * VIRTUAL_EPISODES), self._fixed("test", 3 * VIRTUAL_EPISODES)]


class EpisodicDigits(EpisodicDataModule):
    """Meta-train / meta-test episodes across the offline digit domains.

    Args:
        domains: which offline domains contribute classes.
        train_digits: digits whose (domain, digit) classes are used for meta-training.
        test_digits: held-out digits, for meta-testing only.
        kwargs: episode settings of :class:`EpisodicDataModule`.
    """

    def __init__(
        self,
        domains: list[str] | None = None,
        train_digits: list[int] | None = None,
        test_digits: list[int] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.domains = list(domains or DOMAINS)
        unknown = sorted(set(self.domains) - set(DOMAINS))
        if unknown:
            raise ValueError(f"unknown domains {unknown}; choose from {list(DOMAINS)}")
        self.train_digits = list(range(7)) if train_digits is None else list(train_digits)
        self.test_digits = [7, 8, 9] if test_digits is None else list(test_digits)
        overlap = sorted(set(self.train_digits) & set(self.test_digits))
        if overlap:
            raise ValueError(f"digits {overlap} are both meta-train and meta-test classes")
        shots = f"{self.n_way}-way {self.k_shot}-shot"
        self.source = f"{shots}, digits {''.join(map(str, self.train_digits))}"
        self.target = f"{shots}, held-out digits {''.join(map(str, self.test_digits))}"

    def class_images(self):
        train, test = [], []
        for domain in self.domains:
            images, labels = load_digit_domain(domain)
            train += [images[labels == digit] for digit in self.train_digits]
            test += [images[labels == digit] for digit in self.test_digits]
        return train, test


class EpisodicOmniglot(EpisodicDataModule):
    """Omniglot through torchvision (downloaded on first use): meta-train on the 964
    "background" characters, meta-test on the 659 "evaluation" characters, at 28 px.

    Needs a network the first time; offline, a missing download fails with an error that
    says where the files were expected and what runs offline instead.

    Args:
        root: folder torchvision downloads to / reads from.
        download: let torchvision fetch missing files.
        kwargs: episode settings of :class:`EpisodicDataModule`.
    """

    def __init__(self, root: str = "data", download: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root, self.download = root, download
        shots = f"{self.n_way}-way {self.k_shot}-shot"
        self.source, self.target = f"{shots}, Omniglot background", f"{shots}, Omniglot evaluation"

    def _characters(self, background: bool) -> list[torch.Tensor]:
        from torchvision import datasets
        from torchvision.transforms import v2

        try:
            dataset = datasets.Omniglot(self.root, background=background, download=self.download)
        except (RuntimeError, OSError) as error:
            raise RuntimeError(
                f"could not load Omniglot from {self.root} (download={self.download}): "
                f"{error}. Without a network, put the files there yourself, or use "
                "transferlab.data.EpisodicDigits, which runs offline."
            ) from error
        resize = v2.Compose([v2.PILToTensor(), v2.Resize(28, antialias=True)])
        by_class: dict[int, list[torch.Tensor]] = {}
        for image, label in dataset:
            by_class.setdefault(label, []).append(255 - resize(image).expand(3, -1, -1))
        return [torch.stack(images) for _, images in sorted(by_class.items())]

    def class_images(self):
        return self._characters(background=True), self._characters(background=False)
