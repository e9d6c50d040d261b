"""The ``distillation`` and ``dark_knowledge`` kinds: Hinton et al.'s (2015) MNIST
experiments, and a distilled student's share of the gap between its teacher and the same
student trained from scratch.

``distillation`` trains each row as the ``train`` kind does (a student names its teacher's
checkpoint with ``{checkpoint:LABEL}``); its table counts test errors and, under each
task, says how much of the scratch -> teacher error gap the student closes. A student row
asks for that verdict with its options::

    options: {gap: [student from scratch, teacher], goal: 0.75, paper: 91% on 60,000}

``dark_knowledge`` is the second experiment: the student never sees one class in its
transfer set; after training, the bias of that class (``omitted_class``) is raised by the
amount that maximises accuracy on the validation split (the paper chose it on the test
set), and the test images of that class are scored before and after.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from transferlab.commands.bench.render import cell, commits, grouped
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec


def gap_closed(errors: dict[str, list[float]], low: str, high: str, student: str) -> float | None:
    """Share of the ``low`` (scratch) -> ``high`` (teacher) error gap that ``student``
    closes; None when there is no gap: the teacher not ahead of the scratch student by more
    than the seeds' spread (a share of a gap inside the noise would mean nothing)."""
    mean = {k: statistics.fmean(v) for k, v in errors.items()}
    spread = max(
        (statistics.stdev(errors[k]) for k in (high, low) if len(errors[k]) > 1), default=0.0
    )
    gap = mean[low] - mean[high]
    return (mean[low] - mean[student]) / gap if gap > spread else None


def gap_verdict(student: str, closed: float | None, goal: float | None, paper: str | None) -> str:
    """One sentence on the student's share of the gap, and on the goal when it has one."""
    verdict = (
        f"{student} closes {100 * closed:.0f}% of the scratch → teacher error gap"
        if closed is not None
        else "the teacher is not ahead of the scratch student by more than the seeds' "
        "spread: no gap to close"
    )
    if goal is not None:
        reached = "reached" if closed is not None and closed >= goal else "NOT reached"
        verdict += f" (goal ≥ {100 * goal:.0f}%: {reached}" + (
            f"; the paper: {paper})" if paper else ")"
        )
    return verdict


def test_errors(run: dict) -> int:
    """Misclassified test images of the source domain (the one both teacher and student
    are scored on)."""
    return round((1 - run["source_test_acc"]) * run["test_images"]["source"])


def distillation_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    lines = [
        *([spec.caption, ""] if spec.caption else []),
        "Accuracy in %, mean ± std over seeds; errors out of the test split's images.",
        "",
        "| experiment | model | test errors | source test acc | target test acc "
        "| selected by | seeds | commit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    groups = grouped(spec, runs)
    for task in spec.tasks:
        mine = {label: rows for t, label, rows in groups if t == task}
        for label, rows in mine.items():
            lines.append(
                f"| {task} | {label} | {cell([test_errors(r) for r in rows], scale=1)} | "
                f"{cell([r['source_test_acc'] for r in rows])} | "
                f"{cell([r['target_test_acc'] for r in rows])} | "
                f"{', '.join(sorted({r['protocol'] for r in rows}))} | {len(rows)} | "
                f"{commits(rows)} |"
            )
        for row in spec.rows:
            low_high = row.options.get("gap")
            if not low_high or not {row.label, *low_high} <= set(mine):
                continue
            errors = {k: [1 - r["source_test_acc"] for r in mine[k]] for k in mine}
            closed = gap_closed(errors, *low_high, row.label)
            verdict = gap_verdict(row.label, closed, row.options["goal"], row.options["paper"])
            lines.append(f"| {task} | *{verdict}* | | | | | | |")
    return "\n".join(lines)


@KINDS.register(
    "distillation", table=distillation_table, options={"gap": None, "goal": None, "paper": None}
)
def distillation(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """fit + test, as the ``train`` kind: what differs is the table (errors, the gap)."""
    return train(spec, run, overrides, folder)


def bias_fix(checkpoint: str, data, omitted: int) -> dict:
    """Accuracy on the test images of the omitted class before and after raising its bias
    by the amount chosen on the validation split (``data``: the run's own splits)."""
    from transferlab.checkpoints import load_method
    from transferlab.evaluation.class_bias import (
        collect_logits,
        per_class_accuracy,
        raise_class_bias,
        tune_class_bias,
    )

    model, _ = load_method(checkpoint)
    val_logits, val_labels = collect_logits(model, data.eval_dataloader("source", "val"))
    test_logits, test_labels = collect_logits(model, data.eval_dataloader("source", "test"))
    bias = tune_class_bias(val_logits, val_labels, omitted)
    fixed = raise_class_bias(test_logits, omitted, bias)
    return {
        "omitted_class": omitted,
        "bias": bias,
        "omitted_acc_before": per_class_accuracy(test_logits, test_labels, omitted),
        "omitted_acc_after": per_class_accuracy(fixed, test_labels, omitted),
        "test_acc_after": float((fixed.argmax(1) == test_labels).float().mean()),
    }


def dark_knowledge_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    students = [r for r in runs if "bias_fix" in r]
    omitted = sorted({r["bias_fix"]["omitted_class"] for r in students})
    which = ", ".join(map(str, omitted))
    lines = [
        f"{spec.caption} Accuracy in %, mean ± std over seeds ({len(students)}); the bias of "
        f"class {which} chosen on the validation split.",
        "",
        f"| model | test {which}s right | all test digits right | bias added to class {which} "
        "| commit |",
        "|---|---|---|---|---|",
    ]
    for _, label, mine in grouped(spec, runs):
        fixes = [r["bias_fix"] for r in mine if "bias_fix" in r]
        if not fixes:  # the teacher: it saw every class
            lines.append(
                f"| {label} | – | {cell([r['source_test_acc'] for r in mine])} | – "
                f"| {commits(mine)} |"
            )
            continue
        lines += [
            f"| {label}, as trained | {cell([f['omitted_acc_before'] for f in fixes])} | "
            f"{cell([r['source_test_acc'] for r in mine])} | 0 | {commits(mine)} |",
            f"| {label}, bias of class {which} raised | "
            f"{cell([f['omitted_acc_after'] for f in fixes])} | "
            f"{cell([f['test_acc_after'] for f in fixes])} | "
            f"{cell([f['bias'] for f in fixes], scale=1)} | {commits(mine)} |",
        ]
    lines += [
        "",
        "The paper (60,000 training digits, bias chosen on the test set): 98.6% of the test "
        "3s right after the bias fix.",
    ]
    return "\n".join(lines)


@KINDS.register("dark_knowledge", table=dark_knowledge_table, options={"omitted_class": None})
def dark_knowledge(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """fit + test; for a student (a row with ``omitted_class``), then the bias fix of the
    class it never saw, on the run's own validation and test splits."""
    built = []
    result = train(spec, run, overrides, folder, prepare=built.append)
    omitted = run.options["omitted_class"]
    if omitted is None:  # the teacher: it saw every class
        return result
    return result | {"bias_fix": bias_fix(result["checkpoint_path"], built[0].datamodule, omitted)}
