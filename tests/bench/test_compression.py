"""The ``compression`` kind end to end on a tiny spec: a trained digit CNN, a magnitude-pruned
and a channel-pruned fine-tuning of it, each form written to its file and measured, and the
table with its goal lines and the sparsity plot."""

import pytest
import yaml

from tests.bench.tiny import TINY_TESTS, run_and_render
from tests.conftest import ROOT

PRUNE_90 = (
    '--trainer.callbacks=[{"class_path": "transferlab.callbacks.GlobalMagnitudePruning", '
    '"init_args": {"sparsity": 0.9, "pruning_epochs": 1}}]'
)
START = "--model.init_args.init_from={checkpoint:digit CNN}"


def tiny_spec(folder):
    spec = {
        "title": "tiny compression",
        "caption": "tiny",
        "kind": "compression",
        "seeds": [0],
        "threads": 1,
        "overrides": TINY_TESTS,
        "options": {"threads": 1, "latency_seconds": 0.01, "calibration": 64},
        "tasks": {"mnist": ["--data.init_args.source=mnist", "--data.init_args.target=mnistm"]},
        "rows": [
            {
                "label": "digit CNN",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
                "options": {
                    "models": {
                        "eager": "fp32 eager",
                        "onnx_fp32": "ONNX fp32 (ONNX Runtime)",
                        "onnx_int8_static": "ONNX int8 static (ONNX Runtime)",
                    }
                },
            },
            {
                "label": "unstructured 90%",
                "config": str(ROOT / "configs/pruning/mnist_digit_cnn_90.yaml"),
                "overrides": [PRUNE_90, START],
                "options": {"models": {"eager": "unstructured 90%"}},
            },
            {
                "label": "structured 50%",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
                "overrides": [START],
                "options": {
                    "prune_channels": 0.5,
                    "models": {"eager": "structured 50% of channels"},
                },
            },
        ],
    }
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_compression_rows_are_measured_from_one_trained_network(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path)
    runs, table = run_and_render(path)
    models = {m["model"]: m for run in runs for m in run["models"]}
    assert list(models) == [
        "fp32 eager",
        "ONNX fp32 (ONNX Runtime)",
        "ONNX int8 static (ONNX Runtime)",
        "unstructured 90%",
        "structured 50% of channels",
    ]
    for model in models.values():
        assert 0 <= model["accuracy"] <= 100 and model["latency_ms_b64"] > 0
    fp32, sparse = models["fp32 eager"], models["unstructured 90%"]
    # the ONNX file predicts what the network predicts; its int8 file is far smaller
    assert models["ONNX fp32 (ONNX Runtime)"]["accuracy"] == pytest.approx(fp32["accuracy"])
    assert models["ONNX int8 static (ONNX Runtime)"]["file_mb"] < fp32["file_mb"] / 2
    # magnitude pruning zeroes weights (smaller once compressed), channel pruning drops them
    assert sparse["sparsity"] == pytest.approx(0.9, abs=0.01)
    assert sparse["gzip_mb"] < fp32["gzip_mb"] / 2 and sparse["parameters"] == fp32["parameters"]
    assert models["structured 50% of channels"]["parameters"] < fp32["parameters"] / 2
    assert "**digit CNN on mnist**" in table and "| unrecorded |" not in table
    for name in models:
        assert f"\n| {name} | " in table
    assert "- ≥ 90% sparsity with ≤ 0.3 points drop: " in table
    assert "fastest int8 is ONNX int8 static (ONNX Runtime)" in table
    assert (tmp_path / "benchmarks/results/tiny_sparsity.png").stat().st_size > 1000
