"""``transferlab export``: checkpoint -> file + report, and its refusals before any work."""

import json
import shutil

import pytest

from transferlab.commands.entry import main as transferlab
from transferlab.commands.export import run


def test_static_int8_onnx_export_writes_a_verified_file_and_report(
    source_only_mnist_to_mnistm, tmp_path
):
    report = run(
        [
            f"--ckpt={source_only_mnist_to_mnistm.checkpoint_path}",
            "--format=onnx",
            "--quantize=static",
            "--calibration=128",
            "--no_latency",
            f"--output={tmp_path}",
        ]
    )  # the data come from the run's config.yaml beside the checkpoint folder
    assert json.loads((tmp_path / "report.json").read_text()) == report
    assert (tmp_path / "model.int8.onnx").is_file() and report["file_mb"] < 0.5
    assert report["test_batches"] == "all"
    assert report["source_parity"]["top1_agreement"] >= 0.99
    assert abs(report["source_test_acc"] - report["source_test_acc_float32"]) <= 0.01
    assert report["source_test_acc_float32"] == pytest.approx(
        source_only_mnist_to_mnistm.source_test_acc, abs=1e-6
    )  # the same test split the run itself reported


def test_refusals_name_what_is_wrong(source_only_mnist_to_mnistm, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.ckpt does not exist"):
        run([f"--ckpt={tmp_path / 'missing.ckpt'}"])
    alone = tmp_path / "alone.ckpt"  # no run folder, so no data beside it
    shutil.copy(source_only_mnist_to_mnistm.checkpoint_path, alone)
    with pytest.raises(ValueError, match="static quantization needs calibration images"):
        run([f"--ckpt={alone}", "--quantize=static"])
    with pytest.raises(ValueError, match="--format network holds float weights"):
        run([f"--ckpt={alone}", "--format=network", "--quantize=dynamic"])
    with pytest.raises(ValueError, match="--test_batches must be at least 1, got 0"):
        run([f"--ckpt={alone}", "--test_batches=0"])
    assert not (tmp_path / "export").exists()  # nothing written half-way


def test_the_one_command_prunes_channels_into_a_network_file(source_only_mnist_to_mnistm, tmp_path):
    """Through ``transferlab export``'s dispatch, in this process (a fresh one costs ten
    seconds of imports; test_cli starts the console script itself)."""
    transferlab(
        [
            "export",
            f"--ckpt={source_only_mnist_to_mnistm.checkpoint_path}",
            "--format=network",
            "--prune_channels=0.3",
            "--no_latency",
            f"--output={tmp_path}",
        ]
    )  # a user error would end in SystemExit(2)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["parameters_after"] < report["parameters_before"]
    assert (tmp_path / "network.pt").is_file()
