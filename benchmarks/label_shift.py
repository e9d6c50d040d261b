"""Label shift on MNIST: source-only with and without BBSE re-weighting, over seeds.

    python benchmarks/label_shift.py [--seeds 0 1 2]

The target half of MNIST is resampled to skewed class priors (55% zeros); the model is
trained on the source half only. At test time BBSE estimates the target priors from
unlabeled target images and re-weights the predictions (``LabelShiftCorrection``).
Writes ``benchmarks/results/label_shift.{json,md}``.
"""

from __future__ import annotations

import argparse

from common import cell, machine, run_one, write

CONFIG = "configs/source_only/mnist_label_shift_bbse.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    keep = ["--trainer.callbacks=[{class_path: transferlab.callbacks.LabelShiftCorrection}]"]
    runs = [run_one("SourceOnly", "label-shifted mnist", CONFIG, s, keep) for s in args.seeds]
    plain = [100 * r["target_test_acc"] for r in runs]
    corrected = [100 * r["other_test_metrics"]["test/target_acc_bbse"] for r in runs]
    table = "\n".join(
        [
            "Target test accuracy in %, mean ± std over seeds (checkpoint: source_val_acc).",
            "",
            "| task | model | uncorrected | BBSE re-weighted | seeds |",
            "|---|---|---|---|---|",
            f"| mnist → label-shifted mnist | SourceOnly | {cell(plain)} | {cell(corrected)} | "
            f"{len(runs)} |",
        ]
    )
    write("label_shift", {"machine": machine(), "runs": runs}, table)


if __name__ == "__main__":
    main()
