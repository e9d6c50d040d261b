"""Your own images: ``root/<domain>/<class>/*.jpg`` (the Office-31 / Office-Home layout).

The target domain may instead be a flat folder of unlabeled images, ``root/<target>/*.jpg``:
the usual situation in domain adaptation. Every file is checked once, in parallel, before
training starts, so that a corrupt JPEG stops the run at once with the full list of bad
files (or is left out with ``skip_bad_images``) instead of failing hours into an epoch.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision.transforms import v2

from transferlab.data.domains import DomainDataModule

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
UNLABELED = -1


def image_files(folder: Path) -> list[Path]:
    """Image files under a folder (recursively), in a stable order."""
    return sorted(f for f in folder.rglob("*") if f.suffix.lower() in IMAGE_EXTENSIONS)


def _header_error(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as error:  # PIL raises many types for broken files
        return f"{type(error).__name__}: {error}"
    return None


def find_unreadable(files: list[Path], workers: int = 8) -> dict[Path, str]:
    """Files whose image header cannot be read, with the reason; one parallel pass."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        errors = pool.map(_header_error, files, chunksize=64)
        return {path: error for path, error in zip(files, errors, strict=True) if error}


def unreadable_message(bad: dict[Path, str], shown: int = 20) -> str:
    lines = [f"  {path}: {error}" for path, error in list(bad.items())[:shown]]
    more = f"\n  ... and {len(bad) - shown} more" if len(bad) > shown else ""
    return f"{len(bad)} image file(s) cannot be read:\n" + "\n".join(lines) + more


def folder_transform(image_size: int, mean, std, augment: bool) -> v2.Compose:
    """Decoded PIL image -> normalised tensor: random resized crops and flips for training,
    resize + centre crop (ImageNet's 0.875 ratio) for evaluation and prediction."""
    finish = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]
    if augment:
        return v2.Compose(
            [v2.RandomResizedCrop(image_size, scale=(0.6, 1.0)), v2.RandomHorizontalFlip(), *finish]
        )
    resize = round(image_size / 0.875)
    return v2.Compose([v2.Resize(resize), v2.CenterCrop(image_size), *finish])


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


def list_domain(root: Path, domain: str, allow_flat: bool = False) -> dict[str, list[Path]]:
    """class name -> image files of one domain, with errors that say what is wrong.

    With ``allow_flat`` a folder that holds images and no class sub-folders is an unlabeled
    domain, returned as ``{"": files}``.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"data root {root} does not exist")
    folder = root / domain
    if not folder.is_dir():
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise FileNotFoundError(
            f"domain folder {folder} does not exist; domains under {root}: {present}"
        )
    class_dirs = sorted(p for p in folder.iterdir() if p.is_dir())
    if allow_flat and not class_dirs:
        files = image_files(folder)
        if not files:
            raise FileNotFoundError(f"domain folder {folder} holds no images {IMAGE_EXTENSIONS}")
        return {"": files}
    classes = {}
    for class_dir in class_dirs:
        files = image_files(class_dir)
        if not files:
            raise FileNotFoundError(f"class folder {class_dir} holds no images {IMAGE_EXTENSIONS}")
        classes[class_dir.name] = files
    if len(classes) < 2:
        raise FileNotFoundError(
            f"domain folder {folder} needs at least two class sub-folders, found {sorted(classes)}"
            + (" (or, for an unlabeled target, images and no sub-folders)" if allow_flat else "")
        )
    return classes


class ImageFolderDomains(DomainDataModule):
    """Source and target domains from folders of images, one sub-folder per class.

    Example: ``--data transferlab.data.ImageFolderDomains --data.root /data/office31
    --data.source amazon --data.target webcam``. Class names come from the source; a
    labeled target must have the same class folders, an unlabeled one has none.

    Args:
        root: folder holding one sub-folder per domain.
        image_size: side of the square crops fed to the network.
        augment: random resized crops and flips on the training copies.
        mean: normalisation mean (ImageNet's by default, for pretrained backbones).
        std: normalisation std.
        skip_bad_images: leave unreadable files out (and say how many) instead of stopping
            before training with the list of them.
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
        skip_bad_images: bool = False,
        num_workers: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(source, target, num_workers=num_workers, **kwargs)
        self.root = Path(root)
        self.image_size, self.augment, self.mean, self.std = image_size, augment, mean, std
        self.skip_bad_images = skip_bad_images
        self._listing: dict[str, dict[str, list[Path]]] = {}

    def _list(self, domain: str) -> dict[str, list[Path]]:
        if domain not in self._listing:
            listing = list_domain(self.root, domain, allow_flat=domain == self.target)
            self._listing[domain] = self._readable(domain, listing)
        return self._listing[domain]

    def _readable(self, domain: str, listing: dict[str, list[Path]]) -> dict[str, list[Path]]:
        """Check every file once; stop with the whole list of bad ones, or drop them."""
        bad = find_unreadable([f for files in listing.values() for f in files])
        if not bad:
            return listing
        message = f"domain {domain!r} under {self.root}: " + unreadable_message(bad)
        if not self.skip_bad_images:
            raise ValueError(message + "\nfix or remove them, or set skip_bad_images: true")
        warnings.warn(f"skipping {len(bad)} unreadable image(s): {message}", stacklevel=2)
        kept = {name: [f for f in files if f not in bad] for name, files in listing.items()}
        empty = [name for name, files in kept.items() if not files]
        if empty:
            raise ValueError(f"no readable images left in {domain!r} class folders {empty}")
        return kept

    @property
    def target_has_labels(self) -> bool:
        return "" not in self._list(self.target)

    @property
    def classes(self) -> list[str]:
        source = set(self._list(self.source))
        if not self.target_has_labels:
            return sorted(source)
        target = set(self._list(self.target))
        if source != target:
            raise ValueError(
                f"domains {self.source!r} and {self.target!r} have different classes: "
                f"only in {self.source}: {sorted(source - target)}; "
                f"only in {self.target}: {sorted(target - source)}"
            )
        return sorted(source)

    def load_domain(self, name: str, train: bool) -> Dataset:
        index = {name: i for i, name in enumerate(self.classes)} | {"": UNLABELED}
        files, labels = [], []
        for class_name, class_files in self._list(name).items():
            files += class_files
            labels += [index[class_name]] * len(class_files)
        return FolderImages(
            files,
            labels,
            folder_transform(self.image_size, self.mean, self.std, train and self.augment),
        )
