"""Which of DANN's discriminator and optimizer choices matter, on MNIST -> MNIST-M.

    python benchmarks/dann_discriminator.py [--seeds 0 1 2] [--output NAME]
    python benchmarks/dann_discriminator.py --merge dann_discriminator_a dann_discriminator_b

Ours (2 x 512 units, no BatchNorm) against Transfer-Learning-Library's discriminator
(2 x 1024 units with BatchNorm, run once on the joint source + target batch), one change
at a time, and then its optimizer too (SGD with Nesterov momentum and weight decay 1e-3).
Each run reports the checkpoint chosen by source validation accuracy (label-free, what a
user gets) and, from the same run, the one target validation accuracy would have chosen
(oracle, for reference only). Writes ``benchmarks/results/<output>.{json,md}``.
"""

from __future__ import annotations

import argparse

from common import cell, grouped, machine, run_one, write, write_merged

TASK = "mnist → mnistm"
DANN = "configs/dann/mnist_to_mnistm.yaml"
NESTEROV = (
    "--model.init_args.optimizer={class_path: torch.optim.SGD, init_args: "
    "{lr: 0.01, momentum: 0.9, nesterov: true, weight_decay: 0.001}}"
)
VARIANTS = {
    "2 x 512, no BatchNorm (ours before)": ["--model.init_args.discriminator_hidden=512"],
    "2 x 1024, no BatchNorm": ["--model.init_args.discriminator_hidden=1024"],
    "2 x 1024 + BatchNorm (TLlib's discriminator)": [
        "--model.init_args.discriminator_hidden=1024",
        "--model.init_args.discriminator_batch_norm=true",
    ],
    "2 x 1024 + BatchNorm, Nesterov, wd 1e-3 (TLlib's)": [
        "--model.init_args.discriminator_hidden=1024",
        "--model.init_args.discriminator_batch_norm=true",
        NESTEROV,
    ],
}


def table(runs: list[dict]) -> str:
    lines = [
        "DANN on MNIST → MNIST-M (5,000-digit subset, 20 epochs), target test accuracy in %, "
        "mean ± std over seeds.",
        "",
        "| discriminator / optimizer | selected by source val acc | selected by target val "
        "acc (oracle, reference) | source test acc | seeds | fit s |",
        "|---|---|---|---|---|---|",
    ]
    for label, mine in grouped(runs)[TASK].items():
        lines.append(
            f"| {label} | {cell([100 * r['target_test_acc'] for r in mine])} | "
            f"{cell([100 * r['oracle_target_test_acc'] for r in mine])} | "
            f"{cell([100 * r['source_test_acc'] for r in mine])} | {len(mine)} | "
            f"{cell([r['fit_seconds'] for r in mine])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", type=int, nargs="+", default=None, help="indices")
    parser.add_argument("--output", default="dann_discriminator")
    parser.add_argument("--merge", nargs="+", default=None, help="result names to join")
    args = parser.parse_args()
    if args.merge:
        write_merged(args.output, args.merge, table, list(VARIANTS))
        return
    chosen = [list(VARIANTS)[i] for i in args.variants] if args.variants else list(VARIANTS)
    runs = [
        run_one(label, TASK, DANN, seed, VARIANTS[label], oracle_selection=True)
        for label in chosen
        for seed in args.seeds
    ]
    for run in runs:
        run.pop("checkpoint_path", None)
    write(args.output, {"machine": machine(), "runs": runs}, table(runs))


if __name__ == "__main__":
    main()
