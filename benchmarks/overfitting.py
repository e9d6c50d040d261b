"""Overfitting remedies, each alone, against none: a digit CNN on 10 labels per class.

    python benchmarks/overfitting.py [--seeds 0 1 2]

The base is ``configs/source_only/mnist_10_labels.yaml`` with its own remedies switched off
(no augmentation of the labeled images, no weight decay): 100 labeled MNIST digits, so
the network can memorise its training set. Each row switches one remedy on; the
checkpoint is chosen on the labeled validation split, the number is test accuracy. 20
epochs of 20 steps, one CPU thread. A difference smaller than the seeds' spread is
marked "within noise". Every finished run is written at once to
``benchmarks/results/overfitting.json``; a stopped run resumes where it was.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, mean_std, run_one  # noqa: E402

NAME = "overfitting"
CONFIG = "configs/source_only/mnist_10_labels.yaml"
BUDGET = ["--trainer.max_epochs=20", "--trainer.limit_train_batches=20"]
NONE = [
    "--data.init_args.labeled_view=identity",
    "--model.init_args.optimizer.init_args.weight_decay=0",
]
REMEDIES = {
    "none": [],
    "data augmentation (labeled_view: weak)": ["--data.init_args.labeled_view=weak"],
    "early stopping (configs/trainer/early_stopping.yaml)": [
        "-c",
        "configs/trainer/early_stopping.yaml",
    ],
    "dropout (drop_rate: 0.3)": ["--model.init_args.drop_rate=0.3"],
    "L2 (weight_decay: 5e-4)": ["--model.init_args.optimizer.init_args.weight_decay=0.0005"],
    "L1 (l1_weight: 1e-5)": ["--model.init_args.l1_weight=0.00001"],
    "label smoothing (0.1)": ["--model.init_args.label_smoothing=0.1"],
    "mixup (mixup_alpha: 0.2)": ["--model.init_args.mixup_alpha=0.2"],
}


def load() -> list[dict]:
    path = RESULTS / f"{NAME}.json"
    return json.loads(path.read_text())["runs"] if path.exists() else []


def table(runs: list[dict]) -> str:
    base = {r["seed"]: r["test_acc"] for r in runs if r["label"] == "none"}
    lines = [
        "Test accuracy (%) of a digit CNN trained on 10 labels per class of MNIST (20 epochs of "
        "20 steps, one thread), each remedy alone; checkpoint chosen on the labeled validation "
        "split (source_val_acc). Difference: paired with the same seed's run without remedy.",
        "",
        "| remedy | test acc | difference to none | seeds | verdict |",
        "|---|---|---|---|---|",
    ]
    for label in REMEDIES:
        mine = [r for r in runs if r["label"] == label]
        if not mine:
            continue
        accuracy = mean_std([100 * r["test_acc"] for r in mine])
        if label == "none":
            lines.append(f"| {label} | {accuracy[0]:.2f} ± {accuracy[1]:.2f} | | {len(mine)} | |")
            continue
        diffs = [100 * (r["test_acc"] - base[r["seed"]]) for r in mine if r["seed"] in base]
        mean, spread = mean_std(diffs)
        # an effect only when every seed agrees on its sign and the mean clears the spread
        if len(diffs) > 1 and min(diffs) > 0 and mean > spread:
            verdict = "helps"
        elif len(diffs) > 1 and max(diffs) < 0 and -mean > spread:
            verdict = "hurts"
        else:
            verdict = "within noise"
        lines.append(
            f"| {label} | {accuracy[0]:.2f} ± {accuracy[1]:.2f} | {mean:+.2f} ± {spread:.2f} | "
            f"{len(mine)} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    runs = load()
    done = {(r["label"], r["seed"]) for r in runs}
    for label, overrides in REMEDIES.items():
        for seed in args.seeds:
            if (label, seed) in done:
                continue
            run = run_one(label, NAME, CONFIG, seed, [*BUDGET, *NONE, *overrides])
            runs.append(
                {
                    "label": label,
                    "seed": seed,
                    "test_acc": run["target_test_acc"],
                    "best_epoch": run["best_epoch"],
                    "fit_seconds": run["fit_seconds"],
                    "protocol": run["protocol"],
                }
            )
            payload = {"machine": machine(), "config": CONFIG, "runs": runs}
            (RESULTS / f"{NAME}.json").write_text(json.dumps(payload, indent=1))
    (RESULTS / f"{NAME}.md").write_text(table(runs))
    print(table(runs))


if __name__ == "__main__":
    main()
