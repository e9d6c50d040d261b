"""SimCLR: pre-trains from its YAML, and its backbone transfers to feature extraction."""

import pytest
import torch

from tests.conftest import build_cli, config


def test_simclr_backbone_transfers_to_feature_extraction(tmp_path):
    cli = build_cli(
        config("simclr/mnist_pretrain.yaml"),
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=2",
        "--trainer.max_epochs=1",
        f"--checkpoint.dirpath={tmp_path}",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert "val/knn_acc" in cli.trainer.callback_metrics
    checkpoint = cli.trainer.checkpoint_callback.best_model_path
    probe = build_cli(
        config("feature_extraction/mnist_10_labels.yaml"), f"--model.init_args.weights={checkpoint}"
    )
    for name, tensor in cli.model.backbone.state_dict().items():
        assert torch.equal(probe.model.backbone.state_dict()[name], tensor), name
    with pytest.raises(ValueError, match="does not fit this architecture"):
        build_cli(
            config("feature_extraction/digits_to_mnist.yaml"),
            f"--model.init_args.weights={checkpoint}",
        )
