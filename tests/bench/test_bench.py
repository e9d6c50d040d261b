"""``transferlab bench``: a tiny spec end to end — run, stop after one run, leave alone what
another process holds, resume without redoing it in two processes, render a table with
provenance — and every spec in benchmarks/specs/ loads."""

import itertools
import json
import re

import lightning as L
import pytest
import torch
import yaml

from tests.conftest import ROOT
from transferlab.checkpoints import load_file
from transferlab.commands.bench.command import main
from transferlab.commands.bench.curves import EpochTestAccuracy, selected_by_epoch
from transferlab.commands.bench.provenance import UNRECORDED, commit_of
from transferlab.commands.bench.render import cell, grouped, pair_lines, table, versus
from transferlab.commands.bench.runner import (
    KINDS,
    claimed,
    groups_of,
    missing,
    run_spec,
    stored,
    with_checkpoints,
    write_run,
)
from transferlab.commands.bench.spec import all_specs, load_spec

SUPERSEDED = "superseded/*.json"  # a re-measured table's old records (development.md)

TINY = [
    "--trainer.limit_train_batches=3",
    "--trainer.limit_val_batches=2",
    "--trainer.limit_test_batches=2",
    "--trainer.logger=false",
]


def tiny_spec(folder, epochs=1, seeds=(0, 1), rows=2):
    spec = {
        "title": "tiny",
        "seeds": list(seeds),
        "overrides": [*TINY, f"--trainer.max_epochs={epochs}"],
        "rows": [
            {
                "label": "source-only",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
            },
            {"label": "DANN", "config": str(ROOT / "configs/dann/mnist_to_mnistm.yaml")},
        ],
        "baseline": "source-only",
    }
    spec["rows"] = spec["rows"][:rows]
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_a_stopped_spec_resumes_and_renders_with_provenance(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = load_spec(str(tiny_spec(tmp_path)), root=ROOT)
    assert run_spec(spec, max_runs=1) == ["source-only__seed0"]  # stopped after one run
    first = tmp_path / "runs/bench/tiny/source-only__seed0.json"
    written = first.stat().st_mtime_ns
    seed0, seed1 = groups_of(spec.runs())
    with claimed(tmp_path / "runs/bench/tiny/claims", seed0) as mine:  # another process's
        assert mine and run_spec(spec, seeds=[0]) == []  # DANN seed 0 is taken: left alone
    main(["run", str(spec.path), "--workers", "2"])  # DANN seed 0 and seed 1 side by side
    assert first.stat().st_mtime_ns == written  # resumed: the stored run is not done again
    assert not missing(spec)
    capsys.readouterr()
    main(["run", str(spec.path)])  # nothing left: it says where the runs are
    assert "tiny: 0 of 4 runs to do (all stored; to measure again, move them into runs/bench/" in (
        capsys.readouterr().out
    )
    with_pairs = yaml.safe_load(spec.path.read_text()) | {"pairs": [["DANN", "source-only"]]}
    spec.path.write_text(yaml.safe_dump(with_pairs))  # listed under the table by render
    main(["render", str(spec.path)])
    results = json.loads((tmp_path / "benchmarks/results/tiny.json").read_text())
    assert [(r["label"], r["seed"]) for r in results["runs"]] == [
        ("source-only", 0),
        ("source-only", 1),
        ("DANN", 0),
        ("DANN", 1),
    ]
    for run in results["runs"]:
        assert set(run["provenance"]) >= {
            "commit",
            "dirty",
            "command",
            "packages",
            "threads",
            "machine",
            "date",
        }
        assert run["wall_seconds"] > 0 and run["test_images"]["target"] > 0
    table = (tmp_path / "benchmarks/results/tiny.md").read_text()
    assert "| DANN |" in table and " ± " in table and "| 2 |" in table  # two seeds a row
    assert "\n- DANN − source-only: " in table


class KilledAfterFirstEpoch(L.Callback):
    """Dies once the first epoch and its checkpoint are done, as a killed process would."""

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == 1:
            raise RuntimeError("killed")


KILLER = "--trainer.callbacks+=tests.bench.test_bench.KilledAfterFirstEpoch"


def test_a_run_killed_part_way_resumes_to_the_result_of_an_unbroken_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = load_spec(str(tiny_spec(tmp_path, epochs=3, seeds=[0], rows=1)), root=ROOT)
    monkeypatch.setenv("BENCH_OVERRIDES", KILLER)
    with pytest.raises(RuntimeError, match="killed"):
        run_spec(spec)
    assert not stored(spec)  # nothing stored, a last.ckpt of epoch 0 left behind
    monkeypatch.delenv("BENCH_OVERRIDES")
    run_spec(spec)  # resumes
    resumed = stored(spec)["source-only__seed0"]
    assert resumed["resumed_from"].endswith("last.ckpt")
    spec.name = "unbroken"
    run_spec(spec)
    unbroken = stored(spec)["source-only__seed0"]
    assert unbroken["resumed_from"] is None
    for key in ("target_test_acc", "source_test_acc", "select_score", "best_epoch"):
        assert resumed[key] == unbroken[key], key
    final = [
        load_file(sorted((tmp_path / "runs/bench" / name).rglob("last.ckpt"))[-1], "checkpoint")
        for name in ("tiny", "unbroken")
    ]
    final = [checkpoint["state_dict"] for checkpoint in final]
    for key, value in final[0].items():
        assert torch.allclose(value.float(), final[1][key].float(), atol=1e-6), key


def test_a_curve_keeps_the_epochs_after_the_tested_checkpoint():
    """Testing a checkpoint restores every callback's state as of that checkpoint: a run
    whose selected epoch is not its last must still report the whole curve it fitted."""
    recorder = EpochTestAccuracy()
    recorder.load_state_dict({"epochs": [{"epoch": e} for e in range(3)]})  # fitted so far
    recorder.on_fit_end(trainer=None, pl_module=None)
    recorder.load_state_dict({"epochs": [{"epoch": 0}]})  # testing epoch 0's checkpoint
    assert [e["epoch"] for e in recorder.curve] == [0, 1, 2]


def test_a_learning_curve_survives_a_kill_and_ends_at_the_selected_checkpoint(
    tmp_path, monkeypatch
):
    """A spec's curve scores the target test split after every epoch; the curve of a run
    killed after epoch 1 of 3 and resumed still starts at epoch 0, and what it says source
    validation had selected by the last epoch is the checkpoint the run itself tested."""
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path, epochs=3, seeds=[0], rows=1)
    spec = yaml.safe_load(path.read_text()) | {"curve": True}
    path.write_text(yaml.safe_dump(spec))
    spec = load_spec(str(path), root=ROOT)
    monkeypatch.setenv("BENCH_OVERRIDES", KILLER)
    with pytest.raises(RuntimeError, match="killed"):
        run_spec(spec)
    monkeypatch.delenv("BENCH_OVERRIDES")
    run_spec(spec)
    result = stored(spec)["source-only__seed0"]
    assert result["resumed_from"] and [e["epoch"] for e in result["curve"]] == [0, 1, 2]
    assert selected_by_epoch(result["curve"], "select_score")[-1] == pytest.approx(
        result["target_test_acc"], abs=1e-6
    )
    main(["render", str(path)])
    assert (tmp_path / "benchmarks/results/tiny_curve.png").is_file()
    table = (tmp_path / "benchmarks/results/tiny.md").read_text()
    assert "| source-only | label-free |" in table
    assert " (resumed) |" in table and "only the time after resuming is counted" in table


