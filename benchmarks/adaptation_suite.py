"""Every domain-adaptation method on four digit tasks, both selection protocols, over seeds.

    python benchmarks/adaptation_suite.py [--seeds 0 1 2] [--tasks ...] [--methods ...]
                                          [--max-epochs 10]

Each method runs its own config with the task's data preset (``configs/data/*.yaml``)
swapped in. One training run gives two numbers: the test accuracy of the checkpoint its
*label-free* protocol chose (column "selected by") and that of the checkpoint target
validation labels would have chosen ("oracle-selected"). Training never sees target labels.
SHOT adapts the SourceOnly checkpoint of the same task and seed; gradual self-training
needs the MNIST/MNIST-M blends and runs on that task only, on its own schedule.
Seeds run one after another over all tasks; results are written after every task to
``benchmarks/results/adaptation_suite.{json,md}``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import cell, grouped, machine, mean_std, merged, run_one, verdict, write

TASKS = {
    "mnist → mnistm": "configs/data/mnist_to_mnistm.yaml",
    "mnist → digits": "configs/data/mnist_to_digits.yaml",
    "digits → mnist": "configs/data/digits_to_mnist.yaml",
    "mnist → label-shifted mnist": "configs/data/mnist_label_shift.yaml",
}
METHODS = {
    "SourceOnly": "configs/source_only/mnist_to_mnistm.yaml",
    "DANN": "configs/dann/mnist_to_mnistm.yaml",
    "DAN": "configs/dan/mnist_to_mnistm.yaml",
    "JAN": "configs/jan/mnist_to_mnistm.yaml",
    "DeepCORAL": "configs/deep_coral/mnist_to_mnistm.yaml",
    "CDAN+E": "configs/cdan/mnist_to_mnistm.yaml",
    "MCC": "configs/mcc/mnist_to_mnistm.yaml",
    "MCD": "configs/mcd/mnist_to_mnistm.yaml",
    "ImportanceWeighting": "configs/importance_weighting/mnist_label_shift_domain_classifier.yaml",
    "SHOT": "configs/shot/digits_to_mnist.yaml",
}
GRADUAL = {
    "GradualSelfTraining (4 steps)": "configs/gradual_self_training/mnist_to_mnistm.yaml",
    "SelfTraining (direct)": "configs/gradual_self_training/mnist_to_mnistm_direct.yaml",
}
HEAD = [
    "| task | method | target test acc (label-free) | target test acc (oracle-selected) "
    "| source test acc | label-free protocol | seeds | fit s |",
    "|---|---|---|---|---|---|---|---|",
]


def run_task(task: str, methods: list[str], seed: int, max_epochs: int) -> list[dict]:
    runs, source_checkpoint = [], None
    for label in methods:
        overrides = ["--data", TASKS[task], f"--trainer.max_epochs={max_epochs}"]
        if label == "SHOT":
            if source_checkpoint is None:
                raise SystemExit("SHOT needs SourceOnly in --methods (its source model)")
            overrides.append(f"--model.init_args.source_checkpoint={source_checkpoint}")
        run = run_one(label, task, METHODS[label], seed, overrides, oracle_selection=True)
        if label == "SourceOnly":
            source_checkpoint = run["checkpoint_path"]
        runs.append(run)
    if task == "mnist → mnistm":  # on the configs' own schedule (source epochs + stages)
        runs += [run_one(label, task, cfg, seed, [], True) for label, cfg in GRADUAL.items()]
    return runs


def summarise(runs: list[dict]) -> str:
    rows, verdicts = [], []
    for task, labels in grouped(runs).items():
        base = None
        for label, mine in labels.items():
            free = [100 * r["target_test_acc"] for r in mine]
            rows.append(
                f"| {task} | {label} | {cell(free)} | "
                f"{cell([100 * r['oracle_target_test_acc'] for r in mine])} | "
                f"{cell([100 * r['source_test_acc'] for r in mine])} | {mine[0]['protocol']} | "
                f"{len(mine)} | {mean_std([r['fit_seconds'] for r in mine])[0]:.0f} |"
            )
            mean = mean_std(free)[0]
            if label == "SourceOnly":
                base = mean
            elif base is not None:
                line = verdict(task, label, mean, "source-only", base, ", label-free protocol")
                verdicts.append(line)
    return "\n".join(
        [
            "Target test accuracy in %, mean ± std over seeds. 'label-free': the checkpoint "
            "the method's own protocol chose without target labels; 'oracle-selected': the "
            "checkpoint of the same run that target validation labels would have chosen.",
            "",
            *HEAD,
            *rows,
            "",
            *verdicts,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--output", default="adaptation_suite", help="results file name")
    parser.add_argument(
        "--merge", nargs="+", type=Path, help="only re-summarise these result JSONs together"
    )
    args = parser.parse_args()
    if args.merge:  # e.g. seeds run as parallel processes
        payload = merged(args.merge)
        write(args.output, payload, summarise(payload["runs"]))
        return
    runs = []
    for seed in args.seeds:  # seed-major: a complete one-seed table exists early
        for task in args.tasks:
            runs += run_task(task, args.methods, seed, args.max_epochs)
            payload = {"machine": machine(), "max_epochs": args.max_epochs, "runs": runs}
            write(args.output, payload, summarise(runs))


if __name__ == "__main__":
    main()
