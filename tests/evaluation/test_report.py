"""The report of a test run: right numbers in it, and every file there after
``transferlab test``."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from transferlab.commands.cli import TransferLabCLI
from transferlab.evaluation.report import classification_report, reliability_bins


def test_a_model_always_fully_confident_and_right_half_the_time_has_an_ece_of_one_half():
    labels = torch.arange(200) % 4
    predicted = torch.where(torch.arange(200) % 2 == 0, labels, (labels + 1) % 4)
    probabilities = torch.nn.functional.one_hot(predicted, 4).float()
    report = classification_report(probabilities, labels, ["a", "b", "c", "d"])
    assert report["ece"] == pytest.approx(0.5)
    assert report["accuracy"] == pytest.approx(0.5)
    assert sum(row["support"] for row in report["per_class"].values()) == 200
    assert torch.tensor(report["confusion"]).trace() == 100
    confidence, accuracy, counts = reliability_bins(probabilities, labels)
    assert counts[-1] == 200 and confidence[-1] == 1.0 and accuracy[-1] == 0.5


def test_transferlab_test_writes_the_report_beside_the_checkpoint(trained, tmp_path):
    _, _, checkpoint = trained
    run = Path(checkpoint).parents[1]
    copied = tmp_path / "run"
    shutil.copytree(run, copied)
    ckpt = copied / "checkpoints" / Path(checkpoint).name
    cli = TransferLabCLI(
        args=[
            "test",
            "-c",
            str(copied / "config.yaml"),
            f"--ckpt_path={ckpt}",
            "--trainer.logger=false",
            "--trainer.enable_progress_bar=false",
            f"--trainer.default_root_dir={tmp_path / 'tests'}",
        ],
    )
    folder = copied / f"report_{ckpt.stem}"
    names = ["report.md", "report.json", "explanations.png"]
    names += [
        f"{kind}_{d}.png" for kind in ("confusion", "reliability") for d in ("source", "target")
    ]
    assert all((folder / name).is_file() for name in names)
    report = json.loads((folder / "report.json").read_text())
    logged = {k: float(v) for k, v in cli.trainer.callback_metrics.items()}
    for domain in ("source", "target"):
        assert report["domains"][domain]["accuracy"] == pytest.approx(logged[f"test/{domain}_acc"])
        assert 0 <= report["domains"][domain]["ece"] <= 1
    text = (folder / "report.md").read_text()
    assert "checkpoint selection: source_val_acc" in text and "![explanations]" in text