def test_a_kind_with_its_own_table_renders_it(tmp_path, monkeypatch):
    """export_parity: train, export as ONNX float32 and int8, compare on both test splits."""
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path, seeds=[0], rows=1)
    spec = yaml.safe_load(path.read_text()) | {"kind": "export_parity", "caption": "parity"}
    path.write_text(yaml.safe_dump(spec))
    main(["run", str(path)])
    main(["render", str(path)])
    table = (tmp_path / "benchmarks/results/tiny.md").read_text()
    assert table.count("| ONNX fp32 |") == 2 and table.count("| ONNX int8 static |") == 2
    run = json.loads((tmp_path / "benchmarks/results/tiny.json").read_text())["runs"][0]
    fp32 = [r["top1_agreement"] for r in run["parity"] if r["model"] == "ONNX fp32"]
    assert min(fp32) >= 0.999  # float32 ONNX predicts what the PyTorch network predicts


def test_a_row_with_env_runs_in_its_own_process_started_with_it(tmp_path, monkeypatch):
    """``env`` acts when torch is imported: the row runs in a new process, and its
    provenance shows the CPU kernels it asked for and its thread count."""
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path, seeds=[0], rows=1)
    spec = yaml.safe_load(path.read_text())
    spec["rows"][0] |= {"threads": 1, "env": {"ATEN_CPU_CAPABILITY": "default"}}
    path.write_text(yaml.safe_dump(spec))
    spec = load_spec(str(path), root=ROOT)
    assert run_spec(spec) == ["source-only__seed0"]
    provenance = stored(spec)["source-only__seed0"]["provenance"]
    assert provenance["cpu_capability"] == "DEFAULT" and provenance["threads"] == 1


