"""transferlab compare: the table of the main job."""

import json

import pytest

from tests.conftest import config
from transferlab.commands.compare import main


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
            "--validators",
            "im",
            *quick,
        ]
    )
    rows = json.loads((tmp_path / "r.json").read_text())
    assert [r["protocol"] for r in rows] == ["source_val_acc", "oracle_target_val_acc"]
    table = (tmp_path / "r.md").read_text()
    assert "SourceOnly (oracle)" in table and "oracle_target_val_acc" in table
    assert "target test acc by IM (epoch) |" in table.splitlines()[0]
    assert 0.0 <= rows[0]["validator_target_test_acc"]["im"] <= 1.0
    assert rows[1]["validator_target_test_acc"] == {}  # the oracle is selected on labels
    assert table.splitlines()[3].endswith("| – |")
    assert 0.0 <= rows[0]["target_test_acc"] <= 1.0
    assert "| SourceOnly | mnist → mnistm |" in capsys.readouterr().out


def test_consecutive_runs_get_their_own_wandb_run(monkeypatch):
    from pathlib import Path

    from transferlab.commands.compare import run_config

    tiny = [
        "--trainer.max_steps=2",
        "--trainer.limit_val_batches=1",
        "--trainer.callbacks=[]",
        "--trainer.enable_progress_bar=false",
    ]
    for _ in range(2):
        run_config(config("source_only/mnist_to_mnistm.yaml"), overrides=tiny)
    runs = sorted(Path("runs/SourceOnly_mnist_to_mnistm").iterdir())
    assert [r.name for r in runs] == ["version_0", "version_1"]  # one folder per run
    for run in runs:
        assert len(list((run / "wandb").glob("offline-run-*"))) == 1
        assert list((run / "checkpoints").glob("*.ckpt"))


def test_oracle_selection_is_reported_beside_and_does_not_change_the_label_free_choice():
    """Target validation labels only feed a second checkpoint: the label-free run is
    bit-for-bit the same with or without them, and target training batches stay images.
    The label-free validators reported beside it get their own checkpoints without changing
    the run either, and the IM one is the checkpoint that ``validator=im`` itself chose."""
    from transferlab.commands.compare import run_config

    tiny = [
        "--trainer.max_epochs=3",
        "--trainer.limit_train_batches=4",
        "--trainer.limit_val_batches=3",
        "--trainer.limit_test_batches=3",
        "--trainer.logger=false",
        "--trainer.callbacks=[]",
        "--trainer.enable_progress_bar=false",
        "--model.init_args.validator=im",
    ]
    dann = config("dann/mnist_to_mnistm.yaml")
    plain = run_config(dann, overrides=tiny)
    both = run_config(
        dann,
        overrides=[*tiny, "--trainer.default_root_dir=second"],
        oracle_selection=True,
        validators=("im", "snd", "dev"),
    )
    assert plain.oracle_target_test_acc is None
    assert both.protocol == plain.protocol == "im_target_val"
    assert both.select_score == plain.select_score
    assert both.target_test_acc == plain.target_test_acc
    assert 0.0 <= both.oracle_target_test_acc <= 1.0
    assert 0 <= both.oracle_best_epoch <= 2
    assert plain.validator_target_test_acc == {}
    assert sorted(both.validator_target_test_acc) == ["dev", "im", "snd"]
    assert all(0.0 <= acc <= 1.0 for acc in both.validator_target_test_acc.values())
    assert all(0 <= epoch <= 2 for epoch in both.validator_best_epoch.values())
    assert both.validator_best_epoch["im"] == plain.best_epoch
    assert both.validator_target_test_acc["im"] == plain.target_test_acc


def test_an_unknown_validator_is_refused_before_training():
    from transferlab.commands.compare import run_config

    with pytest.raises(ValueError, match=r"unknown validators \['imm'\]: choose from"):
        run_config(config("dann/mnist_to_mnistm.yaml"), validators=("im", "imm"))
