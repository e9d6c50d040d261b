"""Global magnitude pruning: the schedule compounds to the target, the sparsity is measured
from the weights, made permanent, and only fully pruned epochs are selected."""

import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.callbacks import GlobalMagnitudePruning
from transferlab.checkpoints import load_method
from transferlab.evaluation.model_size import weight_sparsity


def test_the_steps_compound_to_the_target_sparsity():
    pruning = GlobalMagnitudePruning(sparsity=0.9, pruning_epochs=3)
    left = 1.0
    for epoch in range(5):
        left *= 1 - pruning.amount_at_epoch(epoch)
    assert left == pytest.approx(0.1)
    assert pruning.amount_at_epoch(3) == 0.0
    assert pruning.sparsity_after(2) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="sparsity must be in"):
        GlobalMagnitudePruning(sparsity=1.5)


def test_pruning_a_trained_model_reaches_the_sparsity_and_the_checkpoint_keeps_it(
    source_only_mnist_to_mnistm, tmp_path
):
    cli = build_cli(
        config("pruning/mnist_digit_cnn_90.yaml"),
        "--trainer.max_epochs=3",
        "--trainer.limit_train_batches=10",
        "--trainer.limit_val_batches=3",
        '--trainer.callbacks=[{"class_path": "transferlab.callbacks.GlobalMagnitudePruning", '
        '"init_args": {"sparsity": 0.8, "pruning_epochs": 2}}]',
        f"--model.init_args.init_from={source_only_mnist_to_mnistm.checkpoint_path}",
        f"--checkpoint.dirpath={tmp_path}",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    model = cli.model.eval()
    assert not any(name.endswith("_orig") for name, _ in model.named_parameters())  # permanent
    assert weight_sparsity(model.backbone, model.head) == pytest.approx(0.8, abs=0.01)
    best = cli.trainer.checkpoint_callback.best_model_path
    assert "epoch=0" not in best  # epoch 0 was only 55% sparse: not a candidate
    reloaded, _ = load_method(tmp_path / "last.ckpt")
    assert weight_sparsity(reloaded.backbone, reloaded.head) == pytest.approx(0.8, abs=0.01)
    images = torch.rand(16, 3, 28, 28)
    assert torch.equal(reloaded(images), model(images))
    assert cli.trainer.callback_metrics["val/source_acc"] > 0.9  # a trained model, still


def test_a_resumed_pruning_run_keeps_its_zeros(tmp_path):
    """A checkpoint holds the zeros but not the masks: resuming must not let them regrow."""
    pruning = (
        '--trainer.callbacks=[{"class_path": "transferlab.callbacks.GlobalMagnitudePruning", '
        '"init_args": {"sparsity": 0.8, "pruning_epochs": 1}}]'
    )
    short = ("--trainer.limit_train_batches=5", "--trainer.limit_val_batches=2", pruning)
    args = (config("pruning/mnist_digit_cnn_90.yaml"), *short, f"--checkpoint.dirpath={tmp_path}")
    first = build_cli(*args, "--trainer.max_epochs=1")
    first.trainer.fit(first.model, datamodule=first.datamodule)
    resumed = build_cli(*args, "--trainer.max_epochs=3")
    resumed.trainer.fit(
        resumed.model, datamodule=resumed.datamodule, ckpt_path=str(tmp_path / "last.ckpt")
    )
    model = resumed.model
    assert weight_sparsity(model.backbone, model.head) == pytest.approx(0.8, abs=0.01)


def test_more_pruning_steps_than_epochs_is_refused(tmp_path):
    cli = build_cli(config("pruning/mnist_digit_cnn_90.yaml"), "--trainer.max_epochs=2")
    with pytest.raises(ValueError, match="pruning_epochs=3 but trainer.max_epochs=2"):
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)
