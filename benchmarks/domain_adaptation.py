"""Source-only vs DANN vs the target oracle on the offline digit tasks, over seeds.

    python benchmarks/domain_adaptation.py [--seeds 0 1 2] [--tasks mnist:mnistm digits:mnist]

Every run is the same ``fit`` + ``test`` that ``transferlab-compare`` does. Source-only and
DANN checkpoints are selected on source validation accuracy (no target labels); the oracle
is trained and selected on labeled target data and is reported as the upper bound only.
Writes ``benchmarks/results/domain_adaptation.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, mean_std, write  # noqa: E402

from transferlab.experiments import run_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METHODS = {
    "SourceOnly": "configs/source_only/mnist_to_mnistm.yaml",
    "DANN": "configs/dann/mnist_to_mnistm.yaml",
    "SourceOnly (oracle)": "configs/source_only/mnist_to_mnistm_oracle.yaml",
}
QUIET = ["--trainer.logger=false", "--trainer.enable_progress_bar=false",
         "--trainer.callbacks=[]", "--trainer.default_root_dir=runs/benchmarks"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tasks", nargs="+", default=["mnist:mnistm", "digits:mnist"])
    args = parser.parse_args()

    runs = []
    for task in args.tasks:
        source, target = task.split(":")
        for label, config in METHODS.items():
            for seed in args.seeds:
                overrides = [*QUIET, f"--data.init_args.source={source}",
                             f"--data.init_args.target={target}"]
                result = run_config(str(ROOT / config), seed=seed, overrides=overrides)
                runs.append({"label": label, "task": task, **asdict(result)})
                print(f"{task} {label} seed={seed}: target {result.target_test_acc:.4f}")

    rows, summary = [], {}
    for task in args.tasks:
        accuracy = {}
        for label in METHODS:
            mine = [r for r in runs if r["task"] == task and r["label"] == label]
            acc = mean_std([100 * r["target_test_acc"] for r in mine])
            seconds = mean_std([r["fit_seconds"] for r in mine])
            accuracy[label] = acc[0]
            rows.append(f"| {task.replace(':', ' → ')} | {label} | {acc[0]:.2f} ± {acc[1]:.2f} | "
                        f"{mine[0]['protocol']} | {seconds[0]:.0f} |")
        low, high = accuracy["SourceOnly"], accuracy["SourceOnly (oracle)"]
        closed = (accuracy["DANN"] - low) / (high - low) if high > low else float("nan")
        summary[task] = {"target_acc_mean": accuracy, "dann_gap_closed": closed}
        rows.append(f"| {task.replace(':', ' → ')} | *DANN closes {100 * closed:.0f}% of the "
                    "source-only → oracle gap* | | | |")
    table = "\n".join([
        f"Target test accuracy (%), mean ± std over seeds {args.seeds}.",
        "",
        "| task | method | target acc | checkpoint selected by | fit s |",
        "|---|---|---|---|---|",
        *rows,
    ])
    write("domain_adaptation", {"machine": machine(), "summary": summary, "runs": runs}, table)


if __name__ == "__main__":
    main()
