"""A table measured again keeps, in its results file, what it replaced and how it moved."""

import json

import yaml

from tests.conftest import ROOT
from transferlab.commands.bench.render import render
from transferlab.commands.bench.runner import write_run
from transferlab.commands.bench.spec import load_spec

SOURCE_ONLY = "configs/source_only/mnist_to_mnistm.yaml"
OLD, NEW = "a" * 40, "b" * 40


def record(label: str, seed: int, accuracy: float, commit: str) -> dict:
    return {
        "key": f"{label}__seed{seed}",
        "label": label,
        "task": "-",
        "seed": seed,
        "config": SOURCE_ONLY,
        "protocol": "source_val_acc",
        "target_test_acc": accuracy,
        "fit_seconds": 1.0,
        "provenance": {"commit": commit},
    }


def test_runs_measured_again_replace_the_old_ones_and_the_table_says_how_they_moved(tmp_path):
    rows = [{"label": label, "config": SOURCE_ONLY} for label in ("low", "high")]
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({"title": "tiny", "seeds": [0, 1], "rows": rows}))
    spec = load_spec(str(path), root=ROOT)
    results, store = tmp_path / "results", tmp_path / "store"
    results.mkdir()
    earlier = [
        record("low", 0, 0.50, OLD),
        record("low", 1, 0.60, OLD),
        record("high", 0, 0.7, OLD),
    ]
    (results / "tiny.json").write_text(json.dumps({"runs": earlier}))
    for run in (record("low", 0, 0.50, NEW), record("low", 1, 0.65, NEW)):
        write_run(store / "tiny" / f"{run['key']}.json", run)

    render(spec, store=store, results=results)
    payload = json.loads((results / "tiny.json").read_text())
    assert set(payload["replaced"]) == {"low__seed0", "low__seed1"}  # high: still the old run
    pair = payload["replaced"]["low__seed1"]
    assert (pair["old"], pair["new"], pair["old_commit"], pair["new_commit"]) == (60, 65, OLD, NEW)
    note = (results / "tiny.md").read_text()
    assert "Measured again: 2 runs replace the runs of the same rows and seeds in an " in note
    assert "(commit aaaaaaa)" in note
    assert "mean +2.50, from +0.00 (low, seed 0) to +5.00 (low, seed 1); 1 of 2 repeated" in note

    render(spec, store=store, results=results)  # the old runs have left the file: kept anyway
    assert json.loads((results / "tiny.json").read_text())["replaced"] == payload["replaced"]
    assert "Measured again: 2 runs" in (results / "tiny.md").read_text()


def test_a_table_never_measured_again_says_nothing_about_it(tmp_path):
    path = tmp_path / "tiny.yaml"
    rows = [{"label": "low", "config": SOURCE_ONLY}]
    path.write_text(yaml.safe_dump({"title": "tiny", "seeds": [0], "rows": rows}))
    spec = load_spec(str(path), root=ROOT)
    write_run(tmp_path / "store/tiny/low__seed0.json", record("low", 0, 0.5, NEW))
    render(spec, store=tmp_path / "store", results=tmp_path / "results")
    assert "replaced" not in json.loads((tmp_path / "results/tiny.json").read_text())
    assert "Measured again" not in (tmp_path / "results/tiny.md").read_text()
