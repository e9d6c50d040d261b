"""transferlab-compare: the table of the main job."""

import json

from tests.conftest import config
from transferlab.experiments import main


def test_compare_writes_a_table_that_names_each_protocol(tmp_path, capsys):
    quick = [
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=2",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.callbacks=[]",
    ]
    main(
        [
            config("source_only/mnist_to_mnistm.yaml"),
            config("source_only/mnist_to_mnistm_oracle.yaml"),
            "--json",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "r.md"),
            *quick,
        ]
    )
    rows = json.loads((tmp_path / "r.json").read_text())
    assert [r["protocol"] for r in rows] == ["source_val_acc", "oracle_target_val_acc"]
    table = (tmp_path / "r.md").read_text()
    assert "SourceOnly (oracle)" in table and "oracle_target_val_acc" in table
    assert 0.0 <= rows[0]["target_test_acc"] <= 1.0
    assert "| SourceOnly | mnist → mnistm |" in capsys.readouterr().out


def test_consecutive_runs_get_their_own_wandb_run(monkeypatch):
    from pathlib import Path

    from transferlab.experiments import run_config

    tiny = [
        "--trainer.max_steps=2",
        "--trainer.limit_val_batches=1",
        "--trainer.callbacks=[]",
        "--trainer.enable_progress_bar=false",
    ]
    for _ in range(2):
        run_config(config("source_only/mnist_to_mnistm.yaml"), overrides=tiny)
    assert len(list(Path("runs/wandb").glob("offline-run-*"))) == 2
    assert len(list(Path("runs/transferlab").iterdir())) == 2  # one checkpoint folder each
