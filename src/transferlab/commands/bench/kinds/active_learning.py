"""The ``active_learning`` and ``active_learning_full`` kinds: a run is one whole
active-learning loop (``transferlab active``: one strategy, one seed, one pool), and the
table is what the loops' learning curves say -- test accuracy at a few label counts, the
labels needed to reach an accuracy (median over seeds), the area under the curve (mean
accuracy over the rounds) and the seconds per round.

A row's config is a ``transferlab active`` YAML from ``configs/active/``; the kind's
options are the ``active:`` settings the benchmark sets over it (``strategy``, ``budget``,
``query_size``, ``score_subset``; None keeps the config's), and the run's overrides reach
every round's fit, as they do on the command line. The loop keeps its state in the run's
folder after every round, so a stopped run resumes at its last finished round.

A row of another kind (the ``train`` kind: the same network without any queried label)
is reported under the table, as the accuracy the queries have to beat.
``active_learning_full`` is the same loop on the full MNIST pool, whose table also reports
the labels for 95% and checks the goals of the full-pool benchmark.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

from transferlab.commands.bench.render import commits, grouped, mean_std
from transferlab.commands.bench.runner import KINDS
from transferlab.commands.bench.spec import DEFAULT_TASK, Run, Spec

SETTINGS = ("strategy", "budget", "query_size", "score_subset")
SHOWN = (20, 50, 100, 200, 300)  # the label counts shown when a loop has over six rounds


def labels_to_reach(history: list[dict], accuracy: float) -> float:
    """The labels of the first round at ``accuracy``; infinity if no round got there, so
    a median over seeds says 'not within the budget' only when most seeds did not."""
    return next((h["labels"] for h in history if h["test_acc"] >= accuracy), math.inf)


def label_counts(loops: list[dict]) -> list[int]:
    """Every round's label count when there are six or fewer, else a few and the last."""
    counts = sorted({h["labels"] for run in loops for h in run["history"]})
    return counts if len(counts) <= 6 else [c for c in counts if c in SHOWN or c == counts[-1]]


def summary(runs: list[dict], counts: list[int], reach: tuple[float, ...]) -> dict:
    """One strategy's numbers over its seeds."""
    histories = [run["history"] for run in runs]
    at = {c: [h["test_acc"] for run in histories for h in run if h["labels"] == c] for c in counts}
    return {
        "at": {c: statistics.fmean(values) if values else None for c, values in at.items()},
        "reach": {a: statistics.median(labels_to_reach(h, a) for h in histories) for a in reach},
        "area": statistics.fmean(statistics.fmean(h["test_acc"] for h in run) for run in histories),
        "seconds": statistics.fmean(h["seconds"] for run in histories for h in run),
        "budget": min(run[-1]["labels"] for run in histories),
        "shared_cpu": any(run.get("shared_cpu") for run in runs),
    }


def labels_text(value: float, budget: int) -> str:
    return f"not within {budget}" if value == math.inf else f"{value:.0f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def queries(spec: Spec) -> str:
    """How the loops grew, read from the options the rows ran with."""
    settings = {
        (row.options["query_size"], row.options["budget"], row.options["score_subset"])
        for row in spec.rows
        if "budget" in row.options
    }
    parts = []
    for query, budget, subset in sorted(settings, key=str):
        text = f"{query} labels per round up to {budget}"
        if subset:
            text += f", each round scoring a fresh random {subset:,} of the unlabeled pool"
        parts.append(text)
    return "Queries: " + "; ".join(parts) + "."


