"""The settings of the test suite's "method learns" tests, over several seeds, so that each
test's margin can be chosen above its seed noise (and the docstring can cite the numbers).

    python benchmarks/learning_tests.py [--seeds 0 1 2] [--groups metric]

Each group runs the configs a test file trains, at the test's own budget and with one CPU
thread (as every test process runs), and writes every finished run at once to
``benchmarks/results/learning_tests.json`` (a stopped run resumes where it was); the table
``learning_tests.md`` gives each metric per seed, the mean ± std, and the paired differences
the tests assert on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, run_one  # noqa: E402

NAME = "learning_tests"
METRIC_BUDGET = ["--trainer.max_epochs=5"]  # tests/methods/metric/test_metric_runs.py
GROUPS = {
    "metric": {
        "runs": {
            "untrained": (
                "configs/softmax_embedding/mnist_held_out_digits.yaml",
                ["--trainer.max_epochs=0"],
            ),
            "softmax": ("configs/softmax_embedding/mnist_held_out_digits.yaml", METRIC_BUDGET),
            "siamese": ("configs/siamese/mnist_held_out_digits.yaml", METRIC_BUDGET),
            "triplet": ("configs/triplet/mnist_held_out_digits.yaml", METRIC_BUDGET),
            "center_loss": ("configs/center_loss/mnist_held_out_digits.yaml", METRIC_BUDGET),
        },
        "metrics": [
            "test/source_acc",
            "test/source_map_at_r",
            "test/target_acc",
            "test/target_map_at_r",
            "test/target_verification_auc",
        ],
        # (run, baseline) pairs whose per-seed differences a test asserts on
        "pairs": [
            ("siamese", "untrained"),
            ("triplet", "untrained"),
            ("softmax", "untrained"),
            ("center_loss", "untrained"),
            ("triplet", "softmax"),
            ("center_loss", "softmax"),
        ],
    }
}


def metrics_of(run: dict) -> dict[str, float]:
    values = {"test/source_acc": run["source_test_acc"], "test/target_acc": run["target_test_acc"]}
    return values | {k: float(v) for k, v in run["other_test_metrics"].items()}


def load() -> list[dict]:
    path = RESULTS / f"{NAME}.json"
    return json.loads(path.read_text())["runs"] if path.exists() else []


def save(runs: list[dict]) -> None:
    payload = {"machine": machine(), "runs": runs}
    (RESULTS / f"{NAME}.json").write_text(json.dumps(payload, indent=1, allow_nan=False))


def table(runs: list[dict]) -> str:
    lines = []
    for group, spec in GROUPS.items():
        mine = [r for r in runs if r["group"] == group]
        seeds = sorted({r["seed"] for r in mine})
        lines += [f"### {group} (seeds {', '.join(map(str, seeds))}, one thread)", ""]
        lines += ["| run | metric | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std |"]
        lines += ["|---|---|" + "---|" * (len(seeds) + 1)]
        by = {(r["label"], r["seed"]): r["metrics"] for r in mine}
        for label in spec["runs"]:
            for metric in spec["metrics"]:
                values = [by[(label, s)][metric] for s in seeds if (label, s) in by]
                if not values:
                    continue
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                cells = " | ".join(f"{100 * v:.2f}" for v in values)
                lines.append(
                    f"| {label} | {metric} | {cells} | "
                    f"{100 * statistics.fmean(values):.2f} ± {100 * spread:.2f} |"
                )
        lines += ["", "Paired differences (run − baseline, same seed), in points:", ""]
        lines += ["| run − baseline | metric | per seed | smallest |", "|---|---|---|---|"]
        for run, base in spec["pairs"]:
            for metric in spec["metrics"]:
                diffs = [
                    by[(run, s)][metric] - by[(base, s)][metric]
                    for s in seeds
                    if (run, s) in by and (base, s) in by
                ]
                if diffs:
                    cells = ", ".join(f"{100 * d:+.2f}" for d in diffs)
                    lines.append(
                        f"| {run} − {base} | {metric} | {cells} | {100 * min(diffs):+.2f} |"
                    )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    runs = load()
    done = {(r["group"], r["label"], r["seed"]) for r in runs}
    for group in args.groups:
        for label, (config, overrides) in GROUPS[group]["runs"].items():
            for seed in args.seeds:
                if (group, label, seed) in done:
                    continue
                run = run_one(label, f"learning_tests_{group}", config, seed, overrides)
                runs.append(
                    {
                        "group": group,
                        "label": label,
                        "seed": seed,
                        "metrics": metrics_of(run),
                        "fit_seconds": run["fit_seconds"],
                    }
                )
                save(runs)
    (RESULTS / f"{NAME}.md").write_text(table(runs))
    print(table(runs))


if __name__ == "__main__":
    main()
