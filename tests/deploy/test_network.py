"""The deployable network of a method, its weights-only file, and channel pruning."""

import pytest
import torch
from torch import nn

from tests.conftest import build_cli, config
from transferlab.checkpoints import load_method
from transferlab.deploy.channel_pruning import prune_channels
from transferlab.deploy.network import load_network, network_of, save_network
from transferlab.evaluation.inference import accuracy
from transferlab.evaluation.model_size import count_parameters
from transferlab.methods import TripletNetwork


def test_a_method_without_one_classifying_head_is_refused_with_the_methods_that_export():
    with pytest.raises(ValueError, match="TripletNetwork does not classify.*SourceOnly"):
        network_of(TripletNetwork(num_classes=5))


def test_a_missing_or_foreign_file_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_network(tmp_path / "nothing.ckpt")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="neither a transferlab checkpoint nor a network file"):
        load_network(foreign)


def test_channel_pruning_shrinks_the_network_and_its_file_rebuilds_it(trained, digits, tmp_path):
    network, info, checkpoint = trained
    pruned = load_network(checkpoint)[0]
    counts = prune_channels(pruned, 0.5, digits["images"][:2])
    assert counts["parameters_after"] == count_parameters(pruned) < 0.4 * count_parameters(network)
    assert pruned[0].stem[0].out_channels == 16 and pruned[0].stem[1].num_features == 16
    path = save_network(pruned, tmp_path / "network.pt", info)
    rebuilt, rebuilt_info = load_network(path)  # weights_only=True inside
    assert rebuilt_info["backbone"] == "digit_cnn"
    assert torch.equal(rebuilt(digits["images"]), pruned(digits["images"]))


def test_a_pruned_network_fine_tunes_from_its_file_and_reloads_from_the_checkpoint(
    trained, digits, tmp_path
):
    """Structured pruning without fine-tuning costs a lot; a short ``transferlab fit`` from
    the network file (``init_from``) brings the accuracy back, and its checkpoint rebuilds
    the pruned architecture."""
    _, info, checkpoint = trained
    pruned = load_network(checkpoint)[0]
    prune_channels(pruned, 0.5, digits["images"][:2])
    path = save_network(pruned, tmp_path / "network.pt", info)
    before = accuracy(pruned, digits["test"])
    cli = build_cli(
        config("source_only/mnist_to_mnistm.yaml"),
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=30",
        "--trainer.limit_val_batches=2",
        "--trainer.callbacks=[]",
        "--model.init_args.lr_scheduler=null",
        f"--model.init_args.init_from={path}",
        f"--checkpoint.dirpath={tmp_path / 'checkpoints'}",
    )
    assert cli.model.backbone.stem[0].out_channels == 16
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    model, _ = load_method(tmp_path / "checkpoints" / "last.ckpt")
    tuned = network_of(model)
    assert count_parameters(tuned) == count_parameters(pruned)
    assert torch.equal(tuned(digits["images"]), network_of(cli.model.eval())(digits["images"]))
    after = accuracy(tuned, digits["test"])
    assert after > 0.85 and after > before + 0.1, (before, after)


def test_init_from_refuses_another_class_count(trained, tmp_path):
    network, info, _ = trained
    wide = nn.Sequential(network[0], nn.Linear(256, 7))
    path = save_network(wide, tmp_path / "seven.pt", {**info, "num_classes": 7})
    with pytest.raises(ValueError, match="classifies 7 classes but this model has 10"):
        build_cli(config("source_only/mnist_to_mnistm.yaml"), f"--model.init_args.init_from={path}")
