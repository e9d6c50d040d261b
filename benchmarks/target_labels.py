"""A few target labels (semi-supervised domain adaptation) on MNIST -> MNIST-M.

    python benchmarks/target_labels.py [--seeds 0 1 2] [--labels 1 3 10] [--output NAME]
    python benchmarks/target_labels.py --merge target_labels_s0 target_labels_s1 ...

For k labeled target images per class (drawn from the target *training* split; the target
test split is untouched): source-only trained on source + the k target labels, DANN + the
k target labels, and fine-tuning the source-only model's backbone on the k target labels
alone; beside them source-only and DANN without target labels and the oracle (all target
training labels). Checkpoints are selected on source validation accuracy, except the
fine-tuned model, which never sees the source after its start and is selected by
information maximisation on target validation images (label-free); each row names its
protocol. Writes ``benchmarks/results/<output>.{json,md}``.
"""

from __future__ import annotations

import argparse

from common import cell, grouped, machine, run_one, write, write_merged

TASK = "mnist → mnistm"
SOURCE_ONLY = "configs/source_only/mnist_to_mnistm.yaml"
DANN = "configs/dann/mnist_to_mnistm.yaml"
ORACLE = "configs/source_only/mnist_to_mnistm_oracle.yaml"


def runs_for_seed(seed: int, labels: list[int]) -> list[dict]:
    runs = [run_one("source-only, no target labels", TASK, SOURCE_ONLY, seed, [])]
    source_checkpoint = runs[0]["checkpoint_path"]
    runs.append(run_one("DANN, no target labels", TASK, DANN, seed, []))
    for k in labels:
        few = [f"--data.init_args.target_labels_per_class={k}"]
        runs += [
            run_one(f"source-only + {k} target labels/class", TASK, SOURCE_ONLY, seed, few),
            run_one(f"DANN + {k} target labels/class", TASK, DANN, seed, few),
            run_one(
                f"fine-tuning on {k} target labels/class alone",
                TASK,
                SOURCE_ONLY,
                seed,
                [
                    *few,
                    "--model.init_args.train_on=target_labeled",
                    f"--model.init_args.weights={source_checkpoint}",
                    "--model.init_args.validator=im",
                ],
            ),
        ]
    runs.append(run_one("oracle (all target labels)", TASK, ORACLE, seed, []))
    for run in runs:
        run.pop("checkpoint_path", None)
    return runs


def table(runs: list[dict]) -> str:
    lines = [
        "MNIST → MNIST-M, target test accuracy in %, mean ± std over seeds.",
        "",
        "| method | target test acc | source test acc | selected by | seeds | fit s |",
        "|---|---|---|---|---|---|",
    ]
    for label, mine in grouped(runs)[TASK].items():
        lines.append(
            f"| {label} | {cell([100 * r['target_test_acc'] for r in mine])} | "
            f"{cell([100 * r['source_test_acc'] for r in mine])} | {mine[0]['protocol']} | "
            f"{len(mine)} | {cell([r['fit_seconds'] for r in mine])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--labels", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--output", default="target_labels")
    parser.add_argument("--merge", nargs="+", default=None, help="result names to join")
    args = parser.parse_args()
    if args.merge:
        write_merged(args.output, args.merge, table)
        return
    runs = [run for seed in args.seeds for run in runs_for_seed(seed, args.labels)]
    write(args.output, {"machine": machine(), "runs": runs}, table(runs))


if __name__ == "__main__":
    main()
