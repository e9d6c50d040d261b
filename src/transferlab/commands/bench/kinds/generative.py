"""The generative kinds: how good a generative model's samples are, and how well its encoder
or discriminator transfers to a linear probe with few labels.

``held_classifier`` trains a digit classifier (its row's config) that only measures: its
backbone's features are the space of the Fréchet distance, its predictions the class of a
sample. Its own record holds the distance between ``samples`` real test digits and as many
real training digits -- the floor of any model's.

``generative`` trains a model (VAE, VQ-VAE, DCGAN, conditional GAN: its row's config) and
draws ``samples`` samples (the classes asked in turn, seed 0), scored with the network of
the ``classifier`` row of the same task and seed: the Fréchet distance to as many test
digits of the model's own data, the class histogram (mode coverage) and, for a
``conditional`` model, the share drawn in the asked class. The model's test metrics
(negative ELBO, reconstruction error, discriminator accuracies) come from its own test
step. The first 100 samples are drawn as ``<spec>_samples_<config folder>.png``.

``linear_probe`` trains its row's config (a linear probe on a frozen backbone, e.g.
``configs/feature_extraction/mnist_10_labels.yaml`` with ``--model.init_args.weights=
{checkpoint:VAE}``) once per seed of its own ``seeds``: the backbone comes from the spec's
seed, the probes' spread over seeds is the probe's own. ``versus`` names the probe row
of the same architecture at random initialisation that the table compares it with.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from pathlib import Path

from transferlab.commands.bench.render import commits, fit_time, mean_std, resumed_note
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

SHOWN = 100  # samples drawn in the picture, ten per row


def first_images(dataset, count: int):
    import torch

    return torch.stack([dataset[i][0] for i in range(min(count, len(dataset)))])


def earlier_run(spec: Spec, run: Run, folder: Path, label: str) -> dict:
    """The stored record of row ``label`` in ``run``'s task and seed, which ran before it
    (``folder`` is the run's own, ``<store>/<spec>/runs/<key>``)."""
    wanted = [r for r in spec.runs([run.seed]) if r.task == run.task and r.row.label == label]
    if not wanted:
        raise ValueError(f"{spec.path}: {run.key} names row {label!r}, which is not in the spec")
    path = folder.parents[1] / f"{wanted[0].key}.json"
    if not path.is_file():
        raise ValueError(f"{run.key} needs the network of {label}: run that row first")
    return json.loads(path.read_text())


# -- the table --------------------------------------------------------------------------------
def test_numbers(run: dict) -> str:
    """The model's own test metrics, by what it reports."""
    tests = {k.removeprefix("test/"): v for k, v in run["other_test_metrics"].items()}
    if "nelbo" in tests:
        return f"−ELBO {tests['nelbo']:.1f} nats, IW-50 NLL {tests['iw_nll']:.1f}"
    if "mse" in tests:
        return (
            f"MSE {tests['mse']:.4f}, perplexity {tests['perplexity']:.1f} "
            f"of {run['codebook_size']}"
        )
    return f"D real / fake acc {tests['d_real_acc']:.2f} / {tests['d_fake_acc']:.2f}"


def model_lines(runs: list[dict]) -> list[str]:
    lines = [
        "| model | FID ↓ | class share min / max | asked class | test numbers | fit s | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        asked = f"{100 * run['asked_class_acc']:.1f}%" if "asked_class_acc" in run else "–"
        lines.append(
            f"| {run['label']} | {run['fid']:.1f} | {run['class_share_min']:.2f} / "
            f"{run['class_share_max']:.2f} | {asked} | {test_numbers(run)} "
            f"| {fit_time([run])} | {commits([run])} |"
        )
    return lines


def probe_lines(spec: Spec, runs: list[dict]) -> list[str]:
    """Each probe's accuracy over its seeds and its difference to its ``versus`` row."""
    versus = {row.label: row.options.get("versus") for row in spec.rows}
    accuracy = {run["label"]: run["probe_test_acc"] for run in runs}
    seeds = sorted({tuple(run["probe_seeds"]) for run in runs})
    lines = [
        "Linear probe on the frozen backbone, 10 labels per class (MNIST test accuracy, %, "
        f"mean ± std over seeds {', '.join(str(list(s)) for s in seeds)}; selected on the "
        "labeled validation split):",
        "",
        "| backbone | probe acc | vs the same architecture at random init | commit |",
        "|---|---|---|---|",
    ]
    for run in runs:
        mean, std = mean_std(run["probe_test_acc"])
        base = versus.get(run["label"])
        delta = (
            f"{100 * (mean - statistics.fmean(accuracy[base])):+.1f}" if base in accuracy else "–"
        )
        lines.append(
            f"| {run['label']} | {100 * mean:.2f} ± {100 * std:.2f} | {delta} | {commits([run])} |"
        )
    return lines


def copy_samples(runs: list[dict], spec: Spec, figures: Path) -> None:
    """Each model's picture of samples, named after its config's folder (``vae``, ...);
    one whose run folder is gone stays as it is."""
    import shutil

    for run in runs:
        picture = Path(run.get("samples_png") or "")
        if picture.is_file():
            name = Path(run["config"]).parent.name
            shutil.copyfile(picture, figures / f"{spec.name}_samples_{name}.png")


def generative_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    """The models' table, its caption's numbers filled from the held classifier's run
    (``{classifier_acc}`` in %, ``{real_fid}``), then the probes' table."""
    held = next(run for run in runs if "real_fid" in run)
    models = [run for run in runs if "fid" in run]
    probes = [run for run in runs if "probe_test_acc" in run]
    caption = spec.caption.format(
        classifier_acc=100 * held["source_test_acc"], real_fid=held["real_fid"]
    )
    copy_samples(models, spec, figures)
    caption += resumed_note(models)
    return "\n".join([caption, "", *model_lines(models), "", *probe_lines(spec, probes)])


# -- the kinds ---------------------------------------------------------------------------------
@KINDS.register("held_classifier", options={"samples": 1000})
def held_classifier(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """Train the measuring classifier; the Fréchet distance of real digits to real digits."""
    from transferlab.deploy.network import load_network
    from transferlab.evaluation.generative import frechet_distance

    built = []
    result = train(spec, run, overrides, folder, prepare=built.append)
    classifier, _ = load_network(result["checkpoint_path"])
    source, count = built[0].datamodule.splits["source"], run.options["samples"]
    real, other = first_images(source["test"], count), first_images(source["train"], count)
    return result | {"real_fid": frechet_distance(classifier[0], real, other)}


@KINDS.register(
    "generative",
    table=generative_table,
    options={"classifier": "held classifier", "samples": 1000, "conditional": False},
)
def generative(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """Train the model, draw its samples and score them with the held classifier."""
    import torch
    from torchvision.utils import save_image

    from transferlab.checkpoints import load_method
    from transferlab.deploy.network import load_network
    from transferlab.evaluation.generative import (
        class_histogram,
        conditional_accuracy,
        frechet_distance,
    )

    options = run.options
    held = earlier_run(spec, run, folder, options["classifier"])
    classifier, _ = load_network(held["checkpoint_path"])
    built = []
    result = train(spec, run, overrides, folder, prepare=built.append)
    data = built[0].datamodule
    model, _ = load_method(result["checkpoint_path"])
    real = first_images(data.splits["source"]["test"], options["samples"])
    classes = len(data.classes)
    torch.manual_seed(0)
    asked = torch.arange(options["samples"]) % classes
    with torch.no_grad():
        samples = model.sample(options["samples"], asked)
    picture = folder / "samples.png"
    save_image(samples[:SHOWN] * 0.5 + 0.5, picture, nrow=10, padding=1)
    histogram = class_histogram(classifier, samples, classes)
    record = result | {
        "fid": frechet_distance(classifier[0], real, samples),
        "class_share_min": min(histogram),
        "class_share_max": max(histogram),
        "histogram": histogram,
        "codebook_size": model.hparams.get("codebook_size"),
        "samples_png": str(picture),
    }
    if options["conditional"]:
        record["asked_class_acc"] = conditional_accuracy(classifier, samples, asked)
    return record


@KINDS.register("linear_probe", options={"seeds": [0, 1, 2], "versus": None})
def linear_probe(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """The probe's test accuracy at each of its seeds, on the same backbone."""
    seeds = [int(seed) for seed in run.options["seeds"]]
    probes = [train(spec, replace(run, seed=s), overrides, folder / f"seed{s}") for s in seeds]
    return {
        "probe_seeds": seeds,
        "probe_test_acc": [probe["source_test_acc"] for probe in probes],
        "probe_runs": probes,
    }
