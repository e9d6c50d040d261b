import pytest
import torch

from transferlab.data import DigitDomains
from transferlab.data.datasets import EpochSeededSampler, dataset_labels, split_indices


def test_splits_are_disjoint_and_cover_everything():
    parts = split_indices(100, (0.7, 0.1, 0.2), seed=0)
    assert [len(p) for p in parts] == [70, 10, 20]
    assert sorted(sum(parts, [])) == list(range(100))


def test_bad_split_fractions_are_refused():
    with pytest.raises(ValueError, match="split fractions"):
        split_indices(10, (0.8, 0.3, 0.1), seed=0)


@pytest.fixture(scope="module")
def digits_to_mnist():
    data = DigitDomains(source="digits", target="mnist", batch_size=16)
    data.setup("fit")
    return data


def test_training_batches_carry_no_target_labels(digits_to_mnist):
    batch, _, _ = next(iter(digits_to_mnist.train_dataloader()))
    source_images, source_labels = batch["source"]
    assert source_images.shape == (16, 3, 28, 28) and source_labels.shape == (16,)
    assert isinstance(batch["target"], torch.Tensor)  # images only
    assert batch["target"].shape == (16, 3, 28, 28)


def test_oracle_exposes_target_labels_and_target_validation():
    data = DigitDomains(source="digits", target="mnist", batch_size=8, oracle=True)
    data.setup("fit")
    batch, _, _ = next(iter(data.train_dataloader()))
    assert len(batch["target"]) == 2
    target_val = next(iter(data.val_dataloader()[1]))
    assert len(target_val) == 2  # (images, labels): only the oracle sees target labels


def test_evaluation_loaders_and_held_out_target_test(digits_to_mnist):
    source_val, target_val = digits_to_mnist.val_dataloader()
    assert len(next(iter(source_val))) == 2
    assert isinstance(next(iter(target_val)), torch.Tensor)  # target: images, no labels
    assert len(digits_to_mnist.test_dataloader()) == 2
    splits = digits_to_mnist.splits["target"]
    train, test = set(splits["train"].indices), set(splits["test"].indices)
    assert not train & test


def test_sampler_order_depends_only_on_seed_and_epoch():
    sampler = EpochSeededSampler(50, seed=4)
    sampler.set_epoch(3)
    epoch_three = list(sampler)
    sampler.set_epoch(0)
    assert list(sampler) != epoch_three
    fresh = EpochSeededSampler(50, seed=4)
    fresh.set_epoch(3)
    assert list(fresh) == epoch_three


def test_resize_for_imagenet_backbones():
    data = DigitDomains(source="digits", target="mnistm", image_size=64, batch_size=4)
    data.setup("fit")
    images, _ = next(iter(data.test_dataloader()[1]))
    assert images.shape == (4, 3, 64, 64)


def test_omitted_classes_leave_the_source_training_split_only():
    data = DigitDomains(source="digits", target="mnist", omit_source_classes=["3", "7"])
    data.setup("fit")
    train = dataset_labels(data.splits["source"]["train"]).tolist()
    assert 3 not in train and 7 not in train and len(set(train)) == 8
    for split in ("val", "test"):  # still scored on every class
        assert {3, 7} <= set(dataset_labels(data.splits["source"][split]).tolist())
    with pytest.raises(ValueError, match=r"no class named \['three'\]; the classes are"):
        DigitDomains(source="digits", target="mnist", omit_source_classes=["three"]).setup()
