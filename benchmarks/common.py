"""Helpers shared by the benchmark scripts: aggregation and result files."""

from __future__ import annotations

import json
import os
import platform
import shlex
from pathlib import Path

import torch

from transferlab.commands.bench.render import mean_std, paired
from transferlab.commands.bench.runner import strict
from transferlab.commands.cli import NO_CALLBACKS, QUIET_TRAINER

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """What the numbers were measured on, stored next to them."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "platform": platform.platform(),
        "bench_overrides": os.environ.get("BENCH_OVERRIDES", ""),  # part of the protocol
    }


def merged(paths: list[Path]) -> dict:
    """One payload from result JSONs written by parallel processes (e.g. one per seed)."""
    payloads = [json.loads(Path(path).read_text()) for path in paths]
    return {**payloads[0], "runs": [run for payload in payloads for run in payload["runs"]]}


def write(name: str, payload: dict, table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(strict(payload), indent=2, allow_nan=False))
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)


# Extra CLI arguments for every run, e.g. to move all benchmarks onto a GPU:
#   BENCH_OVERRIDES="--trainer.accelerator=gpu" python benchmarks/<script>.py
EXTRA = shlex.split(os.environ.get("BENCH_OVERRIDES", ""))

QUIET = [*QUIET_TRAINER, NO_CALLBACKS]


def run_folder(label: str, task: str, seed: int) -> Path:
    """Where ``run_one`` trains (relative to the working directory)."""
    return Path(
        f"runs/benchmarks/{task}/{label}/seed{seed}".replace(" → ", "_to_").replace(" ", "_")
    )


def run_one(
    label: str,
    task: str,
    config: str,
    seed: int,
    overrides: list[str],
    oracle_selection: bool = False,
    validators: tuple[str, ...] = (),
) -> dict:
    """fit + test one config (a path relative to the repository) and print a line."""
    from dataclasses import asdict

    from transferlab.commands.compare import run_config

    root = Path(__file__).resolve().parents[1]
    run_dir = run_folder(label, task, seed)
    result = run_config(
        str(root / config),
        seed=seed,
        overrides=[*QUIET, f"--trainer.default_root_dir={run_dir}", *overrides, *EXTRA],
        oracle_selection=oracle_selection,
        validators=validators,
    )
    print(
        f"{task} {label} seed={seed}: target {result.target_test_acc:.4f} "
        f"source {result.source_test_acc:.4f} ({result.fit_seconds:.0f} s)",
        flush=True,
    )
    return {"label": label, "task": task, **asdict(result)}


def grouped(runs: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """``{task: {label: runs}}``, in the order the runs were made."""
    groups: dict[str, dict[str, list[dict]]] = {}
    for run in runs:
        groups.setdefault(run["task"], {}).setdefault(run["label"], []).append(run)
    return groups


def cell(values: list[float]) -> str:
    """``mean ± std`` of percentages or seconds, as a table cell."""
    mean, std = mean_std(values)
    return f"{mean:.2f} ± {std:.2f}"


def verdict(
    task: str, label: str, values: list[float], baseline: str, base: list[float], note: str = ""
) -> str:
    """One line of the "does it beat its baseline" list under a table, by the rule of
    ``transferlab bench``'s tables: ``values`` and ``base`` are per seed, in the same seed
    order; an effect only when every seed's difference has the same sign and their mean is
    larger than their standard deviation, otherwise noise."""
    mean, spread, effect = paired(values, base)
    if len(values) > 1 and not effect:
        word = "is within noise of"
    else:
        word = "beats" if mean > 0 else "does NOT beat"
    return f"- {task}: {label} {word} {baseline} ({mean:+.2f} ± {spread:.2f} points{note})"
