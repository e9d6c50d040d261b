"""Quantization-aware training: the network trains as a fake-quantized graph, its
checkpoint rebuilds that graph, and it converts to an int8 program that agrees with it."""

import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.checkpoints import load_method
from transferlab.commands.export import run as export
from transferlab.deploy.network import network_of
from transferlab.evaluation.inference import infer


def test_qat_trains_fake_quantized_reloads_and_converts_to_a_matching_int8_program(
    source_only_mnist_to_mnistm, digits, tmp_path
):
    """One run for every check: QAT graphs are slow to trace on one core."""
    cli = build_cli(
        config("quantization/mnist_digit_cnn_qat.yaml"),
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=15",
        "--trainer.limit_val_batches=3",
        f"--model.init_args.init_from={source_only_mnist_to_mnistm.checkpoint_path}",
        f"--checkpoint.dirpath={tmp_path}",
    )
    graph = cli.model.qat_network
    assert any("FakeQuantize" in type(m).__name__ for m in graph.modules())
    start = {k: v.clone() for k, v in graph.state_dict().items() if v.is_floating_point()}
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert any(not torch.equal(graph.state_dict()[k], v) for k, v in start.items())
    assert cli.trainer.callback_metrics["val/source_acc"] > 0.9  # it started trained

    model, _ = load_method(tmp_path / "last.ckpt")  # rebuilds the graph, then loads it
    assert torch.equal(model(digits["images"]), cli.model.eval()(digits["images"]))
    fake = infer(model, digits["test"])["logits"]
    converted = network_of(model)
    real = infer(converted, digits["test"])["logits"]
    assert (fake.argmax(1) == real.argmax(1)).float().mean() >= 0.98
    # each convolution's BatchNorm is folded into it, though only the 2-d kind was traced
    count = lambda graph, op: sum(op in str(n.target) for n in graph.graph.nodes)  # noqa: E731
    assert count(model.qat_network, "conv2d") == 2
    folded = count(model.qat_network, "batch_norm") - count(converted, "batch_norm")
    assert folded == 2

    with pytest.raises(ValueError, match="quantization-aware-trained checkpoint"):
        export([f"--ckpt={tmp_path / 'last.ckpt'}", "--format=onnx"])
