"""Every domain-adaptation method on MNIST -> MNIST-M against source-only, over seeds.

    python benchmarks/adaptation_suite.py [--seeds 0 1 2] [--methods dan jan ...]

Each method runs its own config (``configs/<method>/mnist_to_mnistm.yaml``) and is
tested on the checkpoint its *label-free* protocol selected (column "selected by").
Writes ``benchmarks/results/adaptation_suite.{json,md}``.
"""

from __future__ import annotations

import argparse

from common import TABLE_HEAD, machine, mean_std, run_grid, summary_rows, write

METHODS = {
    "SourceOnly": "configs/source_only/mnist_to_mnistm.yaml",
    "DANN": "configs/dann/mnist_to_mnistm.yaml",
    "DAN": "configs/dan/mnist_to_mnistm.yaml",
    "JAN": "configs/jan/mnist_to_mnistm.yaml",
    "DeepCORAL": "configs/deep_coral/mnist_to_mnistm.yaml",
    "CDAN+E": "configs/cdan/mnist_to_mnistm.yaml",
    "MCC": "configs/mcc/mnist_to_mnistm.yaml",
    "MCD": "configs/mcd/mnist_to_mnistm.yaml",
    "GradualSelfTraining (4 steps)": "configs/gradual_self_training/mnist_to_mnistm.yaml",
    "SelfTraining (direct)": "configs/gradual_self_training/mnist_to_mnistm_direct.yaml",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    args = parser.parse_args()
    chosen = {label: METHODS[label] for label in args.methods}
    runs = run_grid(chosen, ["mnist:mnistm"], args.seeds)
    rows, means = summary_rows(runs, "mnist:mnistm", list(chosen))
    baseline = [100 * r["target_test_acc"] for r in runs if r["label"] == "SourceOnly"]
    verdicts = []
    if baseline:
        base = mean_std(baseline)[0]
        for label, value in means.items():
            if label != "SourceOnly":
                word = "beats" if value > base else "does NOT beat"
                verdicts.append(f"- {label} {word} source-only ({value - base:+.2f} points)")
    table = "\n".join(
        ["Accuracy in %, mean ± std over seeds.", "", *TABLE_HEAD, *rows, "", *verdicts]
    )
    write("adaptation_suite", {"machine": machine(), "target_acc_mean": means, "runs": runs}, table)


if __name__ == "__main__":
    main()
