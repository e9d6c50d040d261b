"""The ``distillation``, ``dark_knowledge`` and ``distillation_deploy`` kinds end to end on
tiny specs: a teacher, students that name its checkpoint, the tables with their verdict
lines; and the share-of-the-gap rule on hand-computed errors."""

from types import SimpleNamespace

import pytest
import torch
import yaml

from tests.bench.tiny import TINY, run_and_render
from tests.conftest import ROOT
from transferlab.commands.bench.kinds.distillation import gap_closed, gap_verdict
from transferlab.commands.bench.kinds.distillation_deploy import deploy_table, latency_sentence
from transferlab.commands.bench.spec import load_spec

TEACHER = "teacher MLP"
SCRATCH = "student from scratch"
MLP = "configs/distillation/mnist_mlp_{}.yaml"


def write_spec(folder, name, kind, rows, **more):
    path = folder / f"{name}.yaml"
    spec = {"title": name, "caption": "tiny", "kind": kind, "seeds": [0], "threads": 1}
    path.write_text(yaml.safe_dump({**spec, "overrides": TINY, "rows": rows, **more}))
    return path


def ran(folder, path):
    runs, table = run_and_render(path)
    return {r["label"]: r for r in runs}, table


def test_the_share_of_the_gap_is_the_students_and_none_inside_the_noise():
    errors = {"scratch": [0.10, 0.11], "teacher": [0.05, 0.05], "student": [0.07, 0.07]}
    assert gap_closed(errors, "scratch", "teacher", "student") == pytest.approx(0.035 / 0.055)
    noisy = {**errors, "teacher": [0.09, 0.12]}  # ahead by 0.0 on the mean
    assert gap_closed(noisy, "scratch", "teacher", "student") is None
    assert gap_verdict("S", 0.8, 0.75, "91%") == (
        "S closes 80% of the scratch → teacher error gap (goal ≥ 75%: reached; the paper: 91%)"
    )
    assert "no gap to close (goal ≥ 75%: NOT reached)" in gap_verdict("S", None, 0.75, None)


