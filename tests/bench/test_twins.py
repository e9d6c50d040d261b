"""Two runs of a spec that would train the same thing train once."""

import json

import yaml

from tests.conftest import ROOT
from transferlab.commands.bench.command import main
from transferlab.commands.bench.runner import KINDS, trained_as
from transferlab.commands.bench.spec import all_specs, effective

TRAINED = []


def counted(spec, run, overrides, folder, prepare=None) -> dict:
    """A kind that trains nothing and says which runs it was asked to measure."""
    TRAINED.append(run.key)
    return {"target_test_acc": 0.5, "protocol": "source_val_acc", "fit_seconds": 1.0}


def test_a_later_scalar_setting_replaces_an_earlier_one_and_nothing_else_moves():
    overrides = ("--t.epochs=1", "--data", "x.yaml", "--t.epochs=2", "--m.lr=0.1")
    assert effective(overrides) == ("--data", "x.yaml", "--t.epochs=2", "--m.lr=0.1")
    configs = ("--config=fsdp.yaml", "--config=bf16.yaml")  # both apply, in order
    assert effective(configs) == configs
    merged = ("--m.optimizer={lr: 1}", "--m.optimizer={momentum: 0.9}")  # may merge
    assert effective(merged) == merged


def test_every_spec_trains_only_what_differs(tmp_path):
    """The specs' twins: the scratch students that a task's teacher budget does not reach,
    one learning test's teacher (the adaptation task's source-only run); never two rows of
    one task (the reproducibility table's repeat), nor rows that differ by a config file."""
    found = {
        (spec.name, run.row.label)
        for spec in all_specs(ROOT)
        for run in spec.runs()
        if trained_as(spec, run)
    }
    assert found == {
        ("distillation", "student 784-800-800 from scratch"),
        ("distillation_full", "student 784-800-800 from scratch"),
        ("learning_tests", "teacher"),
    }


def test_a_run_that_another_task_already_trained_is_kept_from_it(tmp_path, monkeypatch, capsys):
    """The long task's override sets the teacher's epochs and the student sets them back: the
    long task's student is the short task's, so it is stored from it, not trained again."""
    monkeypatch.chdir(tmp_path)
    if "counted" not in KINDS:
        KINDS.add("counted", counted)
    TRAINED.clear()
    rows = [
        {"label": "teacher", "config": str(ROOT / "configs/dann/mnist_to_mnistm.yaml")},
        {
            "label": "student",
            "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
            "overrides": ["--trainer.max_epochs=1"],
        },
    ]
    spec = {
        "title": "twins",
        "seeds": [0],
        "kind": "counted",
        "overrides": ["--trainer.max_epochs=1"],
        "tasks": {"short": [], "long": ["--trainer.max_epochs=3"]},
        "rows": rows,
    }
    path = tmp_path / "twins.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))  # tasks in this order

    main(["run", str(path), "--dry-run"])
    listed = capsys.readouterr().out
    assert "long__student__seed0: " in listed
    assert "(the run short__student__seed0: kept from it, not trained again)" in listed
    assert listed.count("not trained again") == 1

    main(["run", str(path)])
    assert TRAINED == ["short__teacher__seed0", "short__student__seed0", "long__teacher__seed0"]
    kept = json.loads((tmp_path / "runs/bench/twins/long__student__seed0.json").read_text())
    assert kept["same_run_as"] == "short__student__seed0"
    assert (kept["task"], kept["label"], kept["key"]) == ("long", "student", "long__student__seed0")
