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
