"""Your own images: ``root/<domain>/<class>/*.jpg`` (the Office-31 / Office-Home layout)."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision.transforms import v2

from transferlab.data.domains import DomainDataModule

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class FolderImages(Dataset):
    """Image files with labels, decoded lazily; a bad file is named in the error."""

    def __init__(self, files: list[Path], labels: list[int], transform) -> None:
        self.files, self.labels, self.transform = files, labels, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path = self.files[index]
        try:
            with Image.open(path) as image:
                rgb = image.convert("RGB")
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"cannot decode image file {path}: {error}") from error
        return self.transform(rgb), self.labels[index]


def list_domain(root: Path, domain: str) -> dict[str, list[Path]]:
    """class name -> image files of one domain, with errors that say what is wrong."""
    if not root.is_dir():
        raise FileNotFoundError(f"data root {root} does not exist")
    folder = root / domain
    if not folder.is_dir():
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise FileNotFoundError(
            f"domain folder {folder} does not exist; domains under {root}: {present}"
        )
    classes = {}
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(f for f in class_dir.rglob("*") if f.suffix.lower() in IMAGE_EXTENSIONS)
        if not files:
            raise FileNotFoundError(f"class folder {class_dir} holds no images {IMAGE_EXTENSIONS}")
        classes[class_dir.name] = files
    if len(classes) < 2:
        raise FileNotFoundError(
            f"domain folder {folder} needs at least two class sub-folders, found {sorted(classes)}"
        )
    return classes


class ImageFolderDomains(DomainDataModule):
    """Source and target domains from folders of images, one sub-folder per class.

    Example: ``--data transferlab.data.ImageFolderDomains --data.root /data/office31
    --data.source amazon --data.target webcam``.

    Args:
        root: folder holding one sub-folder per domain.
        image_size: side of the square crops fed to the network.
        augment: random resized crops and flips on the training copies.
        mean: normalisation mean (ImageNet's by default, for pretrained backbones).
        std: normalisation std.
    """

    def __init__(
        self,
        root: str,
        source: str,
        target: str,
        image_size: int = 224,
        augment: bool = True,
        mean: tuple[float, float, float] = IMAGENET_MEAN,
        std: tuple[float, float, float] = IMAGENET_STD,
        **kwargs,
    ) -> None:
        super().__init__(source, target, **kwargs)
        self.root = Path(root)
        self.image_size, self.augment, self.mean, self.std = image_size, augment, mean, std
        self._listing: dict[str, dict[str, list[Path]]] = {}

    def _list(self, domain: str) -> dict[str, list[Path]]:
        if domain not in self._listing:
            self._listing[domain] = list_domain(self.root, domain)
        return self._listing[domain]

    @property
    def classes(self) -> list[str]:
        source, target = set(self._list(self.source)), set(self._list(self.target))
        if source != target:
            raise ValueError(
                f"domains {self.source!r} and {self.target!r} have different classes: "
                f"only in {self.source}: {sorted(source - target)}; "
                f"only in {self.target}: {sorted(target - source)}"
            )
        return sorted(source)

    def _transform(self, train: bool):
        finish = [
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(self.mean, self.std),
        ]
        if train and self.augment:
            return v2.Compose(
                [
                    v2.RandomResizedCrop(self.image_size, scale=(0.6, 1.0)),
                    v2.RandomHorizontalFlip(),
                    *finish,
                ]
            )
        resize = round(self.image_size / 0.875)
        return v2.Compose([v2.Resize(resize), v2.CenterCrop(self.image_size), *finish])

    def load_domain(self, name: str, train: bool) -> Dataset:
        index = {name: i for i, name in enumerate(self.classes)}
        files, labels = [], []
        for class_name, class_files in self._list(name).items():
            files += class_files
            labels += [index[class_name]] * len(class_files)
        return FolderImages(files, labels, self._transform(train))
