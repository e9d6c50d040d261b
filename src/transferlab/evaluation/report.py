"""The report of a test run: what a model gets wrong and whether its confidence is honest.

Per labeled test domain: the confusion matrix, per-class precision / recall / F1, the
expected calibration error with its reliability diagram (torchmetrics computes the
numbers, matplotlib draws them); then one ``report.md`` linking the pictures with the
run's config, selection protocol and test numbers, and ``report.json`` with the same
numbers for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torchmetrics.functional.classification import (
    multiclass_calibration_error,
    multiclass_confusion_matrix,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)

from transferlab.evaluation.plots import save_confusion_matrix, save_reliability_diagram

BINS = 15


def reliability_bins(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = BINS):
    """Mean confidence, accuracy and count per equal-width confidence bin."""
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).float()
    index = (confidence * bins).long().clamp(max=bins - 1)
    counts = torch.bincount(index, minlength=bins).float()
    sums = torch.zeros(bins).index_add_(0, index, confidence)
    hits = torch.zeros(bins).index_add_(0, index, correct)
    safe = counts.clamp_min(1)
    return (sums / safe).numpy(), (hits / safe).numpy(), counts.numpy()


def classification_report(probabilities: torch.Tensor, labels: torch.Tensor, classes: list[str]):
    """Accuracy, macro F1, ECE and per-class precision / recall / F1 / support."""
    count = len(classes)
    per_class = {
        name: function(probabilities, labels, num_classes=count, average="none")
        for name, function in (
            ("precision", multiclass_precision),
            ("recall", multiclass_recall),
            ("f1", multiclass_f1_score),
        )
    }
    support = torch.bincount(labels, minlength=count)
    ece = multiclass_calibration_error(probabilities, labels, count, n_bins=BINS, norm="l1")
    return {
        "images": len(labels),
        "accuracy": float((probabilities.argmax(1) == labels).float().mean()),
        "macro_f1": float(per_class["f1"].mean()),
        "ece": float(ece),
        "per_class": {
            name: {key: float(values[i]) for key, values in per_class.items()}
            | {"support": int(support[i])}
            for i, name in enumerate(classes)
        },
        "confusion": multiclass_confusion_matrix(probabilities, labels, count).tolist(),
    }


def write_domain_figures(folder: Path, domain: str, report: dict, probabilities, labels, classes):
    confusion = save_confusion_matrix(
        torch.tensor(report["confusion"]).numpy(),
        classes,
        f"{domain} test",
        folder / f"confusion_{domain}.png",
    )
    confidence, accuracy, counts = reliability_bins(probabilities, labels)
    reliability = save_reliability_diagram(
        confidence,
        accuracy,
        counts,
        report["ece"],
        f"{domain} test",
        folder / f"reliability_{domain}.png",
    )
    return {"confusion": confusion.name, "reliability": reliability.name}


def write_report(
    folder: Path,
    domains: dict[str, tuple[torch.Tensor, torch.Tensor]],
    classes: list[str],
    run: dict,
    explanation: Path | None = None,
) -> Path:
    """``folder/report.md`` (+ ``report.json`` and the figures). ``domains``: name ->
    (probabilities, labels) of its test split; ``run``: config, checkpoint, protocol and
    the test metrics as logged."""
    folder.mkdir(parents=True, exist_ok=True)
    reports, figures = {}, {}
    for domain, (probabilities, labels) in domains.items():
        reports[domain] = classification_report(probabilities, labels, classes)
        figures[domain] = write_domain_figures(
            folder, domain, reports[domain], probabilities, labels, classes
        )
    (folder / "report.json").write_text(
        json.dumps({"run": run, "domains": reports}, indent=1, default=str)
    )
    lines = [
        f"# Test report: {run.get('method', 'model')}",
        "",
        f"- checkpoint: `{run.get('checkpoint')}`",
        f"- config: `{run.get('config')}`",
        f"- checkpoint selection: {run.get('protocol')}",
        "",
        "| metric | value |",
        "|---|---|",
        *[f"| {key} | {value:.4f} |" for key, value in sorted(run.get("metrics", {}).items())],
    ]
    for domain, report in reports.items():
        lines += [
            "",
            f"## {domain} test ({report['images']} images)",
            "",
            f"accuracy {report['accuracy']:.4f} · macro F1 {report['macro_f1']:.4f} · "
            f"expected calibration error {report['ece']:.4f} ({BINS} bins)",
            "",
            f"![confusion matrix]({figures[domain]['confusion']}) "
            f"![reliability diagram]({figures[domain]['reliability']})",
            "",
            "| class | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
            *[
                f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
                f"| {row['support']} |"
                for name, row in report["per_class"].items()
            ],
        ]
    if explanation is not None:
        lines += ["", "## Where the model looks", "", f"![explanations]({explanation.name})"]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