def strategy_rows(spec: Spec, loops: list[dict], reach: tuple[float, ...]):
    """The table's lines, and each task's numbers per strategy (for the verdicts)."""
    counts = label_counts(loops)
    has_task = list(spec.tasks) != [DEFAULT_TASK]
    heads = [*(["domain"] if has_task else []), "strategy", "seeds"]
    heads += [f"@{c}" for c in counts] + [f"labels for {100 * a:.0f}%" for a in reach]
    heads += ["area under curve", "s / round", "commit"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    numbers: dict[str, dict[str, dict]] = {}
    for task, label, mine in grouped(spec, loops):
        n = numbers.setdefault(task, {})[label] = summary(mine, counts, reach)
        cells = [*([task] if has_task else []), label, str(len(mine))]
        cells += [percent(n["at"][c]) for c in counts]
        cells += [labels_text(n["reach"][a], n["budget"]) for a in reach]
        cells += [f"{100 * n['area']:.1f}", f"{n['seconds']:.1f}{'*' if n['shared_cpu'] else ''}"]
        lines.append("| " + " | ".join([*cells, commits(mine)]) + " |")
    if any(run.get("shared_cpu") for run in loops):
        lines += [
            "",
            "\\* seconds measured while other benchmarks shared the two cores: upper bounds.",
        ]
    return lines, numbers


def without_queries(spec: Spec, runs: list[dict]) -> list[str]:
    """A line per row that is not a loop: the accuracy the queried labels have to beat."""
    lines = []
    for task, label, mine in grouped(spec, runs):
        accuracy = mean_std([r["target_test_acc"] for r in mine])[0]
        where = "" if task == DEFAULT_TASK else f"{task}: "
        protocols = ", ".join(sorted({r["protocol"] for r in mine}))
        lines.append(
            f"{where}{label} (`{mine[0]['config']}`): {100 * accuracy:.1f}% target test "
            f"accuracy (seeds {[r['seed'] for r in mine]}, selected by {protocols}; "
            f"commit {commits(mine)})."
        )
    return lines


def draw_curves(spec: Spec, loops: list[dict], figures: Path) -> None:
    """Per task, each strategy's mean curve over its seeds: ``<spec>[_<task>]_curves.png``."""
    from transferlab.evaluation.plots import save_learning_curves

    for task in spec.tasks:
        curves = {}
        for _, label, mine in grouped(spec, [r for r in loops if r["task"] == task]):
            rounds = min(len(run["history"]) for run in mine)
            curves[label] = [
                (
                    mine[0]["history"][i]["labels"],
                    100 * statistics.fmean(run["history"][i]["test_acc"] for run in mine),
                )
                for i in range(rounds)
            ]
        if curves:
            name = spec.name if task == DEFAULT_TASK else f"{spec.name}_{task}"
            save_learning_curves(curves, figures / f"{name}_curves.png")


def split(runs: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the loops, the runs of other kinds)."""
    return [r for r in runs if "history" in r], [r for r in runs if "history" not in r]


def learning_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    loops, others = split(runs)
    lines, _ = strategy_rows(spec, loops, reach=(0.9,))
    draw_curves(spec, loops, figures)
    notes = without_queries(spec, others)
    return "\n".join([spec.caption, "", queries(spec), "", *lines, *([""] * bool(notes)), *notes])


def goals(numbers: dict[str, dict], domain: str) -> list[str]:
    """The full-pool benchmark's goals, each said as met or not on the domain measured."""
    if "random" not in numbers or len(numbers) < 2:
        return []
    best = min((s for s in numbers if s != "random"), key=lambda s: numbers[s]["reach"][0.9])
    best_90, random_90 = numbers[best]["reach"][0.9], numbers["random"]["reach"][0.9]
    met = best_90 <= 120 and random_90 >= 1.5 * best_90
    budget = numbers[best]["budget"]
    lines = [
        f"- {domain}: best strategy to 90%: **{best}**, {labels_text(best_90, budget)} labels; "
        f"random: {labels_text(random_90, numbers['random']['budget'])} (goal: ≤ 120 and "
        f"random ≥ 1.5× as many: {'met' if met else 'NOT met'}). BatchBALD's paper, 60,000 "
        "pool: BALD ~120–145, BatchBALD ~90."
    ]
    if "core_set" in numbers:
        core, rand = numbers["core_set"], numbers["random"]
        ahead = core["area"] >= rand["area"]
        lines.append(
            f"- {domain}: core-set vs random, area under the curve: {100 * core['area']:.1f} vs "
            f"{100 * rand['area']:.1f} (goal core-set ≥ random: {'met' if ahead else 'NOT met'})."
        )
    return lines


def full_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    loops, _ = split(runs)
    lines, numbers = strategy_rows(spec, loops, reach=(0.9, 0.95))
    draw_curves(spec, loops, figures)
    verdicts = [line for task, n in numbers.items() for line in goals(n, task)]
    return "\n".join([spec.caption, "", queries(spec), "", *lines, "", *verdicts])


@KINDS.register(
    "active_learning",
    table=learning_table,
    options={"strategy": None, "budget": 100, "query_size": 10, "score_subset": None},
)
def active_loop(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """``transferlab active`` on the row's config, its output in the run's folder."""
    from transferlab.commands.active import main as active
    from transferlab.commands.active import parse

    argv = [
        "-c",
        str(spec.root / run.row.config),
        f"--seed={run.seed}",
        *(f"--active.{k}={run.options[k]}" for k in SETTINGS if run.options[k] is not None),
        "--active.wandb=false",
        f"--active.output={folder}",
        *overrides,
    ]
    _, settings, _ = parse(argv)
    state = active(argv)
    return {
        "strategy": settings["strategy"],
        "active": {k: v for k, v in settings.items() if k not in ("output", "wandb")},
        "history": state.history,
    }


KINDS.add(
    "active_learning_full",
    active_loop,
    table=full_table,
    options={"strategy": None, "budget": 300, "query_size": 10, "score_subset": 10_000},
)
