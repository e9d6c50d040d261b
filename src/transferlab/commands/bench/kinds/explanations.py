"""The ``explanations`` kind: are a model's explanations about the model?

Each run trains its row's config (the ``train`` kind), then explains the predicted class of
the first ``images`` target test images with each method of ``methods`` (Grad-CAM, LIME and
SHAP by default) and reports the two honesty checks of :mod:`transferlab.explain.checks`:
the rank correlation between the maps of the trained and of a randomised network (low =
the maps depend on the model; passes below 0.5), and the areas under the deletion and
insertion curves in attribution order against random order (deletion lower, insertion
higher = faithful), with the seconds each method takes per image.

Each run also keeps its Grad-CAM maps of the first ``shown`` images; the table draws them,
one row per model under the images, as ``<spec>_gradcam.png``.
"""

from __future__ import annotations

from pathlib import Path

from transferlab.commands.bench.render import commits
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

HEADS = [
    "model",
    "method",
    "randomisation ρ",
    "passes",
    "deletion (attr / random)",
    "insertion (attr / random)",
    "faithful",
    "s / image",
    "commit",
]


def target_test_images(data, count: int):
    """The first ``count`` images of the target test split, as one batch."""
    import torch

    test = data.splits["target"]["test"]
    return torch.stack([test[i][0] for i in range(min(count, len(test)))])


def checked(network, images, method: str) -> dict:
    """One method's maps of the predicted classes, their time per image, and both checks."""
    import time

    import torch

    from transferlab.explain.attributions import EXPLAINERS
    from transferlab.explain.checks import deletion_insertion, randomization_check

    explainer = EXPLAINERS.get(method)
    network.eval()
    with torch.no_grad():
        classes = network(images).argmax(1)
    start = time.perf_counter()
    maps = explainer(network, images, classes)
    seconds = (time.perf_counter() - start) / len(images)
    return {
        "method": method,
        "seconds_per_image": seconds,
        **randomization_check(explainer, network, images, classes),
        **deletion_insertion(network, images, classes, maps),
    }


def keep_gradcam(name: str, network, data, images, folder: Path) -> Path:
    """This model's Grad-CAM row of the picture, with the images it explains."""
    import torch

    from transferlab.explain.grid import explain_networks

    row = explain_networks({name: network}, images, "gradcam", list(data.classes))[0]
    path = folder / "gradcam.pt"
    torch.save({"images": images, "mean": list(data.mean), "std": list(data.std), "row": row}, path)
    return path


def draw_gradcam(runs: list[dict], path: Path) -> None:
    """Every model's kept Grad-CAM row under the same images; left as it is when a run's
    maps are gone (runs measured elsewhere, or a cleaned ``runs/`` folder)."""
    from transferlab.checkpoints import load_file
    from transferlab.explain.grid import save_grid

    files = [Path(run.get("gradcam_file") or "") for run in runs]
    if not runs or not all(file.is_file() for file in files):
        return
    kept = [load_file(file, "Grad-CAM maps") for file in files]
    names = " vs ".join(run["label"] for run in runs)
    save_grid(
        [k["row"] for k in kept],
        kept[0]["images"],
        {"mean": kept[0]["mean"], "std": kept[0]["std"]},
        path,
        f"Grad-CAM on {runs[0]['target']} test images: {names}",
    )


def explanations_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    lines = [spec.caption, "", "| " + " | ".join(HEADS) + " |", "|" + "---|" * len(HEADS)]
    for run in runs:
        model = f"{run['label']} ({100 * run['target_test_acc']:.1f}%)"
        for row in run["methods"]:
            lines.append(
                f"| {model} | {row['method']} "
                f"| {row['rank_correlation']:.2f} | {'yes' if row['passed'] else '**no**'} "
                f"| {row['deletion_attribution']:.3f} / {row['deletion_random']:.3f} "
                f"| {row['insertion_attribution']:.3f} / {row['insertion_random']:.3f} "
                f"| {'yes' if row['faithful'] else '**no**'} | {row['seconds_per_image']:.3f} "
                f"| {commits([run])} |"
            )
    draw_gradcam(runs, figures / f"{spec.name}_gradcam.png")
    return "\n".join(lines)


@KINDS.register(
    "explanations",
    table=explanations_table,
    options={"images": 100, "methods": ["gradcam", "lime", "shap"], "shown": 8},
)
def explanations(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """Train the row, then check each method's explanations of its selected network."""
    from transferlab.deploy.network import load_network

    built = []
    result = train(spec, run, overrides, folder, prepare=built.append)
    data = built[0].datamodule
    network, _ = load_network(result["checkpoint_path"])
    images = target_test_images(data, run.options["images"])
    methods = [checked(network, images, method) for method in run.options["methods"]]
    shown = images[: run.options["shown"]]
    return result | {
        "images": len(images),
        "methods": methods,
        "gradcam_file": str(keep_gradcam(run.row.label, network, data, shown, folder)),
    }