def test_runs_from_another_machine_count_as_done_unless_a_run_to_do_needs_their_checkpoint(
    tmp_path, monkeypatch
):
    """Committed run records resume a measurement elsewhere; a record whose checkpoint a
    pending row names, and which is not on this machine, is measured again first."""
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path, seeds=[0])
    spec = yaml.safe_load(path.read_text())
    spec["rows"][1]["overrides"] = ["--model.init_args.init_from={checkpoint:source-only}"]
    path.write_text(yaml.safe_dump(spec))
    spec = load_spec(str(path), root=ROOT)
    checkpoint = tmp_path / "runs/bench/tiny/runs/source-only__seed0/best.ckpt"
    record = {"key": "source-only__seed0", "checkpoint_path": str(checkpoint)}
    write_run(tmp_path / "runs/bench/tiny/source-only__seed0.json", record)
    assert [run.key for run in missing(spec)] == ["source-only__seed0", "DANN__seed0"]
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"")
    assert [run.key for run in missing(spec)] == ["DANN__seed0"]
    checkpoint.unlink()
    write_run(tmp_path / "runs/bench/tiny/DANN__seed0.json", {"key": "DANN__seed0"})
    assert missing(spec) == []  # nothing left needs the lost checkpoint


def test_a_spec_shows_another_specs_task_beside_its_own_without_running_it(tmp_path, monkeypatch):
    """``borrow``: the lender's runs of one task head the table under the name given, with
    their own provenance; the borrower runs only its own tasks."""
    monkeypatch.chdir(tmp_path)
    specs = tmp_path / "benchmarks/specs"
    specs.mkdir(parents=True)
    lender = yaml.safe_load(tiny_spec(tmp_path).read_text())
    borrower = lender | {"tasks": {"b": []}, "borrow": {"a, lent": {"spec": "lender", "task": "a"}}}
    oracle = {"label": "oracle", "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml")}
    lender |= {"tasks": {"a": []}, "rows": [*lender["rows"], oracle]}  # a row not borrowed
    (specs / "lender.yaml").write_text(yaml.safe_dump(lender))
    configs = {row["label"]: row["config"] for row in lender["rows"]}
    (specs / "borrower.yaml").write_text(yaml.safe_dump(borrower))
    for name, task, accuracy in (("lender", "a", 0.5), ("borrower", "b", 0.7)):
        for label, seed in itertools.product(("source-only", "DANN", "oracle"), (0, 1)):
            key = f"{task}__{label}__seed{seed}"
            record = {"key": key, "label": label, "task": task, "seed": seed}
            record |= {"config": configs[label], "protocol": "source_val_acc"}
            record |= {"target_test_acc": accuracy + 0.1 * (label == "DANN") + 0.01 * seed}
            record |= {"fit_seconds": 1.0, "provenance": {"commit": f"{name}000"}}
            write_run(tmp_path / f"runs/bench/{name}/{key}.json", record)
    spec = load_spec("borrower", root=tmp_path)
    assert [run.task for run in spec.runs()] == ["b"] * 4 and missing(spec) == []
    main(["render", "borrower"])
    main(["render", "borrower"])  # again: its own results file does not add borrowed runs
    table = (tmp_path / "benchmarks/results/borrower.md").read_text()
    rows = [line.split(" | ")[:3] for line in table.splitlines() if line.startswith("| a, lent")]
    assert rows == [
        ["| a, lent", "source-only", "50.50 ± 0.71"],
        ["| a, lent", "DANN", "60.50 ± 0.71"],
    ]
    assert table.index("| a, lent |") < table.index("| b |") and "| lender0 |" in table
    runs = json.loads((tmp_path / "benchmarks/results/borrower.json").read_text())["runs"]
    assert sorted(r.get("borrowed_from", "-") for r in runs) == ["-"] * 4 + ["lender"] * 4
    (specs / "lender.yaml").write_text(yaml.safe_dump(lender | {"kind": "distillation"}))
    with pytest.raises(ValueError, match=r"borrow 'a, lent': kind distillation renders its own"):
        load_spec("borrower", root=tmp_path)
    borrower["borrow"] = {"a, lent": {"spec": "lender", "task": "c"}}
    (specs / "borrower.yaml").write_text(yaml.safe_dump(borrower))
    with pytest.raises(ValueError, match=r"borrow 'a, lent': spec lender has no task 'c'"):
        load_spec("borrower", root=tmp_path)
    borrower["borrow"] = {"b again": {"spec": "borrower", "task": "b"}}
    (specs / "borrower.yaml").write_text(yaml.safe_dump(borrower))
    with pytest.raises(ValueError, match=r"'b again': its own tasks are in its table already"):
        load_spec("borrower", root=tmp_path)


