"""A few target labels (semi-supervised domain adaptation): they reach the model through
their own stream, and never the unlabeled stream or the evaluation splits."""

import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.data import DigitDomains


def image_keys(dataset) -> set[bytes]:
    return {dataset[i][0].numpy().tobytes() for i in range(len(dataset))}


def test_k_labels_per_class_come_from_the_target_training_split_only():
    data = DigitDomains(target_labels_per_class=3, batch_size=16)
    data.setup("fit")
    labeled = data.splits["target"]["labeled"]
    assert len(labeled) == 30
    assert sorted(int(labeled[i][1]) for i in range(30)) == sorted(list(range(10)) * 3)
    chosen = image_keys(labeled)
    for split in ("train", "val", "test"):
        assert not chosen & image_keys(data.splits["target"][split]), split
    batch = next(iter(data.train_dataloader()))[0]
    images, labels = batch["target_labeled"]
    assert len(images) == 16 and labels.dtype == torch.int64
    assert isinstance(batch["target"], torch.Tensor)  # the unlabeled stream stays unlabeled


@pytest.mark.parametrize(
    "method",
    [
        "dann/mnist_to_mnistm",
        "jan/mnist_to_mnistm",
        "source_only/mnist_to_mnistm",
        "importance_weighting/mnist_covariate_shift_kmm",
        "gradual_self_training/mnist_to_mnistm",
    ],
)
def test_the_labeled_target_term_is_added_to_the_training_loss(method, monkeypatch):
    cli = build_cli(
        config(f"{method}.yaml"),
        "--data.init_args.target_labels_per_class=2",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=1",
        "--trainer.enable_checkpointing=false",
    )
    cli.datamodule.setup("fit")
    batch = next(iter(cli.datamodule.train_dataloader()))[0]
    model = cli.model
    model.trainer = cli.trainer
    monkeypatch.setattr(type(model), "progress", property(lambda self: 0.5))
    monkeypatch.setattr(model, "log", lambda *a, **k: None)
    monkeypatch.setattr(model, "log_dict", lambda *a, **k: None)
    seen = []

    def marked_term(batch, logits=None):
        seen.append(batch["target_labeled"][1])
        return torch.tensor(1000.0)

    monkeypatch.setattr(model, "labeled_target_loss", marked_term)
    loss = model.training_step(batch, 0)
    assert seen and torch.equal(seen[0], batch["target_labeled"][1])
    assert loss.item() >= 1000.0  # the term is in the loss, not only computed


def test_labeled_target_loss_is_the_cross_entropy_of_those_images():
    cli = build_cli(
        config("dann/mnist_to_mnistm.yaml"), "--data.init_args.target_labels_per_class=1"
    )
    cli.datamodule.setup("fit")
    batch = next(iter(cli.datamodule.train_dataloader()))[0]
    cli.model.log = lambda *a, **k: None
    images, labels = batch["target_labeled"]
    expected = torch.nn.functional.cross_entropy(cli.model(images), labels)
    assert torch.allclose(cli.model.labeled_target_loss(batch), expected)
    assert cli.model.labeled_target_loss({"source": batch["source"]}) is None


def test_a_method_that_would_ignore_target_labels_is_refused():
    cli = build_cli(
        config("fixmatch/mnist_10_labels.yaml"),
        "--data.init_args.target_labels_per_class=2",
        "--trainer.fast_dev_run=true",
    )
    with pytest.raises(ValueError, match="FixMatch does not train on them"):
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)


def test_queried_target_positions_form_the_labeled_stream_with_the_labels_given():
    """Active domain adaptation: the loop's positions index ``training_pool()``."""
    data = DigitDomains(target_labeled_indices=[5, 0, 9], target_annotations={9: 3}, batch_size=2)
    pool, labels = data.training_pool()
    data.setup("fit")
    labeled = data.splits["target"]["labeled"]
    assert [int(labeled[i][1]) for i in range(3)] == [int(labels[0]), int(labels[5]), 3]
    assert torch.equal(labeled[0][0], pool[0][0])
    assert len(data.splits["target"]["train"]) == len(pool) - 3
    assert not image_keys(labeled) & image_keys(data.splits["target"]["train"])
    with pytest.raises(ValueError, match="target_labels_per_class or target_labeled_indices"):
        DigitDomains(target_labels_per_class=2, target_labeled_indices=[1])
