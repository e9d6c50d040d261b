"""Are the explanations about the model? Grad-CAM, LIME and SHAP on MNIST-M.

    python benchmarks/explanations.py [--images 100] [--seed 0]

Trains the source-only and the DANN digit CNN on MNIST -> MNIST-M (their configs, one
seed, checkpoints chosen on source validation accuracy), then explains the predicted class
of the first ``--images`` MNIST-M test images under each model with each method and reports
the two honesty checks of :mod:`transferlab.explain.checks`: the rank correlation between
the maps of the trained and of a randomised network (low = the maps depend on the model;
passes below 0.5), and the areas under the deletion and insertion curves in attribution
order against random order (deletion lower, insertion higher = faithful). Seconds per
image included. Writes ``benchmarks/results/explanations.{json,md}`` and
``docs/explanations_mnistm.png`` (source-only beside DANN, Grad-CAM, the same images).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, run_one, write  # noqa: E402

from transferlab.data import DigitDomains  # noqa: E402
from transferlab.deploy.network import load_network  # noqa: E402
from transferlab.explain.attributions import EXPLAINERS  # noqa: E402
from transferlab.explain.checks import deletion_insertion, randomization_check  # noqa: E402
from transferlab.explain.grid import explain_networks, save_grid  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "source-only": "configs/source_only/mnist_to_mnistm.yaml",
    "DANN": "configs/dann/mnist_to_mnistm.yaml",
}


def target_test_images(count: int) -> tuple[torch.Tensor, torch.Tensor]:
    data = DigitDomains(source="mnist", target="mnistm")
    data.setup("test")
    test = data.splits["target"]["test"]
    items = [test[i] for i in range(count)]
    return torch.stack([x for x, _ in items]), torch.tensor([int(y) for _, y in items])


def measure(network, images, method: str) -> dict:
    classes = network(images).argmax(1)
    start = time.perf_counter()
    maps = EXPLAINERS[method](network, images, classes)
    seconds = (time.perf_counter() - start) / len(images)
    return {
        "seconds_per_image": seconds,
        **randomization_check(EXPLAINERS[method], network, images, classes),
        **deletion_insertion(network, images, classes, maps),
    }


def table(payload: dict) -> str:
    lines = [
        f"MNIST-M test images ({payload['args']['images']}), the predicted class of each model "
        f"explained; models trained with seed {payload['args']['seed']}, selected on source "
        "validation accuracy (target test accuracy in brackets). Randomisation: rank "
        "correlation of the maps of the trained and of a re-initialised network (passes below "
        "0.5). Deletion / insertion: area under the class-probability curve, attribution order "
        "vs random order.",
        "",
        "| model | method | randomisation ρ | passes | deletion (attr / random) "
        "| insertion (attr / random) | faithful | s / image |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in payload["rows"]:
        lines.append(
            f"| {row['model']} ({100 * row['target_test_acc']:.1f}%) | {row['method']} "
            f"| {row['rank_correlation']:.2f} | {'yes' if row['passed'] else '**no**'} "
            f"| {row['deletion_attribution']:.3f} / {row['deletion_random']:.3f} "
            f"| {row['insertion_attribution']:.3f} / {row['insertion_random']:.3f} "
            f"| {'yes' if row['faithful'] else '**no**'} | {row['seconds_per_image']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    images, _ = target_test_images(args.images)
    networks, rows = {}, []
    for name, config in MODELS.items():
        run = run_one(name, "explanations", config, args.seed, [])
        networks[name], _ = load_network(run["checkpoint_path"])  # run from the repository root
        for method in EXPLAINERS:
            rows.append(
                {
                    "model": name,
                    "method": method,
                    "target_test_acc": run["target_test_acc"],
                    **measure(networks[name], images, method),
                }
            )
            print(rows[-1], flush=True)
    shown = images[:8]
    grid = explain_networks(networks, shown, "gradcam", [str(i) for i in range(10)])
    save_grid(
        grid,
        shown,
        {"mean": [0.5] * 3, "std": [0.5] * 3},
        ROOT / "docs/explanations_mnistm.png",
        "Grad-CAM on MNIST-M test images: source-only (middle) vs DANN (bottom)",
    )
    payload = {"machine": machine(), "args": vars(args), "rows": rows}
    write("explanations", payload, table(payload))


if __name__ == "__main__":
    main()