def test_spec_mistakes_are_named(tmp_path):
    path = tiny_spec(tmp_path)
    spec = yaml.safe_load(path.read_text())
    spec["rows"][1]["overrides"] = ["--model.init_args.init_from={checkpoint:teacher}"]
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(
        ValueError, match=r"tiny.yaml: row DANN needs the checkpoint of \['teacher'\]"
    ):
        load_spec(str(path), root=ROOT)
    spec["rows"][1] = {"label": "DANN", "config": "configs/nope.yaml"}
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(FileNotFoundError, match="row DANN: no config configs/nope.yaml"):
        load_spec(str(path), root=ROOT)
    spec["rows"][1] = {"label": "DANN", "config": "configs/dann/mnist_to_mnistm.yaml"}
    spec["rows"][1]["options"] = {"budget": 3}
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ValueError, match=r"row DANN: unknown options \['budget'\] of kind train"):
        load_spec(str(path), root=ROOT)
    spec["kind"] = "lottery"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ValueError, match="tiny.yaml: unknown kind 'lottery'"):
        load_spec(str(path), root=ROOT)
    del spec["kind"], spec["rows"][1]["options"]
    path.write_text(yaml.safe_dump(spec | {"gap_goal": 0.3}))
    with pytest.raises(ValueError, match="tiny.yaml: gap_goal needs gap"):
        load_spec(str(path), root=ROOT)
    path.write_text(yaml.safe_dump(spec | {"gap": None, "gap_goal": 0.3}))
    with pytest.raises(ValueError, match=r"tiny.yaml: gap_goal needs gap: \[low row, high row\]"):
        load_spec(str(path), root=ROOT)
    path.write_text(yaml.safe_dump(spec | {"gap": ["source-only", "DANN"], "gap_goal": 30}))
    with pytest.raises(ValueError, match="tiny.yaml: gap_goal is a share between 0 and 1; got 30"):
        load_spec(str(path), root=ROOT)
    with_gap = spec | {"gap": ["source-only", "DANN"], "gap_goal": 0.3}
    path.write_text(yaml.safe_dump(with_gap | {"kind": "distillation_deploy"}))
    with pytest.raises(ValueError, match="gap_goal is judged by the trained-run table"):
        load_spec(str(path), root=ROOT)
    path.write_text(yaml.safe_dump(spec | {"gap": ["source-only", "DANN"], "gap_goal_row": "x"}))
    with pytest.raises(ValueError, match="tiny.yaml: gap_goal_row names the row a gap_goal is"):
        load_spec(str(path), root=ROOT)
    path.write_text(yaml.safe_dump(with_gap | {"gap_goal_row": "DANN"}))
    with pytest.raises(ValueError, match=r"tiny.yaml: gap_goal_row is one of \[\]; got 'DANN'"):
        load_spec(str(path), root=ROOT)


