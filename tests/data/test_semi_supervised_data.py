"""The labeled/unlabeled DataModule: disjoint splits, no labels in the unlabeled pool,
exact label noise, batched views only during training."""

import pytest
import torch

from tests.data.test_image_folders import make_domains
from transferlab.data import SemiSupervisedDigits, SemiSupervisedImageFolder
from transferlab.data.datasets import dataset_labels
from transferlab.data.label_noise import noisy_labels


def first_batch(data):
    loader = data.train_dataloader()
    iter(loader)
    batch, _, _ = next(iter(loader))
    return batch


def test_labels_per_class_and_disjoint_splits():
    data = SemiSupervisedDigits(domain="mnist", labels_per_class=10)
    data.setup("fit")
    labeled = data.splits["source"]["train"]
    assert torch.bincount(labeled.labels, minlength=10).tolist() == [10] * 10
    pool = data.splits["target"]["train"].indices
    held_out = data.splits["source"]["val"].indices + data.splits["source"]["test"].indices
    used = labeled.dataset.indices
    assert not set(pool) & set(used) and not set(pool + used) & set(held_out)
    assert len(pool) + len(used) + len(held_out) == 5000


def test_unlabeled_batches_carry_views_and_indices_but_no_labels():
    data = SemiSupervisedDigits(
        labels_per_class=1, unlabeled_views=["weak", "strong"], unlabeled_ratio=2, batch_size=16
    )
    data.setup("fit")
    batch = first_batch(data)
    images, labels = batch["source"]
    assert images.shape == (16, 3, 28, 28) and labels.shape == (16,)  # 10 labels fill 16
    assert set(batch["target"]) == {"image", "index"}
    assert batch["target"]["image"].shape == (32, 3, 28, 28)


def test_views_are_made_only_while_training():
    data = SemiSupervisedDigits(
        labels_per_class=2, unlabeled_views=["weak", "strong"], batch_size=8
    )
    data.setup("fit")
    batch = first_batch(data)

    class Trainer:
        training = True

    data.trainer = Trainer()
    torch.manual_seed(0)
    made = data.on_after_batch_transfer(batch, 0)
    weak, strong = made["target"]["views"]
    assert weak.shape == strong.shape == batch["target"]["image"].shape
    assert not torch.equal(weak, strong) and not torch.equal(weak, batch["target"]["image"])
    assert torch.equal(made["target"]["index"], batch["target"]["index"])
    Trainer.training = False
    assert data.on_after_batch_transfer(batch, 0) is batch


@pytest.mark.parametrize("kind", ["symmetric", "pair"])
def test_label_noise_flips_exactly_the_asked_share(kind):
    labels = torch.arange(10).repeat(20)
    noisy = noisy_labels(labels, 0.3, 10, kind, seed=0)
    flipped = noisy != labels
    assert int(flipped.sum()) == 60
    if kind == "pair":
        assert torch.equal(noisy[flipped], (labels[flipped] + 1) % 10)
    with pytest.raises(ValueError, match="rate"):
        noisy_labels(labels, 1.0, 10)


def test_label_noise_reaches_only_the_labeled_subset():
    data = SemiSupervisedDigits(labels_per_class=10, label_noise=0.2)
    data.setup("fit")
    assert int(data.noisy.sum()) == 20
    labeled = data.splits["source"]["train"]
    true = dataset_labels(labeled.dataset)
    assert int((labeled.labels != true).sum()) == 20
    val = data.splits["source"]["val"]
    assert torch.equal(torch.stack([val[i][1] for i in range(5)]), dataset_labels(val)[:5])


def test_too_many_labels_per_class_is_a_clear_error():
    data = SemiSupervisedDigits(domain="digits", labels_per_class=500)
    with pytest.raises(ValueError, match="labels_per_class=500"):
        data.setup("fit")


def test_image_folders_split_the_same_way(tmp_path):
    root = make_domains(tmp_path, {"photos": ["cat", "dog"]}, 6)
    data = SemiSupervisedImageFolder(
        root=str(root),
        domain="photos",
        labels_per_class=2,
        image_size=32,
        batch_size=2,
        val_fraction=0.25,
        test_fraction=0.25,
    )
    data.setup("fit")
    assert torch.bincount(data.splits["source"]["train"].labels).tolist() == [2, 2]
    batch = first_batch(data)
    assert batch["target"]["image"].shape == (2, 3, 32, 32)


def test_one_domain_is_evaluated_once_under_both_names():
    """Source and target evaluation are the same images here: one loader serves both (every
    image scored once), and the model is told it stands for both domains."""
    data = SemiSupervisedDigits(domain="mnist", labels_per_class=10)
    data.setup("fit")
    assert data.eval_domains("val") == data.eval_domains("test") == (("source", "target"),)
    assert len(data.val_dataloader()) == len(data.test_dataloader()) == 1
    loaders = data.eval_loaders("test")
    assert loaders["source"] is loaders["target"]
    assert not data.target_val_labeled  # target validation labels stay hidden


def test_a_model_logs_both_domains_from_the_shared_loader():
    """Test accuracy under both names, from one pass, equal because the images are the same;
    validation logs no target accuracy (its labels are not the protocol's to see)."""
    import lightning as L

    from transferlab.methods import SourceOnly

    data = SemiSupervisedDigits(domain="mnist", labels_per_class=10, batch_size=64)
    model = SourceOnly(backbone="digit_cnn")
    trainer = L.Trainer(
        max_epochs=1,
        limit_train_batches=2,
        limit_val_batches=2,
        limit_test_batches=3,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=data)
    assert "val/source_acc" in trainer.callback_metrics
    assert "val/target_acc" not in trainer.callback_metrics
    (metrics,) = trainer.test(model, datamodule=data, verbose=False)
    assert metrics["test/source_acc"] == metrics["test/target_acc"]
