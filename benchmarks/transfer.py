"""Transfer from ImageNet: feature extraction and fine-tuning vs training from scratch.

    python benchmarks/transfer.py [--seeds 0 1 2]

The labeled data is scikit-learn's UCI Digits (1,258 training images); source test
accuracy measures the task itself, target test accuracy (MNIST) how well it carries to a
second handwriting domain. Every checkpoint is selected on source validation accuracy.
Writes ``benchmarks/results/transfer.{json,md}``.
"""

from __future__ import annotations

import argparse

from common import TABLE_HEAD, machine, mean_std, run_grid, summary_rows, write

METHODS = {
    "SourceOnly (digit_cnn from scratch)": "configs/source_only/digits_to_mnist.yaml",
    "FeatureExtraction (EfficientNet-Lite0, frozen)": (
        "configs/feature_extraction/digits_to_mnist.yaml"
    ),
    "FineTuning (full, backbone lr x0.1)": "configs/fine_tuning/digits_to_mnist.yaml",
    "FineTuning (partial, last 3 groups)": "configs/fine_tuning/digits_to_mnist_partial.yaml",
    "FineTuning (gradual, BackboneFinetuning)": "configs/fine_tuning/digits_to_mnist_gradual.yaml",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    runs = run_grid(METHODS, ["digits:mnist"], args.seeds)
    rows, means = summary_rows(runs, "digits:mnist", list(METHODS))
    rows.append(svm_row([r for r in runs if r["label"].startswith("FeatureExtraction")]))
    table = "\n".join(["Accuracy in %, mean ± std over seeds.", "", *TABLE_HEAD, *rows])
    write("transfer", {"machine": machine(), "target_acc_mean": means, "runs": runs}, table)


def svm_row(runs: list[dict]) -> str:
    """The RBF SVM fitted on the frozen features, from the same feature-extraction runs."""
    target = mean_std([100 * r["other_test_metrics"]["test/target_acc_svm"] for r in runs])
    source = mean_std([100 * r["other_test_metrics"]["test/source_acc_svm"] for r in runs])
    return (
        f"| digits → mnist | FeatureExtraction + RBF SVM (same features) | "
        f"{target[0]:.2f} ± {target[1]:.2f} | {source[0]:.2f} ± {source[1]:.2f} | "
        f"{runs[0]['protocol']} (head); SVM fitted on source train | {len(runs)} | |"
    )


if __name__ == "__main__":
    main()