def test_a_gap_goal_is_judged_on_the_best_rows_share_averaged_over_the_tasks(tmp_path):
    """Rendering only, on hand-made records: two tasks, two seeds, a low and a high row
    and two rows between them whose shares are known by construction; the oracle-selected
    accuracies differ from the label-free ones, so the two protocols can be told apart."""
    path = tiny_spec(tmp_path, seeds=(0, 1))
    spec = yaml.safe_load(path.read_text())
    config = spec["rows"][0]["config"]
    spec["rows"] = [{"label": label, "config": config} for label in ("low", "a", "b", "high")]
    spec |= {"tasks": {"t1": [], "t2": []}, "gap": ["low", "high"], "oracle": True}
    del spec["baseline"]
    # target accuracy per task: low 0.50 / 0.60, high 0.90 / 0.80 (gaps 0.40 and 0.20)
    accuracy = {
        ("t1", "low"): 0.50, ("t1", "a"): 0.60, ("t1", "b"): 0.70, ("t1", "high"): 0.90,
        ("t2", "low"): 0.60, ("t2", "a"): 0.72, ("t2", "b"): 0.62, ("t2", "high"): 0.80,
    }  # fmt: skip
    # oracle-selected: a 0.02 and b 0.04 higher, the ends as selected label-free
    lift = {"a": 0.02, "b": 0.04}
    runs = [
        {
            "task": task,
            "label": label,
            "seed": seed,
            "protocol": "source_val_acc",
            "target_test_acc": value + (0.01 if seed else -0.01),
            "oracle_target_test_acc": value + lift.get(label, 0.0),
            "fit_seconds": 1.0,
        }
        for (task, label), value in accuracy.items()
        for seed in (0, 1)
    ]
    # label-free, a: 25% and 60% (mean 42.5%), b: 50% and 10% (mean 30%); oracle-selected,
    # a: 30% and 70% (mean 50%), b: 60% and 30% (mean 45%)
    for goal, verdict in ((0.35, "reached"), (0.45, "NOT reached")):
        path.write_text(yaml.safe_dump(spec | {"gap_goal": goal}))
        shown = table(load_spec(str(path), root=ROOT), runs)
        assert "| t1 | a | 60.00 ± 1.41 | source_val_acc | 62.00 ± 0.00 |" in shown
        assert "| 25% / 30% |" in shown and "| 60% / 70% |" in shown and "| 10% / 30% |" in shown
        assert (
            "Share of the gap closed, the mean over the 2 tasks (label-free / oracle-selected): "
            "a 42% / 50%; b 30% / 45%. Goal: the best row closes at least "
            f"{100 * goal:.0f}% of the gap on average, label-free: {verdict} (a, 42%; the best "
            "of 2 rows, picked on these test numbers)."
        ) in shown
    path.write_text(yaml.safe_dump(spec | {"gap_goal": 0.3}))
    b_on_t1_only = [r for r in runs if (r["task"], r["label"]) != ("t2", "b")]
    shown = table(load_spec(str(path), root=ROOT), b_on_t1_only)
    assert "a 42% / 50%. Goal:" in shown
    assert "label-free: not judged yet (b: no share on every task" in shown
    # a goal about one row is judged on that row, not the best one
    for row, verdict in (("b", "NOT reached (b, 30%"), ("a", "reached (a, 42%")):
        path.write_text(yaml.safe_dump(spec | {"gap_goal": 0.35, "gap_goal_row": row}))
        shown = table(load_spec(str(path), root=ROOT), runs)
        assert f"Goal: {row} closes at least 35% of the gap on average, label-free: " in shown
        assert f"{verdict}; the row the goal names)." in shown
    shown = table(load_spec(str(path), root=ROOT), b_on_t1_only)
    assert "label-free: reached (a, 42%; the row the goal names)." in shown  # b is not judged
    path.write_text(yaml.safe_dump(spec | {"gap_goal": 0.35, "gap_goal_row": "b"}))
    shown = table(load_spec(str(path), root=ROOT), b_on_t1_only)
    assert "label-free: not judged yet (b: no share on every task" in shown


