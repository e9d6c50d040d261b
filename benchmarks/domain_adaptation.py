"""Source-only vs DANN vs the target oracle on the offline digit tasks, over seeds.

    python benchmarks/domain_adaptation.py [--seeds 0 1 2] [--tasks mnist:mnistm digits:mnist]

Every run is the same ``fit`` + ``test`` that ``transferlab-compare`` does. Source-only and
DANN checkpoints are selected on source validation accuracy (no target labels); the oracle
is trained and selected on labeled target data and is reported as the upper bound only.
Writes ``benchmarks/results/domain_adaptation.{json,md}``.
"""

from __future__ import annotations

import argparse

from common import TABLE_HEAD, machine, run_grid, summary_rows, write

METHODS = {
    "SourceOnly": "configs/source_only/mnist_to_mnistm.yaml",
    "DANN": "configs/dann/mnist_to_mnistm.yaml",
    "SourceOnly (oracle)": "configs/source_only/mnist_to_mnistm_oracle.yaml",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tasks", nargs="+", default=["mnist:mnistm", "digits:mnist"])
    args = parser.parse_args()
    runs = run_grid(METHODS, args.tasks, args.seeds)
    rows, summary = [], {}
    for task in args.tasks:
        task_rows, means = summary_rows(runs, task, list(METHODS))
        low, high = means["SourceOnly"], means["SourceOnly (oracle)"]
        closed = (means["DANN"] - low) / (high - low) if high > low else float("nan")
        summary[task] = {"target_acc_mean": means, "dann_gap_closed": closed}
        rows += task_rows
        rows.append(
            f"| {task.replace(':', ' → ')} | *DANN closes {100 * closed:.0f}% of the "
            "source-only → oracle gap* | | | | | |"
        )
    table = "\n".join(["Accuracy in %, mean ± std over seeds.", "", *TABLE_HEAD, *rows])
    write("domain_adaptation", {"machine": machine(), "summary": summary, "runs": runs}, table)


if __name__ == "__main__":
    main()
