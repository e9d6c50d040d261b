import torch
from PIL import Image

from tests.conftest import ROOT
from transferlab.data.digit_domains import DigitDomains
from transferlab.data.digits import (
    domain_samples,
    load_mnist,
    load_mnist_m,
    load_uci_digits,
    sample_photographs,
    save_domain_samples,
)


def test_mnist_is_the_real_offline_sample():
    images, labels = load_mnist()
    assert images.shape == (5000, 3, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels).tolist() == [500] * 10
    assert torch.equal(images[:, 0], images[:, 1])  # grey, replicated to three channels


def test_uci_digits_sit_in_the_mnist_frame():
    images, labels = load_uci_digits()
    assert images.shape == (1797, 3, 28, 28)
    assert images[:, :, :4].max() == 0 and images[:, :, -4:].max() == 0  # empty 4-pixel border
    assert images[:, :, 4:24, 4:24].float().mean() > 20
    assert set(labels.tolist()) == set(range(10))


def test_mnist_m_blends_digits_onto_colour_photographs(tmp_path):
    digits, digit_labels = load_mnist()
    images, labels = load_mnist_m(seed=3, cache_dir=tmp_path)
    assert images.shape == digits.shape and torch.equal(labels, digit_labels)
    assert not torch.equal(images[:, 0], images[:, 1])  # colour, unlike MNIST
    # |patch - digit|: where the digit is full white the result is 255 - patch, so the
    # digit's strokes are visible as a change of the background.
    assert (images.float() - digits.float()).abs().mean() > 30


def test_mnist_m_is_deterministic_per_seed_and_cached(tmp_path):
    first, _ = load_mnist_m(seed=1, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("mnistm_*seed1.pt"))) == 1
    again, _ = load_mnist_m(seed=1, cache_dir=tmp_path / "elsewhere")
    other, _ = load_mnist_m(seed=2, cache_dir=tmp_path)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_mnist_m_from_the_natural_photographs_only_is_a_separate_build(tmp_path):
    """The six natural photographs leave out the microscopy image; the photo set is part of
    the cache's name, so the two builds never mix."""
    assert len(sample_photographs("natural")) == len(sample_photographs("all")) - 1 == 6
    every, _ = load_mnist_m(seed=0, cache_dir=tmp_path)
    natural, _ = load_mnist_m(seed=0, cache_dir=tmp_path, photos="natural")
    assert not torch.equal(every, natural)
    assert sorted(p.name for p in tmp_path.glob("mnistm*.pt")) == [
        "mnistm_natural_v1_seed0.pt",
        "mnistm_v1_seed0.pt",
    ]
    data = DigitDomains(mnistm_photos="natural", cache_dir=str(tmp_path))
    assert torch.equal(data.load_tensors("mnistm")[0], natural)


def test_the_docs_picture_shows_each_digit_once_in_each_domain(tmp_path):
    """docs/mnistm_samples.png (``make figures``): a row per domain, digits 0 to 9."""
    images, labels = domain_samples(seed=0)
    assert images.shape == (30, 28, 28, 3) and labels.tolist() == list(range(10)) * 3
    path = save_domain_samples(tmp_path / "samples.png")
    assert Image.open(path).size == Image.open(ROOT / "docs/mnistm_samples.png").size