def test_pairs_are_listed_per_task_under_both_protocols(tmp_path):
    """``pairs`` lists the first row minus the second, paired by seed, for the checkpoints
    as selected and the oracle-selected ones, by the rule of 'vs baseline'; a task lacking
    one of the rows lists nothing for it. Here a is ahead of b on both seeds as selected
    (+2 and +4: an effect) and, oracle-selected, +3 and -1 (signs disagree: within noise).
    Where a run lacks the oracle value the cell says it read only the seeds that have it."""
    path = tiny_spec(tmp_path, seeds=(0, 1))
    spec = yaml.safe_load(path.read_text())
    config = spec["rows"][0]["config"]
    spec["rows"] = [{"label": label, "config": config} for label in ("a", "b")]
    spec |= {"tasks": {"t1": [], "t2": []}, "oracle": True, "pairs": [["a", "b"]]}
    del spec["baseline"]
    values = {  # (label, seed): (as selected, oracle-selected)
        ("a", 0): (0.62, 0.63), ("a", 1): (0.64, 0.59),
        ("b", 0): (0.60, 0.60), ("b", 1): (0.60, 0.60),
    }  # fmt: skip
    runs = [
        {
            "task": "t1",
            "label": label,
            "seed": seed,
            "protocol": "source_val_acc",
            "target_test_acc": selected,
            "oracle_target_test_acc": oracle,
            "fit_seconds": 1.0,
        }
        for (label, seed), (selected, oracle) in values.items()
    ]
    runs.append(runs[0] | {"task": "t2"})  # t2 has row a only
    path.write_text(yaml.safe_dump(spec))
    loaded = load_spec(str(path), root=ROOT)
    shown = "\n".join(pair_lines(loaded, grouped(loaded, runs)))
    assert "- t1: a − b: +3.00 ± 1.41 as selected; +1.00 ± 2.83 (within noise) oracle-selected" in (
        shown
    )
    assert "- t2:" not in shown
    # one task (no prefix), and seed 1 of a measured before the oracle column existed
    one_task = [r | {"task": "-"} for r in runs[:4]]
    one_task[1] = {k: v for k, v in one_task[1].items() if k != "oracle_target_test_acc"}
    del spec["tasks"]
    path.write_text(yaml.safe_dump(spec))
    loaded = load_spec(str(path), root=ROOT)
    shown = "\n".join(pair_lines(loaded, grouped(loaded, one_task)))
    assert (
        "\n- a − b: +3.00 ± 1.41 as selected; +3.00 (seed 0 alone: no spread) (only the seeds"
        in (shown)
    )
    for pairs, message in (
        ("a", r"pairs is a list of \[row, other row\] lists, e.g. \[\[JAN, DAN\]\]; got 'a'"),
        (["a", "b"], r"pairs is a list of \[row, other row\] lists, e.g. .*; got 'a'"),
        (
            [[["a"], "b"]],
            r"pairs is a list of \[row, other row\] lists, e.g. .*; got \[\['a'\], 'b'\]",
        ),
        ([["a", "a"]], r"pairs \['a', 'a'\] names one row twice; name two different rows"),
        ([["a", "c"]], r"pairs names 'c', which is not a row; rows: \['a', 'b'\]"),
    ):
        path.write_text(yaml.safe_dump(spec | {"pairs": pairs}))
        with pytest.raises(ValueError, match=f"tiny.yaml: {message}"):
            load_spec(str(path), root=ROOT)


def test_a_row_measured_on_fewer_seeds_is_read_against_the_same_seeds(tmp_path):
    """A partial table: row a has seed 0 only, the baseline (low) row seeds 0 and 1, far
    apart. Its difference and its gap share use seed 0's runs of the other rows, not their
    means over seeds a has not run (which would say -10.00 and 0%)."""
    path = tiny_spec(tmp_path, seeds=(0, 1))
    spec = yaml.safe_load(path.read_text())
    config = spec["rows"][0]["config"]
    spec["rows"] = [{"label": label, "config": config} for label in ("low", "a", "high")]
    spec |= {"gap": ["low", "high"], "baseline": "low"}
    accuracy = {("low", 0): 0.50, ("low", 1): 0.70, ("a", 0): 0.60}
    accuracy |= {("high", 0): 0.90, ("high", 1): 0.90}
    runs = [
        {
            "task": "-",  # a spec without tasks
            "label": label,
            "seed": seed,
            "protocol": "source_val_acc",
            "target_test_acc": value,
            "fit_seconds": 1.0,
        }
        for (label, seed), value in accuracy.items()
    ]
    path.write_text(yaml.safe_dump(spec))
    shown = table(load_spec(str(path), root=ROOT), runs)
    assert "| +10.00 (seed 0 alone: no spread) | 25% |" in shown


