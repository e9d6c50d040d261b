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
import math
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, run_one  # noqa: E402

NAME = "learning_tests"
METRIC_BUDGET = ["--trainer.max_epochs=5"]  # tests/methods/metric/test_metric_runs.py
TWO = ["--trainer.max_epochs=2"]  # tests/methods/adaptation/test_adaptation_runs.py
THREE = ["--trainer.max_epochs=3"]
SEMI = [  # tests/methods/semi_supervised/test_semi_supervised_runs.py
    "--trainer.max_epochs=5",
    "--trainer.limit_train_batches=20",
    "--data.init_args.labels_per_class=3",
]
EPISODES = ["--data.init_args.test_episodes=50", "--data.init_args.val_episodes=8"]
META = [*EPISODES, "--trainer.max_epochs=1"]  # tests/methods/meta/test_meta_runs.py
WARMUP = "--model.init_args.warmup_epochs=2"
SHOT = "--model.init_args.source_checkpoint={checkpoint:source_only_digits}"
# group -> runs (label -> config, overrides), metrics, (run, baseline) pairs a test asserts
# on. "{checkpoint:LABEL}" in an override is the same seed's checkpoint of run LABEL.
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
        "pairs": [
            ("siamese", "untrained"),
            ("triplet", "untrained"),
            ("softmax", "untrained"),
            ("center_loss", "untrained"),
            ("triplet", "softmax"),
            ("center_loss", "softmax"),
        ],
    },
    "adaptation": {
        "runs": {
            "source_only_2": ("configs/source_only/mnist_to_mnistm.yaml", TWO),
            "source_only_3": ("configs/source_only/mnist_to_mnistm.yaml", THREE),
            **{
                m: (f"configs/{m}/mnist_to_mnistm.yaml", TWO)
                for m in ("dann", "dan", "deep_coral", "cdan", "mcc", "mcd")
            },
            "jan_3": ("configs/jan/mnist_to_mnistm.yaml", THREE),
            "importance_weighting": (
                "configs/importance_weighting/mnist_label_shift_domain_classifier.yaml",
                [*TWO, "--data", "configs/data/mnist_to_mnistm.yaml"],
            ),
            "source_only_digits": ("configs/source_only/digits_to_mnist.yaml", THREE),
            "shot_before": ("configs/shot/digits_to_mnist.yaml", [SHOT, "--trainer.max_epochs=0"]),
            "shot_3": ("configs/shot/digits_to_mnist.yaml", [SHOT, "--trainer.max_epochs=3"]),
        },
        "metrics": ["test/target_acc"],
        "pairs": [
            *[
                (m, "source_only_2")
                for m in ("dann", "dan", "deep_coral", "cdan", "mcc", "mcd")
                + ("importance_weighting",)
            ],
            ("jan_3", "source_only_3"),
            ("shot_3", "shot_before"),
        ],
    },
    "semi_supervised": {
        "runs": {
            "supervised_only": ("configs/source_only/mnist_10_labels.yaml", SEMI),
            "self_training": (
                "configs/self_training/mnist_10_labels.yaml",
                [*SEMI, WARMUP, "--model.init_args.epochs_per_round=1"],
            ),
            "co_training": ("configs/co_training/mnist_10_labels.yaml", [*SEMI, WARMUP]),
            "label_propagation": (
                "configs/label_propagation/mnist_10_labels.yaml",
                [*SEMI, WARMUP],
            ),
            "fixmatch": ("configs/fixmatch/mnist_10_labels.yaml", SEMI),
            "mean_teacher": (
                "configs/mean_teacher/mnist_10_labels.yaml",
                [*SEMI, "--model.init_args.rampup_epochs=2"],
            ),
        },
        "metrics": ["test/target_acc"],
        "pairs": [
            (m, "supervised_only")
            for m in ("self_training", "co_training", "label_propagation", "fixmatch")
            + ("mean_teacher",)
        ],
    },
    "meta": {
        "runs": {
            "support_set_only": ("configs/support_set_baseline/digits_5way_1shot.yaml", EPISODES),
            "protonet": (
                "configs/protonet/digits_5way_1shot.yaml",
                [*META, "--data.init_args.train_episodes=80"],
            ),
            "maml": (
                "configs/maml/digits_5way_1shot.yaml",
                [*META, "--data.init_args.train_episodes=200"],
            ),
            "fomaml": (
                "configs/maml/digits_5way_1shot_fomaml.yaml",
                [*META, "--data.init_args.train_episodes=200"],
            ),
        },
        "metrics": ["test/target_acc"],
        "pairs": [(m, "support_set_only") for m in ("protonet", "maml", "fomaml")],
    },
    "distillation": {  # tests/methods/compression/test_distillation.py
        "runs": {
            "teacher": ("configs/source_only/mnist_to_mnistm.yaml", THREE),
            "scratch": ("configs/distillation/mnist_mlp_scratch.yaml", ["--trainer.max_epochs=4"]),
            "distilled": (
                "configs/distillation/mnist_mlp_student.yaml",
                [
                    "--trainer.max_epochs=4",
                    "--model.init_args.teacher={checkpoint:teacher}",
                    "--model.init_args.temperature=4",
                    "--model.init_args.alpha=0.5",
                ],
            ),
        },
        "metrics": ["test/source_acc"],
        "pairs": [("distilled", "scratch"), ("teacher", "scratch")],
    },
}


