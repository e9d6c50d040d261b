"""Generative models on the offline MNIST: likelihood, reconstructions, sample quality, and
how well their encoders / discriminators transfer to a 10-labels-per-class linear probe.

    python benchmarks/generative.py [--epochs 10] [--probe_seeds 0 1 2]

Trains the VAE, VQ-VAE, DCGAN and conditional GAN of ``configs/<model>/mnist.yaml`` (seed
0, ``--epochs`` epochs) and a held digit classifier (source-only digit CNN on MNIST, 5
epochs) that only measures: the Fréchet distance of 1,000 samples to the 1,000 MNIST test
digits in that classifier's feature space (``transferlab.evaluation.generative``), the
class histogram of the samples (mode coverage), and for the conditional GAN the share of
samples the classifier assigns to the asked class. The VAE reports its test negative ELBO
and the 50-sample importance-weighted bound (nats per image); the VQ-VAE its test
reconstruction MSE and codebook perplexity. Then ``configs/feature_extraction/
mnist_10_labels.yaml`` probes each backbone (and a random-init one) over ``--probe_seeds``.
Writes ``benchmarks/results/generative.{json,md}`` and ``docs/samples_<model>.png``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
from torchvision.utils import save_image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, mean_std, run_one, write  # noqa: E402

from transferlab.checkpoints import load_method  # noqa: E402
from transferlab.data import DigitDomains  # noqa: E402
from transferlab.deploy.network import load_network  # noqa: E402
from transferlab.evaluation.generative import (  # noqa: E402
    class_histogram,
    conditional_accuracy,
    frechet_distance,
)

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"VAE": "vae", "VQ-VAE": "vq_vae", "DCGAN": "dcgan", "cGAN": "conditional_gan"}
SAMPLES = 1000


def real_test_digits() -> torch.Tensor:
    data = DigitDomains(source="mnist", target="mnist")
    data.setup("test")
    test = data.splits["source"]["test"]
    return torch.stack([test[i][0] for i in range(min(SAMPLES, len(test)))])


def probe(name: str, weights: str | None, seed: int, backbone: str = "digit_cnn") -> float:
    """Test accuracy of the 10-labels-per-class linear probe on a frozen backbone."""
    overrides = [f"--model.init_args.backbone={backbone}"]
    overrides += [f"--model.init_args.weights={weights}"] if weights else []
    run = run_one(
        name,
        "generative_probe",
        "configs/feature_extraction/mnist_10_labels.yaml",
        seed,
        overrides,
    )
    return run["source_test_acc"]


def measure(name: str, run: dict, classifier, real: torch.Tensor) -> dict:
    model, _ = load_method(run["checkpoint_path"])
    torch.manual_seed(0)
    asked = torch.arange(SAMPLES) % 10
    samples = model.sample(SAMPLES, asked)
    save_image(
        samples[:100] * 0.5 + 0.5, ROOT / f"docs/samples_{MODELS[name]}.png", nrow=10, padding=1
    )
    histogram = class_histogram(classifier, samples, 10)
    tests = {k.removeprefix("test/"): v for k, v in run["other_test_metrics"].items()}
    result = {
        "model": name,
        "fit_seconds": run["fit_seconds"],
        "fid": frechet_distance(classifier[0], real, samples),
        "class_share_min": min(histogram),
        "class_share_max": max(histogram),
        "histogram": histogram,
        **tests,
    }
    if name == "cGAN":
        result["asked_class_acc"] = conditional_accuracy(classifier, samples, asked)
    return result


def table(payload: dict) -> str:
    rows, probes = payload["models"], payload["probes"]
    reference = payload["real_fid"]
    lines = [
        f"Offline MNIST (3,500 training images), seed 0, {payload['args']['epochs']} epochs each. "
        f"FID: Fréchet distance of {SAMPLES} samples to {SAMPLES} test digits in the feature "
        f"space of a held digit classifier ({100 * payload['classifier_acc']:.1f}% on MNIST "
        f"test); {SAMPLES} other real training digits score {reference:.1f}. Class share: "
        "the least and most frequent class of the samples by that classifier (0.10 each = "
        "every digit equally).",
        "",
        "| model | FID ↓ | class share min / max | asked class | test numbers | fit s |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["model"] == "VAE":
            numbers = f"−ELBO {row['nelbo']:.1f} nats, IW-50 NLL {row['iw_nll']:.1f}"
        elif row["model"] == "VQ-VAE":
            numbers = f"MSE {row['mse']:.4f}, perplexity {row['perplexity']:.1f} of 64"
        else:
            numbers = f"D real / fake acc {row['d_real_acc']:.2f} / {row['d_fake_acc']:.2f}"
        asked = f"{100 * row['asked_class_acc']:.1f}%" if "asked_class_acc" in row else "–"
        lines.append(
            f"| {row['model']} | {row['fid']:.1f} | {row['class_share_min']:.2f} / "
            f"{row['class_share_max']:.2f} | {asked} | {numbers} | {row['fit_seconds']:.0f} |"
        )
    seeds = payload["args"]["probe_seeds"]
    lines += [
        "",
        f"Linear probe on the frozen backbone, 10 labels per class (MNIST test accuracy, %, "
        f"mean ± std over seeds {seeds}; selected on the labeled validation split):",
        "",
        "| backbone | probe acc | vs the same architecture at random init |",
        "|---|---|---|",
    ]
    for name, values in probes.items():
        mean, std = mean_std(values)
        same = "random init DCGAN discriminator" if "DCGAN" in name else "random init digit CNN"
        base = statistics.fmean(probes[same])
        delta = "–" if name.startswith("random") else f"{100 * (mean - base):+.1f}"
        lines.append(f"| {name} | {100 * mean:.2f} ± {100 * std:.2f} | {delta} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--probe_seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    held = run_one(
        "held classifier",
        "generative",
        "configs/source_only/mnist_to_mnistm.yaml",
        0,
        ["--trainer.max_epochs=5"],
    )
    classifier, _ = load_network(held["checkpoint_path"])
    real = real_test_digits()
    other = DigitDomains(source="mnist", target="mnist")
    other.setup("fit")
    train = other.splits["source"]["train"]
    real_fid = frechet_distance(
        classifier[0], real, torch.stack([train[i][0] for i in range(SAMPLES)])
    )
    rows, checkpoints = [], {}
    for name, folder in MODELS.items():
        run = run_one(
            name,
            "generative",
            f"configs/{folder}/mnist.yaml",
            0,
            [f"--trainer.max_epochs={args.epochs}"],
        )
        checkpoints[name] = run["checkpoint_path"]
        rows.append(measure(name, run, classifier, real))
        print(rows[-1], flush=True)
    seeds = args.probe_seeds
    probes = {"random init digit CNN": [probe("random digit_cnn", None, s) for s in seeds]}
    probes["random init DCGAN discriminator"] = [
        probe("random dcgan_discriminator", None, s, "dcgan_discriminator") for s in seeds
    ]
    for name, backbone in (
        ("VAE", "digit_cnn"),
        ("VQ-VAE", "digit_cnn"),
        ("DCGAN", "dcgan_discriminator"),
    ):
        label = f"{name} {'encoder' if 'VAE' in name else 'discriminator'}"
        probes[label] = [probe(label, checkpoints[name], s, backbone) for s in seeds]
    payload = {
        "machine": machine(),
        "args": vars(args),
        "classifier_acc": held["source_test_acc"],
        "real_fid": real_fid,
        "models": rows,
        "probes": probes,
    }
    write("generative", payload, table(payload))


if __name__ == "__main__":
    main()