def test_a_difference_without_spread_says_whether_it_pairs_a_seed_or_compares_means():
    """One common seed is that seed's paired difference; rows with no common seed compare
    means, and the two cells must not read the same."""
    base = [{"seed": 0, "target_test_acc": 0.50}, {"seed": 1, "target_test_acc": 0.70}]
    one_common = versus([{"seed": 1, "target_test_acc": 0.75}], base)
    none_common = versus([{"seed": 2, "target_test_acc": 0.75}], base)
    assert one_common == "+5.00 (seed 1 alone: no spread)"
    assert none_common == "+15.00 (means, one run on a side: no spread)"


def test_a_kind_reads_its_declared_options_with_the_spec_and_row_values_over_them(tmp_path):
    options = {"fp32_goal": 0.999, "threads": 1, "images": 100}
    if "parity_with_options" not in KINDS:
        KINDS.add("parity_with_options", KINDS.get("export_parity"), options=options)
    path = tiny_spec(tmp_path, rows=1)
    spec = yaml.safe_load(path.read_text()) | {"kind": "parity_with_options"}
    spec["options"] = {"threads": 2}
    spec["rows"][0]["options"] = {"fp32_goal": 0.99}
    path.write_text(yaml.safe_dump(spec))
    run = load_spec(str(path), root=ROOT).runs()[0]
    assert run.options == {"fp32_goal": 0.99, "threads": 2, "images": 100}


def test_every_spec_loads_and_every_row_names_a_config():
    specs = all_specs(ROOT)
    assert specs
    for spec in specs:
        assert spec.runs(), spec.name
        for row in spec.rows:
            assert (ROOT / row.config).is_file(), (spec.name, row.config)


class Built(Exception):
    """Raised by a ``prepare`` hook: the run is built, and nothing trains."""


def callbacks_of_a_spec_run(spec_name: str, label: str, folder) -> list[L.Callback]:
    """The callbacks the runner's ``train`` hands to the trainer for the row's seed 0."""
    spec = load_spec(spec_name, root=ROOT)
    run = next(r for r in spec.runs([0]) if r.row.label == label)

    def stop(cli):
        raise Built(list(cli.trainer.callbacks))

    with pytest.raises(Built) as built:
        overrides = [with_checkpoints(o, {}, run) for o in run.overrides]
        KINDS.get("train")(spec, run, overrides, folder, prepare=stop)
    return built.value.args[0]


@pytest.mark.parametrize(
    "spec_name, label",
    [
        ("transfer", "FineTuning (gradual, BackboneFinetuning)"),
        ("text_fine_tuning", "gradual unfreezing"),
    ],
)
def test_a_spec_run_keeps_the_callbacks_of_its_method(spec_name, label, tmp_path, monkeypatch):
    """Gradual unfreezing is a callback in its config: a runner that dropped every callback
    measured full fine-tuning under the gradual row's name."""
    from lightning.pytorch.callbacks import BackboneFinetuning

    monkeypatch.chdir(tmp_path)
    callbacks = callbacks_of_a_spec_run(spec_name, label, tmp_path / "run")
    assert any(isinstance(c, BackboneFinetuning) for c in callbacks)


def test_a_spec_run_leaves_out_the_watchers_its_config_lists(tmp_path, monkeypatch):
    from transferlab.callbacks import WatchOnly

    monkeypatch.chdir(tmp_path)
    config = yaml.safe_load((ROOT / "configs/source_only/digits_to_mnist.yaml").read_text())
    assert "FeatureTSNE" in str(config["trainer"]["callbacks"])  # what there is to leave out
    callbacks = callbacks_of_a_spec_run("transfer", "SourceOnly (digit_cnn from scratch)", tmp_path)
    assert callbacks and not any(isinstance(c, WatchOnly) for c in callbacks)


