"""Metric learning (retrieval on held-out digits) and few-shot learning (held-out classes).

    python benchmarks/metric_meta.py [--seeds 0 1 2] [--few-shot-seeds 0]
                                     [--skip-metric] [--skip-few-shot]

Metric learning: each config trains on MNIST digits 0-5 and is scored by retrieval on
digits 6-9 (never seen): precision@1, recall@4, MAP@R and pair-verification ROC-AUC,
against the embedding of a plain softmax classifier and the untrained (random-init) network,
whose features already retrieve MNIST digits well. Few-shot: 5-way 1- and 5-shot on
held-out (domain, digit) classes, mean accuracy over 600 fixed test episodes with its 95%
confidence interval, for ProtoNet, MAML, FOMAML and a network trained on each support set
from scratch. Plus the MAML paper's sinusoid regression, second vs first order.
Results are written after every block to ``benchmarks/results/metric_meta.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import time

from common import RESULTS, machine, mean_std, run_one, verdict, write

from transferlab.methods.meta.sinusoid import meta_train_sinusoid

SOFTMAX = "configs/softmax_embedding/mnist_held_out_digits.yaml"
METRIC = {  # label: (config, extra CLI arguments)
    "Untrained digit CNN (random init)": (SOFTMAX, ["--trainer.max_epochs=0"]),
    "Softmax embedding (baseline)": (SOFTMAX, []),
    "Siamese (contrastive)": ("configs/siamese/mnist_held_out_digits.yaml", []),
    "Triplet (semi-hard)": ("configs/triplet/mnist_held_out_digits.yaml", []),
    "Softmax + centre loss": ("configs/center_loss/mnist_held_out_digits.yaml", []),
}
FEW_SHOT = {
    "Support set only (baseline)": "configs/support_set_baseline/digits_5way_{shot}shot.yaml",
    "ProtoNet": "configs/protonet/digits_5way_{shot}shot.yaml",
    "MAML": "configs/maml/digits_5way_{shot}shot.yaml",
    "FOMAML": "configs/maml/digits_5way_{shot}shot_fomaml.yaml",
}


def metric_rows(runs: list[dict]) -> list[str]:
    rows = [
        "| method | P@1 | R@4 | MAP@R | verification AUC | seeds | fit s |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in dict.fromkeys(r["label"] for r in runs if r["task"] == "metric"):
        mine = [r for r in runs if r["task"] == "metric" and r["label"] == label]

        def cell(key, mine=mine):
            m, s = mean_std([100 * r["other_test_metrics"][key] for r in mine])
            return f"{m:.2f} ± {s:.2f}"

        p1 = mean_std([100 * r["target_test_acc"] for r in mine])
        seconds = mean_std([r["fit_seconds"] for r in mine])[0]
        rows.append(
            f"| {label} | {p1[0]:.2f} ± {p1[1]:.2f} | {cell('test/target_recall_at_4')} | "
            f"{cell('test/target_map_at_r')} | {cell('test/target_verification_auc')} | "
            f"{len(mine)} | {seconds:.0f} |"
        )
    return rows


def metric_verdicts(runs: list[dict]) -> list[str]:
    """Each metric-learning method against the softmax embedding, on P@1 and MAP@R."""
    metric = [r for r in runs if r["task"] == "metric"]

    def values(label: str, key: str) -> list[float]:
        return [
            100 * r[key] if key == "target_test_acc" else 100 * r["other_test_metrics"][key]
            for r in metric
            if r["label"] == label
        ]

    base = "Softmax embedding (baseline)"
    lines = []
    for label in list(METRIC)[2:]:
        for key, name in (("target_test_acc", "P@1"), ("test/target_map_at_r", "MAP@R")):
            ours, reference = values(label, key), values(base, key)
            if ours and reference:
                lines.append(verdict(name, label, ours, "the softmax embedding", reference))
    return lines


def few_shot_rows(runs: list[dict]) -> list[str]:
    rows = [
        "| task | method | held-out accuracy (± 95% CI over 600 episodes) | seeds | fit s |",
        "|---|---|---|---|---|",
    ]
    tasks = [r["task"] for r in runs if r["task"] != "metric"]
    for task in dict.fromkeys(tasks):
        for label in dict.fromkeys(r["label"] for r in runs if r["task"] == task):
            mine = [r for r in runs if r["task"] == task and r["label"] == label]
            acc = mean_std([100 * r["target_test_acc"] for r in mine])
            ci = mean_std([100 * r["other_test_metrics"]["test/target_acc_ci95"] for r in mine])
            seconds = mean_std([r["fit_seconds"] for r in mine])[0]
            spread = f" (seed std {acc[1]:.2f})" if len(mine) > 1 else ""
            rows.append(
                f"| {task} | {label} | {acc[0]:.2f} ± {ci[0]:.2f}{spread} | {len(mine)} | "
                f"{seconds:.0f} |"
            )
    return rows


def sinusoid_rows(results: dict) -> list[str]:
    rows = [
        "| sinusoid, 10-shot, 1 step | query MSE before adaptation | after | meta-train s |",
        "|---|---|---|---|",
    ]
    for label, result in results.items():
        rows.append(
            f"| {label} | {result['pre']:.3f} | {result['post']:.3f} | {result['seconds']:.0f} |"
        )
    return rows


def summarise(runs: list[dict], sinusoid: dict) -> str:
    return "\n".join(
        [
            "Retrieval on held-out digits 6-9 (trained on MNIST 0-5), in %:",
            "",
            *metric_rows(runs),
            "",
            *metric_verdicts(runs),
            "",
            "Few-shot accuracy on held-out classes, in %:",
            "",
            *few_shot_rows(runs),
            "",
            *sinusoid_rows(sinusoid),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="metric runs")
    parser.add_argument("--few-shot-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--skip-metric", action="store_true")
    parser.add_argument("--skip-few-shot", action="store_true")
    parser.add_argument("--render", action="store_true", help="only re-write the table")
    args = parser.parse_args()
    if args.render:
        payload = json.loads((RESULTS / "metric_meta.json").read_text())
        write("metric_meta", payload, summarise(payload["runs"], payload["sinusoid"]))
        return
    runs: list[dict] = []
    sinusoid: dict[str, dict] = {}
    for label, first_order in (("MAML (second order)", False), ("FOMAML", True)):
        start = time.perf_counter()
        _, result = meta_train_sinusoid(meta_steps=2000, outer_lr=0.003, first_order=first_order)
        sinusoid[label] = {
            "pre": result.pre_adaptation_mse,
            "post": result.post_adaptation_mse,
            "seconds": time.perf_counter() - start,
        }

    def save() -> None:
        write(
            "metric_meta",
            {"machine": machine(), "sinusoid": sinusoid, "runs": runs},
            summarise(runs, sinusoid),
        )

    if not args.skip_metric:
        for label, (config, extra) in METRIC.items():
            runs += [run_one(label, "metric", config, seed, extra) for seed in args.seeds]
            save()
    if not args.skip_few_shot:
        for shot in (1, 5):
            for label, config in FEW_SHOT.items():
                task = f"5-way {shot}-shot"
                path = config.format(shot=shot)
                runs += [run_one(label, task, path, seed, []) for seed in args.few_shot_seeds]
                save()
    save()


if __name__ == "__main__":
    main()
