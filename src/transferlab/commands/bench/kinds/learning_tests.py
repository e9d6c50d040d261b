"""The ``learning_tests`` kind: the settings of the test suite's "method learns" tests over
several seeds, so that each test's margin can sit below the effect every seed gave (and the
test's docstring can cite the numbers).

Each row trains a config a test trains, at the test's budget (the row's and its task's
overrides), as ``transferlab compare`` does; a task is a group of such tests. The kind's
options say what the table shows: ``metrics`` per task (default ``test/target_acc``),
``pairs`` of rows whose same-seed differences are listed under their task, and ``claims``,
what each test asserts -- a row minus its baseline (or the row alone) on a metric, above
a margin in points.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

from transferlab.commands.bench.render import commits
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

DEFAULT_METRICS = ["test/target_acc"]
OPTIONS = {
    "metrics": {},  # task -> the test metrics its tables show (default: DEFAULT_METRICS)
    "pairs": [],  # [row, baseline row]: same-seed differences, under their task's table
    "claims": [],  # {test, run, baseline (null: the run alone), metric, margin (points)}
}


def metrics_of(run: dict) -> dict[str, float]:
    """Every finite test metric of a run by name, its two accuracies included."""
    values = {"test/source_acc": run.get("source_test_acc")}
    values |= {"test/target_acc": run.get("target_test_acc")}
    values |= run.get("other_test_metrics") or {}
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


def check_labels(spec: Spec) -> None:
    """A pair or claim naming no row would silently drop out of the table: refuse it."""
    labels = {row.label for row in spec.rows}
    named = {label for pair in spec.options["pairs"] for label in pair}
    named |= {c[k] for c in spec.options["claims"] for k in ("run", "baseline") if c.get(k)}
    if named - labels:
        raise ValueError(f"{spec.path}: pairs or claims name no row: {sorted(named - labels)}")


def claims_table(spec: Spec, by: dict) -> list[str]:
    lines = [
        "### The learning tests, their margins and the effects behind them",
        "",
        "| test file (tests/methods/) | claim | margin | per seed | smallest | margin below it |",
        "|---|---|---|---|---|---|",
    ]
    task_of = {label: task for task, label, _ in by}
    for claim in spec.options["claims"]:
        run, base, name, margin = (claim[k] for k in ("run", "baseline", "metric", "margin"))
        task = task_of.get(run)
        seeds = sorted({s for t, label, s in by if (t, label) == (task, run)})
        if base is None:
            effects = [100 * by[(task, run, s)][name] for s in seeds]
            said = f"{run}: {name} > {margin}"
        else:
            effects = [
                100 * (by[(task, run, s)][name] - by[(task, base, s)][name])
                for s in seeds
                if (task, base, s) in by
            ]
            said = f"{run} − {base}: {name} > {margin}"
        if not effects:
            continue
        cells = ", ".join(f"{e:+.2f}" for e in effects)
        holds = "yes" if min(effects) > margin else "**no**"
        lines.append(
            f"| {claim['test']} | {said} | {margin} | {cells} | {min(effects):+.2f} | {holds} |"
        )
    return [*lines, ""]


def per_seed_table(spec: Spec, task: str, runs: list[dict], by: dict, seeds: list[int]):
    metrics = spec.options["metrics"].get(task, DEFAULT_METRICS)
    seed_heads = " | ".join(f"seed {s}" for s in seeds)
    lines = [f"| run | metric | {seed_heads} | mean ± std | commit |"]
    lines += ["|---|---|" + "---|" * (len(seeds) + 2)]
    for row in spec.rows:
        mine = [r for r in runs if r["label"] == row.label]
        for name in metrics:
            values = [by.get((task, row.label, s), {}).get(name) for s in seeds]
            values = [v for v in values if v is not None]
            if not values:
                continue
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells = " | ".join(f"{100 * v:.2f}" for v in values)
            lines.append(
                f"| {row.label} | {name} | {cells} | "
                f"{100 * statistics.fmean(values):.2f} ± {100 * spread:.2f} | {commits(mine)} |"
            )
    return lines


def pairs_table(spec: Spec, task: str, by: dict, seeds: list[int]) -> list[str]:
    metrics = spec.options["metrics"].get(task, DEFAULT_METRICS)
    lines = ["Paired differences (run − baseline, same seed), in points:", ""]
    lines += ["| run − baseline | metric | per seed | smallest |", "|---|---|---|---|"]
    for run, base in spec.options["pairs"]:
        for name in metrics:
            differences = [
                by[(task, run, s)][name] - by[(task, base, s)][name]
                for s in seeds
                if name in by.get((task, run, s), {}) and name in by.get((task, base, s), {})
            ]
            if differences:
                cells = ", ".join(f"{100 * d:+.2f}" for d in differences)
                lines.append(
                    f"| {run} − {base} | {name} | {cells} | {100 * min(differences):+.2f} |"
                )
    return lines


def task_tables(spec: Spec, task: str, runs: list[dict], by: dict) -> list[str]:
    """One task: each row's metrics per seed with mean ± std, then the pairs' differences."""
    mine = [r for r in runs if r["task"] == task]
    if not mine:
        return []
    seeds = sorted({r["seed"] for r in mine})
    threads = {1: ", one thread", None: ""}.get(spec.threads, f", {spec.threads} threads")
    lines = [f"### {task} (seeds {', '.join(map(str, seeds))}{threads})", ""]
    lines += per_seed_table(spec, task, mine, by, seeds)
    return [*lines, "", *pairs_table(spec, task, by, seeds), ""]


def learning_tests_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    check_labels(spec)
    by = {(r["task"], r["label"], r["seed"]): metrics_of(r) for r in runs}
    lines = [spec.caption, ""] if spec.caption else []
    lines += claims_table(spec, by)
    for task in spec.tasks:
        lines += task_tables(spec, task, runs, by)
    return "\n".join(lines).rstrip("\n")


@KINDS.register("learning_tests", table=learning_tests_table, options=OPTIONS)
def learning_tests(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """fit + test at the test's budget, as ``train``; the table reads the test metrics."""
    return train(spec, run, overrides, folder)