# Each learning test: its file, the claim (run minus baseline on a metric, or the run alone
# against a floor) and its margin, in points. The table shows the smallest effect the
# seeds gave, so a margin that does not sit below it is visible at once.
TESTS = (
    [
        (
            "adaptation/test_adaptation_runs.py",
            "adaptation",
            m,
            "source_only_2",
            "test/target_acc",
            3,
        )
        for m in ("dann", "dan", "deep_coral", "cdan", "mcc", "mcd", "importance_weighting")
    ]
    + [
        (
            "adaptation/test_adaptation_runs.py",
            "adaptation",
            "jan_3",
            "source_only_3",
            "test/target_acc",
            2,
        ),
        (
            "adaptation/test_shot_and_weighting.py",
            "adaptation",
            "shot_3",
            "shot_before",
            "test/target_acc",
            3,
        ),
        (
            "semi_supervised/test_semi_supervised_runs.py",
            "semi_supervised",
            "self_training",
            "supervised_only",
            "test/target_acc",
            0.5,
        ),
        (
            "semi_supervised/test_semi_supervised_runs.py",
            "semi_supervised",
            "co_training",
            "supervised_only",
            "test/target_acc",
            1,
        ),
        (
            "semi_supervised/test_semi_supervised_runs.py",
            "semi_supervised",
            "label_propagation",
            "supervised_only",
            "test/target_acc",
            10,
        ),
        (
            "semi_supervised/test_semi_supervised_runs.py",
            "semi_supervised",
            "fixmatch",
            "supervised_only",
            "test/target_acc",
            2,
        ),
        (
            "semi_supervised/test_semi_supervised_runs.py",
            "semi_supervised",
            "mean_teacher",
            None,
            "test/target_acc",
            50,
        ),
        ("meta/test_meta_runs.py", "meta", "protonet", "support_set_only", "test/target_acc", 1.5),
        ("meta/test_meta_runs.py", "meta", "maml", "support_set_only", "test/target_acc", 1.5),
        ("meta/test_meta_runs.py", "meta", "fomaml", "support_set_only", "test/target_acc", 1.5),
    ]
    + [
        ("metric/test_metric_runs.py", "metric", m, "untrained", "test/source_map_at_r", 40)
        for m in ("softmax", "siamese", "triplet", "center_loss")
    ]
    + [
        ("metric/test_metric_runs.py", "metric", "center_loss", "softmax", "test/target_acc", 1),
        (
            "compression/test_distillation.py",
            "distillation",
            "distilled",
            "scratch",
            "test/source_acc",
            0,
        ),
    ]
)


def tests_table(runs: list[dict]) -> list[str]:
    by = {(r["group"], r["label"], r["seed"]): r["metrics"] for r in runs}
    lines = [
        "### The learning tests, their margins and the effects behind them",
        "",
        "| test file (tests/methods/) | claim | margin | per seed | smallest | margin below it |",
        "|---|---|---|---|---|---|",
    ]
    for file, group, run, base, metric, margin in TESTS:
        seeds = sorted({s for g, label, s in by if (g, label) == (group, run)})
        if base is None:
            effects = [100 * by[(group, run, s)][metric] for s in seeds]
            claim = f"{run}: {metric} > {margin}"
        else:
            effects = [
                100 * (by[(group, run, s)][metric] - by[(group, base, s)][metric])
                for s in seeds
                if (group, base, s) in by
            ]
            claim = f"{run} − {base}: {metric} > {margin}"
        if not effects:
            continue
        cells = ", ".join(f"{e:+.2f}" for e in effects)
        holds = "yes" if min(effects) > margin else "**no**"
        lines.append(f"| {file} | {claim} | {margin} | {cells} | {min(effects):+.2f} | {holds} |")
    return [*lines, ""]


def metrics_of(run: dict) -> dict[str, float]:
    values = {"test/source_acc": run["source_test_acc"], "test/target_acc": run["target_test_acc"]}
    values |= {k: float(v) for k, v in run["other_test_metrics"].items()}
    return {k: v for k, v in values.items() if math.isfinite(v)}


def resolved(override: str, runs: list[dict], group: str, seed: int) -> str:
    """``{checkpoint:LABEL}`` -> the checkpoint of run LABEL of this group and seed."""
    if "{checkpoint:" not in override:
        return override
    label = override.split("{checkpoint:")[1].split("}")[0]
    (run,) = [r for r in runs if (r["group"], r["label"], r["seed"]) == (group, label, seed)]
    return override.replace(f"{{checkpoint:{label}}}", run["checkpoint_path"])


def load() -> list[dict]:
    path = RESULTS / f"{NAME}.json"
    return json.loads(path.read_text())["runs"] if path.exists() else []


def save(runs: list[dict]) -> None:
    payload = {"machine": machine(), "runs": runs}
    (RESULTS / f"{NAME}.json").write_text(json.dumps(payload, indent=1, allow_nan=False))


def table(runs: list[dict]) -> str:
    lines = tests_table(runs)
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
                arguments = [resolved(o, runs, group, seed) for o in overrides]
                run = run_one(label, f"learning_tests_{group}", config, seed, arguments)
                runs.append(
                    {
                        "group": group,
                        "label": label,
                        "seed": seed,
                        "metrics": metrics_of(run),
                        "fit_seconds": run["fit_seconds"],
                        "checkpoint_path": run["checkpoint_path"],
                    }
                )
                save(runs)
    (RESULTS / f"{NAME}.md").write_text(table(runs))
    print(table(runs))


if __name__ == "__main__":
    main()