def test_a_distilled_student_is_tabled_with_its_errors_and_its_share_of_the_gap(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    student = {
        "label": "student T = 20",
        "config": str(ROOT / MLP.format("student")),
        "overrides": [f"--model.init_args.teacher={{checkpoint:{TEACHER}}}"],
        "options": {"gap": [SCRATCH, TEACHER], "goal": 0.75, "paper": "91% on 60,000"},
    }
    rows = [
        {"label": TEACHER, "config": str(ROOT / MLP.format("teacher"))},
        {"label": SCRATCH, "config": str(ROOT / MLP.format("scratch"))},
        student,
    ]
    runs, table = ran(tmp_path, write_spec(tmp_path, "tiny_distillation", "distillation", rows))
    teacher_checkpoint = runs[TEACHER]["checkpoint_path"]
    assert f"--model.init_args.teacher={teacher_checkpoint}" in runs["student T = 20"]["overrides"]
    lines = table.splitlines()
    assert "| experiment | model | test errors | source test acc |" in table
    for label, run in runs.items():
        accuracy = run["source_test_acc"]
        assert 0 <= accuracy <= 1 and run["test_images"]["source"] == 1000
        errors = round((1 - accuracy) * 1000)
        assert f"| - | {label} | {errors}.00 | {100 * accuracy:.2f} |" in table
    verdict = lines[-1]
    assert "student T = 20 closes" in verdict or "no gap to close" in verdict
    assert "goal ≥ 75%" in verdict and "the paper: 91% on 60,000" in verdict


def test_a_student_that_never_saw_a_3_is_scored_on_the_3s_before_and_after_the_bias_fix(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    rows = [
        {"label": "teacher", "config": str(ROOT / MLP.format("teacher"))},
        {
            "label": "student",
            "config": str(ROOT / MLP.format("student")),
            "overrides": [
                "--model.init_args.teacher={checkpoint:teacher}",
                '--data.init_args.omit_source_classes=["3"]',
            ],
            "options": {"omitted_class": 3},
        },
    ]
    runs, table = ran(tmp_path, write_spec(tmp_path, "tiny_dark", "dark_knowledge", rows))
    assert "bias_fix" not in runs["teacher"]
    fix = runs["student"]["bias_fix"]
    assert fix["omitted_class"] == 3 and fix["bias"] >= 0
    for key in ("omitted_acc_before", "omitted_acc_after", "test_acc_after"):
        assert 0 <= fix[key] <= 1, key
    # the bias is chosen on validation images, so the test 3s can only gain from it
    assert fix["omitted_acc_after"] >= fix["omitted_acc_before"]
    assert "| model | test 3s right | all test digits right | bias added to class 3 |" in table
    assert "| student, as trained | " in table and "| student, bias of class 3 raised | " in table
    assert f"{100 * fix['omitted_acc_after']:.2f}" in table


def test_deployed_students_are_tabled_with_their_size_latency_and_the_pools_share(
    tmp_path, monkeypatch
):
    """A digit CNN stands in for the EfficientNet teacher (a tiny run's cost); at its own
    resolution, so the students' teacher sees their images unresized."""
    monkeypatch.chdir(tmp_path)
    small = "configs/distillation/mnistm_small_{}.yaml"
    distilled = [
        "--model.init_args.teacher={checkpoint:teacher}",
        "--model.init_args.teacher_image_size=null",
    ]
    rows = [
        {"label": "teacher", "config": str(ROOT / small.format("scratch"))},
        {"label": "scratch", "config": str(ROOT / small.format("scratch"))},
        {
            "label": "labeled only",
            "config": str(ROOT / small.format("student")),
            "overrides": [*distilled, "--model.init_args.transfer_set=source"],
        },
        {
            "label": "with the pool",
            "config": str(ROOT / small.format("student")),
            "overrides": distilled,
        },
    ]
    options = {"threads": 1, "batches": [1], "latency_seconds": 0.05, "busy": False}
    path = write_spec(
        tmp_path,
        "tiny_deploy",
        "distillation_deploy",
        rows,
        options=options,
        tasks={
            "10/class": ["--data.init_args.labels_per_class=10", "--trainer.limit_test_batches=4"]
        },
    )
    runs, table = ran(tmp_path, path)
    for run in runs.values():
        assert run["labels_per_class"] == 10 and run["latency_threads"] == 1
        assert run["parameters"] > 0 and run["latency_ms_b1"] > 0
        assert 4 * run["parameters"] / 1e6 <= run["file_mb"] < 10  # float32 weights, and more
        assert 0 <= run["source_test_acc"] <= 1
        assert run["busy"] == (run["cpu_others"] > 0.5)  # other processes' cores, measured
    assert runs["scratch"]["parameters"] == runs["with the pool"]["parameters"]
    for label in ("labeled only", "with the pool"):  # timed beside the teacher's network
        assert runs[label]["teacher_latency_ms_b1"] > 0 and runs[label]["speedup_b1"] > 0
    assert "speedup_b1" not in runs["teacher"] and "speedup_b1" not in runs["scratch"]
    assert "each run timed its teacher in turn with itself" in table
    assert (
        "| labels / class | model | seeds | test acc | parameters | file MB | ms, batch 1 | "
        "fit s | commit |" in table
    )
    busy = any(run["busy"] for run in runs.values())
    assert ("compare rows, not absolutes" in table) == busy
    # a spec measured beside other jobs before the load was recorded says so for its runs
    declared, quiet = SimpleNamespace(options={"busy": True}), {"busy": False, "cpu_others": 0.0}
    older = [{k: v for k, v in run.items() if k != "cpu_others"} for run in runs.values()]
    assert "compare rows, not absolutes" in latency_sentence(declared, older)
    measured = [run | quiet for run in runs.values()]
    assert "compare rows, not absolutes" not in latency_sentence(declared, measured)
    assert (
        table.rstrip().splitlines()[-1].startswith("- 10/class: distilled with the unlabeled pool")
    )
    assert "faster than the teacher: " in table and "x at batch 1 (" in table


def test_a_text_model_is_timed_on_real_target_test_texts():
    from transferlab.commands.bench.kinds.distillation_deploy import timing_inputs
    from transferlab.data.text import TextDomains, dataset_texts, tokenize

    data = TextDomains("movies", "amazon", max_length=32)
    data.setup("fit")
    ids = timing_inputs({"input": {"tokenizer": "minilm", "max_length": 32}}, data, 4)
    texts = dataset_texts(data.splits["target"]["test"])[:4]
    assert torch.equal(ids, tokenize(texts, "minilm", 32))
    image = timing_inputs({"input": {"image_size": 28}}, data, 2)
    assert image.shape == (2, 3, 28, 28)


DEPLOY_ROLES = ("t", "s", "l", "p")  # teacher, scratch, labeled only, labeled + pool


def deploy_record(label, seed, chosen, oracle=None, ms=2.0):
    """A hand-made run record of the ``distillation_deploy`` kind, for rendering only."""
    return {
        "task": "a → b",
        "label": label,
        "seed": seed,
        "labels_per_class": None,
        "accuracy_shown": "target_test_acc",
        "target_test_acc": chosen,
        "oracle_target_test_acc": oracle,
        "parameters": 10,
        "file_mb": 1.0,
        "latency_ms_b1": ms,
        "latency_threads": 1,
        "busy": False,
        "cpu_others": 0.0,
        "fit_seconds": 5.0,
        "provenance": {"commit": "0" * 40, "dirty": False},
    }


def deploy_table_of(tmp_path, runs, **spec):
    """The table of ``runs`` under a four-row spec written with ``spec``'s keys."""
    config = str(ROOT / MLP.format("teacher"))
    rows = [{"label": label, "config": config} for label in DEPLOY_ROLES]
    options = {"accuracy": "target_test_acc", **spec.pop("options", {})}
    name = f"deploy_{len(list(tmp_path.glob('*.yaml')))}"
    path = write_spec(
        tmp_path,
        name,
        "distillation_deploy",
        rows,
        tasks={"a → b": []},
        options=options,
        **spec,
    )
    return deploy_table(load_spec(str(path), ROOT), runs, tmp_path)


def test_a_deploy_table_shows_the_oracle_selected_accuracy_when_its_spec_asks(tmp_path):
    """Label-free and oracle-selected accuracies differ, so each column can be told apart."""
    runs = [
        deploy_record(label, seed, 0.5 + seed / 10, 0.8 + seed / 10)
        for label in DEPLOY_ROLES
        for seed in (0, 1)
    ]
    with_oracle = deploy_table_of(tmp_path, runs, oracle=True)
    assert "| t | 2 | 55.00 ± 7.07 | 85.00 ± 7.07 | 10 |" in with_oracle
    assert "target test acc (oracle-selected)" in with_oracle
    assert "target validation labels would have chosen" in with_oracle
    without = deploy_table_of(tmp_path, runs, oracle=False)
    assert "| t | 2 | 55.00 ± 7.07 | 10 |" in without
    assert "oracle" not in without


@pytest.mark.parametrize(
    "pooled_accuracy, pooled_ms, speedup, verdict",
    [
        (0.79, 1.0, None, "reached (1.0 points behind on the means)"),
        (0.75, 1.0, None, "NOT reached (5.0 points behind on the means)"),
        (0.81, 4.0, None, "NOT reached (below 5x at batch 1, 1.0 points ahead on the means)"),
        # timed beside the teacher in its own runs: that ratio, not the rows' medians
        (0.79, 4.0, 6.0, "reached (1.0 points behind on the means)"),
        (0.79, 1.0, 4.0, "NOT reached (below 5x at batch 1, 1.0 points behind on the means)"),
    ],
)
def test_a_deploy_goal_is_judged_on_speed_and_on_accuracy(
    tmp_path, pooled_accuracy, pooled_ms, speedup, verdict
):
    """The teacher at 80% and 10 ms a call; the pooled student must be 5x faster and
    within 2 points."""
    runs = [deploy_record("t", seed, 0.80, ms=10.0) for seed in (0, 1)]
    runs += [deploy_record(label, seed, 0.6) for label in ("s", "l") for seed in (0, 1)]
    pooled = [deploy_record("p", seed, pooled_accuracy, ms=pooled_ms) for seed in (0, 1)]
    runs += [r | ({"speedup_b1": speedup} if speedup else {}) for r in pooled]
    goal = {"goal_speedup": 5, "goal_points": 2}
    shown = deploy_table_of(tmp_path, runs, options=goal)
    assert shown.rstrip().endswith(
        "Goal: at least 5x faster than the teacher (as measured above) at every batch size, "
        f"within 2 points of its accuracy: {verdict}."
    )
    assert "Goal:" not in deploy_table_of(tmp_path, runs)
