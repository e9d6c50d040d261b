"""The ``metric_meta`` kind: metric learning scored on classes it never saw, few-shot
learning on held-out classes, and the MAML paper's sinusoid regression, in one table.

Metric-learning and few-shot rows train their config exactly as ``transferlab compare``
does (the ``train`` kind): their test metrics already hold what the table shows --
precision@1 (``target_test_acc``), recall@4, MAP@R and pair-verification ROC-AUC of
retrieval, or the few-shot accuracy and its 95% confidence interval over the test
episodes. Sinusoid rows are no Lightning run: the ``maml_sinusoid`` kind meta-trains the
paper's small regressor with the settings of the row's config and scores query MSE on new
sinusoids before and after adaptation.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path

from transferlab.commands.bench.render import (
    cell,
    commits,
    fit_time,
    grouped,
    mean_std,
    metric,
    paired,
    resumed_note,
)
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

RETRIEVAL = {  # column -> test metric (P@1 is the run's target_test_acc)
    "R@4": "test/target_recall_at_4",
    "MAP@R": "test/target_map_at_r",
    "verification AUC": "test/target_verification_auc",
}
VERDICTS = {
    "P@1": "target_test_acc",
    "MAP@R": "test/target_map_at_r",
    "verification AUC": "test/target_verification_auc",
}
FEW_SHOT_CI = "test/target_acc_ci95"


def is_retrieval(run: dict) -> bool:
    return metric(run, RETRIEVAL["MAP@R"]) is not None


def is_few_shot(run: dict) -> bool:
    return metric(run, FEW_SHOT_CI) is not None


def is_sinusoid(run: dict) -> bool:
    return "post_adaptation_mse" in run


def retrieval_table(groups) -> list[str]:
    heads = ["method", "P@1", *RETRIEVAL, "seeds", "fit s", "commit"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for _, label, mine in groups:
        cells = [
            label,
            cell([r["target_test_acc"] for r in mine]),
            *[cell([metric(r, name) for r in mine]) for name in RETRIEVAL.values()],
            str(len(mine)),
            fit_time(mine),
            commits(mine),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def verdict(name: str, label: str, ours: list[float], baseline: str, theirs: list[float]) -> str:
    """One line of "does it beat the baseline", by the paired rule of every bench table:
    an effect only when every seed's difference has the same sign and their mean is larger
    than their standard deviation."""
    mean, spread, effect = paired(ours, theirs)
    if len(ours) > 1 and not effect:
        word = "is within noise of"
    else:
        word = "beats" if mean > 0 else "does NOT beat"
    return f"- {name}: {label} {word} {baseline} ({mean:+.2f} ± {spread:.2f} points)"


def retrieval_verdicts(spec: Spec, groups) -> list[str]:
    """Each embedding listed after the spec's baseline against it, seed by seed, on P@1,
    MAP@R and verification AUC (the rows before it, such as the untrained network, are
    references)."""
    labels = [label for _, label, _ in groups]
    base = next((b for b in spec.baseline if b in labels), None)
    if base is None:
        return []
    runs = {label: {r["seed"]: r for r in mine} for _, label, mine in groups}
    plain = base.removesuffix(" (baseline)")
    name = f"the {plain[:1].lower()}{plain[1:]}"  # "the softmax embedding"
    lines = []
    for label in labels[labels.index(base) + 1 :]:
        seeds = sorted(set(runs[label]) & set(runs[base]))
        for column, key in VERDICTS.items():
            both = [
                s for s in seeds if None not in (metric(runs[r][s], key) for r in (label, base))
            ]
            ours = [100 * metric(runs[label][s], key) for s in both]
            theirs = [100 * metric(runs[base][s], key) for s in both]
            if ours:
                lines.append(verdict(column, label, ours, name, theirs))
    return lines


def few_shot_table(groups) -> list[str]:
    episodes = sorted({str(r.get("test_episodes", "?")) for _, _, mine in groups for r in mine})
    accuracy = f"held-out accuracy (± 95% CI over {' or '.join(episodes)} episodes)"
    heads = ["task", "method", accuracy, "seeds", "fit s", "commit"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for task, label, mine in groups:
        accuracy = mean_std([100 * r["target_test_acc"] for r in mine])
        interval = mean_std([100 * metric(r, FEW_SHOT_CI) for r in mine])[0]
        spread = f" (seed std {accuracy[1]:.2f})" if len(mine) > 1 else ""
        cells = [
            task,
            label,
            f"{accuracy[0]:.2f} ± {interval:.2f}{spread}",
            str(len(mine)),
            fit_time(mine),
            commits(mine),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def mse_cell(values: list[float]) -> str:
    mean, std = mean_std(values)
    return f"{mean:.3f} ± {std:.3f}" if len(values) > 1 else f"{mean:.3f}"


def sinusoid_table(groups) -> list[str]:
    settings = groups[0][2][0]["settings"]
    steps = settings["inner_steps"]
    first = f"sinusoid, {settings['shots']}-shot, {steps} step" + ("s" if steps > 1 else "")
    heads = [first, "query MSE before adaptation", "after", "meta-train s", "seeds", "commit"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for _, label, mine in groups:
        cells = [
            label,
            mse_cell([r["pre_adaptation_mse"] for r in mine]),
            mse_cell([r["post_adaptation_mse"] for r in mine]),
            f"{mean_std([r['meta_train_seconds'] for r in mine])[0]:.0f}",
            str(len(mine)),
            commits(mine),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def metric_meta_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    """The script-era layout: retrieval and its verdicts, few-shot, then the sinusoid."""
    groups = grouped(spec, runs)
    parts = [spec.caption] if spec.caption else []
    retrieval = [g for g in groups if all(map(is_retrieval, g[2]))]
    if retrieval:
        parts.append("Retrieval on held-out digits 6-9 (trained on MNIST 0-5), in %:")
        parts.append("\n".join(retrieval_table(retrieval)))
        parts.append("\n".join(retrieval_verdicts(spec, retrieval)))
    few_shot = [g for g in groups if all(map(is_few_shot, g[2]))]
    if few_shot:
        parts.append("Few-shot accuracy on held-out classes, in %:")
        parts.append("\n".join(few_shot_table(few_shot)))
    sinusoid = [g for g in groups if all(map(is_sinusoid, g[2]))]
    if sinusoid:
        parts.append("\n".join(sinusoid_table(sinusoid)))
    parts.append(resumed_note(runs).strip())
    return "\n\n".join(part for part in parts if part)


@KINDS.register("metric_meta", table=metric_meta_table)
def metric_meta(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """Metric-learning and few-shot rows: fit + test, as ``train``; the table reads their
    test metrics. An episodic run also records how many test episodes its confidence
    interval stands on (the table's header says it)."""
    seen = {}

    def count_episodes(cli) -> None:
        episodes = getattr(cli.datamodule, "episodes", None)
        if episodes:
            seen["test_episodes"] = episodes["test"]

    return train(spec, run, overrides, folder, prepare=count_episodes) | seen


def sinusoid_settings(path: Path) -> dict:
    """The config's keys are ``meta_train_sinusoid``'s arguments; a wrong one is named."""
    import yaml

    from transferlab.methods.meta.sinusoid import meta_train_sinusoid

    settings = yaml.safe_load(path.read_text())
    known = set(inspect.signature(meta_train_sinusoid).parameters) - {"seed"}
    unknown = set(settings) - known if isinstance(settings, dict) else {"(not a mapping)"}
    if unknown:
        raise ValueError(
            f"{path}: unknown sinusoid settings {sorted(unknown)}; known: {sorted(known)} "
            "(the seed is the benchmark's)"
        )
    return settings


@KINDS.register("maml_sinusoid")
def maml_sinusoid(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """Meta-train the sinusoid regressor with the row's config and the run's seed. It is
    no Lightning run, so trainer overrides mean nothing to it: its settings live in the
    config, and a spec that gives it overrides is refused rather than silently ignored."""
    from transferlab.methods.meta.sinusoid import meta_train_sinusoid

    if run.overrides:
        raise ValueError(
            f"{spec.path}: row {run.row.label} (maml_sinusoid) takes no overrides; "
            f"set them in {run.row.config}, or mark the row as_written"
        )
    settings = sinusoid_settings(spec.root / run.row.config)
    start = time.perf_counter()
    _, result = meta_train_sinusoid(**settings, seed=run.seed)
    return {
        "pre_adaptation_mse": result.pre_adaptation_mse,
        "post_adaptation_mse": result.post_adaptation_mse,
        "meta_train_seconds": round(time.perf_counter() - start, 2),
        "settings": settings,
    }