def test_watchers_are_the_callbacks_that_draw_or_log():
    from transferlab.callbacks import FeatureTSNE, LabelShiftCorrection, WatchOnly, without_watchers
    from transferlab.explain import ExplanationGrid

    kept = without_watchers([FeatureTSNE(), ExplanationGrid(), LabelShiftCorrection()])
    assert [type(c) for c in kept] == [LabelShiftCorrection]  # it changes a reported metric
    assert issubclass(ExplanationGrid, WatchOnly)


RESULTS = ROOT / "benchmarks" / "results"
INCLUDED = re.compile(r'--8<-- "(?:docs|benchmarks)/results/(\w+)\.md"|<!-- results:(\w+) -->')


def test_every_table_shown_has_a_results_file_and_a_spec():
    specs = {spec.name for spec in all_specs(ROOT)}
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    shown = {a or b for page in pages for a, b in INCLUDED.findall(page.read_text())}
    assert shown
    for name in shown:
        assert (RESULTS / f"{name}.md").is_file(), name
        assert name in specs, name


def test_results_hold_one_json_and_one_table_per_spec_plus_its_plots_and_runs_name_configs():
    """No partial results: every file is a spec's JSON or table, or a plot named after it;
    no benchmark script is left beside the specs."""
    specs = {spec.name for spec in all_specs(ROOT)}
    for path in RESULTS.iterdir():
        if path.suffix == ".png":
            assert any(path.stem.startswith(f"{name}_") for name in specs), path.name
        else:
            assert path.suffix in (".json", ".md") and path.stem in specs, path.name
    assert not list((ROOT / "benchmarks").glob("*.py"))
    for spec in all_specs(ROOT):
        results = RESULTS / f"{spec.name}.json"
        if results.is_file():
            for run in json.loads(results.read_text())["runs"]:
                assert (ROOT / run["config"]).is_file(), (spec.name, run["config"])


def test_every_run_a_table_shows_is_stored_so_a_fresh_clone_has_nothing_left_to_run():
    """A results file is rendered from the store: each run it shows that the runner
    measured (its provenance names a commit) has its record under runs/bench/<spec>/, so
    `transferlab bench run` on a fresh clone trains only what the table lacks, not runs
    whose numbers are already there. Borrowed runs live in their lender's store; a table
    being measured again keeps its old records in the store's superseded/ folder."""
    for spec in all_specs(ROOT):
        results = RESULTS / f"{spec.name}.json"
        if not results.is_file():
            continue
        store = ROOT / "runs" / "bench"
        have = stored(spec, store)
        old = {p.stem: json.loads(p.read_text()) for p in (store / spec.name).glob(SUPERSEDED)}
        for run in json.loads(results.read_text())["runs"]:
            if "borrowed_from" in run or commit_of(run) == UNRECORDED:
                continue
            assert run in (have.get(run["key"]), old.get(run["key"])), (spec.name, run["key"])


def test_results_files_are_strict_json():
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    for path in RESULTS.glob("*.json"):
        json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.parametrize(
    "line, dirty",
    [
        (" M src/transferlab/methods/transfer/lora.py", True),
        ("?? configs/dann/mine.yaml", True),
        ("?? src/transferlab/methods/new.py", True),
        (" M pyproject.toml", True),
        ("?? bench.log", False),  # a log beside the checkout is not code
        (" M docs/guides/text.md", False),
        ("?? runs/bench/x.json", False),
    ],
)
def test_only_changes_a_run_could_feel_make_a_tree_dirty(line, dirty):
    from transferlab.commands.bench.provenance import can_change_numbers

    assert can_change_numbers(line) is dirty


def test_a_cell_says_how_many_seeds_stand_behind_it_when_some_runs_lack_the_value():
    assert cell([0.5, 0.7]) == "60.00 ± 14.14"
    assert cell([0.5, None, 0.7]) == "60.00 ± 14.14 (2 of 3 seeds)"
    assert cell([None, 0.5]) == "50.00 (1 of 2 seeds)" and cell([None]) == "–"
