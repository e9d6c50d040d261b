"""The ``compression`` kind: pruning, quantization and export of a trained network, every
number measured the way a user would meet it.

Each run trains its row's config (the ``train`` kind): the base network, or, starting from
the base row's checkpoint (``--model.init_args.init_from={checkpoint:LABEL}``), a pruning
or quantization-aware fine-tuning. ``prune_channels`` first removes that share of the
channels of the ``init_from`` network (Torch-Pruning, as ``transferlab export
--prune_channels`` does) and the row fine-tunes what is left. Then every form of the
trained network that ``models`` names (form: its name in the table) is written to its file
and measured on the test split of the run's source domain: accuracy, parameters, weight
sparsity, file size plain and gzip-compressed (pruned zeros only save space once
compressed), and latency at batch 1 and 64 (``torch.utils.benchmark`` at ``threads``
threads, ``latency_seconds`` of timing each).

The forms (:data:`FORMS`): PyTorch rows are timed eager, or lowered by Inductor with
freezing (``compiled`` and every torchao row: int8 kernels only appear then); ONNX rows run
in ONNX Runtime. Static int8 observes the first ``calibration`` unlabeled training images.
"""

from __future__ import annotations

from pathlib import Path

from transferlab.commands.bench.render import commits
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

FORMS = {
    "eager": "the network file (.pt), timed eager",
    "compiled": "the same file, timed after Inductor lowering",
    "int8_dynamic": "torchao PT2E dynamic int8 (.pt2), lowered",
    "int8_static": "torchao PT2E static int8 (.pt2), lowered",
    "program": "the network as a torch.export program (.pt2; QAT's is int8 already), lowered",
    "onnx_fp32": "ONNX (dynamo export) in ONNX Runtime",
    "onnx_int8_dynamic": "ONNX Runtime's dynamic int8",
    "onnx_int8_static": "ONNX Runtime's static int8 (QDQ)",
}
INIT_FROM = "--model.init_args.init_from="
CALIBRATION_BATCH = 256
HEADS = [
    "model",
    "accuracy",
    "parameters",
    "sparsity",
    "file MB",
    "gzip MB",
    "ms @1",
    "ms @64",
    "× fp32 eager @64",
    "× fp32 compiled @64",
    "commit",
]


# -- measuring ------------------------------------------------------------------------------
def gzip_megabytes(path: Path) -> float:
    import gzip

    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1e6


def channels_pruned(overrides: list[str], share: float, folder: Path) -> list[str]:
    """The row's overrides with its ``init_from`` network swapped for a copy that has
    ``share`` of its channels removed: the smaller network is what the row fine-tunes."""
    import torch

    from transferlab.deploy.channel_pruning import prune_channels
    from transferlab.deploy.network import load_network, save_network

    starts = [o for o in overrides if o.startswith(INIT_FROM)]
    if not starts:
        raise ValueError(
            f"prune_channels needs the network to prune: give the row {INIT_FROM}"
            "{checkpoint:LABEL}"
        )
    network, info = load_network(starts[-1].removeprefix(INIT_FROM))
    side = info["input"]["image_size"]
    prune_channels(network, share, torch.zeros(2, 3, side, side))
    start = save_network(network, folder / "channels_pruned_start.pt", info)
    return [o for o in overrides if not o.startswith(INIT_FROM)] + [f"{INIT_FROM}{start}"]


def source_batches(data, calibration: int) -> tuple[list, list]:
    """The source domain's labeled test batches, and its first ``calibration`` unlabeled
    training images in batches of :data:`CALIBRATION_BATCH` (for static int8)."""
    import torch

    test = list(data.eval_dataloader("source", "test"))
    images, seen = [], 0
    for batch in data.eval_dataloader("source", "train", labeled=False):
        images.append(batch[: calibration - seen])
        seen += len(images[-1])
        if seen >= calibration:
            break
    return test, list(torch.cat(images).split(CALIBRATION_BATCH))


class Forms:
    """Writes the forms of one trained network into ``folder``, each as ``(the module whose
    weights are counted, its file, predict, what is timed)``; the ONNX file is exported once."""

    def __init__(self, network, info: dict, example, calibration, folder: Path, threads: int):
        self.network, self.info, self.example = network, info, example
        self.calibration, self.folder, self.threads = calibration, folder, threads
        self._onnx: Path | None = None

    def onnx(self) -> Path:
        from transferlab.deploy.onnx_runtime import export_onnx

        if self._onnx is None:
            self._onnx = export_onnx(self.network, self.example, self.folder / "network.onnx")
        return self._onnx

    def onnx_predictor(self, path: Path):
        from transferlab.deploy.onnx_runtime import run_session, session

        onnx_session = session(path, threads=self.threads)
        return lambda images: run_session(onnx_session, images)

    def build(self, form: str):
        if form in ("eager", "compiled"):
            from transferlab.deploy.network import save_network

            file = save_network(self.network, self.folder / "network.pt", self.info)
            timed = lowered(self.network) if form == "compiled" else self.network
            return self.network, file, self.network, timed
        if form.startswith("onnx_"):
            return self.onnx_form(form)
        from transferlab.deploy.quantize import quantize, save_program

        module = self.network
        if form in ("int8_dynamic", "int8_static"):
            mode = form.removeprefix("int8_")
            calibration = self.calibration if mode == "static" else None
            module = quantize(self.network, mode, self.example, calibration)
        file = save_program(module, self.example, self.folder / f"{form}.pt2")
        return module, file, module, lowered(module)

    def onnx_form(self, form: str):
        from transferlab.deploy.onnx_runtime import quantize_onnx

        if form == "onnx_fp32":
            file = self.onnx()
        else:
            mode = form.removeprefix("onnx_int8_")
            file = quantize_onnx(self.onnx(), self.folder / f"{form}.onnx", mode, self.calibration)
        predict = self.onnx_predictor(file)
        return self.network, file, predict, predict


def lowered(module):
    """``module`` compiled by Inductor with its weights frozen (where int8 kernels appear)."""
    from transferlab.deploy.quantize import lowered as compiled

    return compiled(module)


def measured(name: str, built, test: list, options: dict) -> dict:
    """One table row: what ``built`` (from :meth:`Forms.build`) scores, weighs and costs."""
    import torch

    from transferlab.deploy.measure import file_megabytes, latency_ms
    from transferlab.evaluation.inference import accuracy
    from transferlab.evaluation.model_size import count_parameters, weight_sparsity

    counted, file, predict, timed = built
    shape = tuple(test[0][0].shape[1:])
    return {
        "model": name,
        "accuracy": 100 * accuracy(predict, test),
        "parameters": count_parameters(counted),
        "sparsity": weight_sparsity(counted),
        "file_mb": file_megabytes(file),
        "gzip_mb": gzip_megabytes(file),
        **{
            f"latency_ms_b{batch}": latency_ms(
                timed,
                torch.randn(batch, *shape),
                options["threads"],
                min_seconds=options["latency_seconds"],
            )
            for batch in (1, 64)
        },
    }


# -- the table --------------------------------------------------------------------------------
def sections(runs: list[dict]) -> dict[str, list[tuple[dict, dict]]]:
    """``{section: [(model row, its run)]}`` in the runs' order."""
    found: dict[str, list[tuple[dict, dict]]] = {}
    for run in runs:
        found.setdefault(run["section"], []).extend((model, run) for model in run["models"])
    return found


def goals(rows: list[dict]) -> list[str]:
    """The compression goals, each checked against the measured rows of one section (by
    the names the spec gives them); a goal whose rows are not measured is left out."""
    by = {r["model"]: r for r in rows}
    if "fp32 eager" not in by:
        return []
    fp32 = by["fp32 eager"]
    lines = []

    def say(goal: str, reached: bool, detail: str) -> None:
        lines.append(f"- {goal}: {'reached' if reached else '**not reached**'} ({detail})")

    def change(row: dict) -> str:
        return f"{row['accuracy'] - fp32['accuracy']:+.2f} points"

    if "unstructured 90%" in by:
        drop = fp32["accuracy"] - by["unstructured 90%"]["accuracy"]
        say(
            "≥ 90% sparsity with ≤ 0.3 points drop",
            drop <= 0.3,
            f"{change(by['unstructured 90%'])} at 90%",
        )
    channels = ("structured 50% of channels", "structured 50%, compiled", "fp32 compiled")
    if all(name in by for name in channels):
        slim, slim_c = by[channels[0]], by[channels[1]]
        speed = fp32["latency_ms_b64"] / slim["latency_ms_b64"]
        speed_c = by["fp32 compiled"]["latency_ms_b64"] / slim_c["latency_ms_b64"]
        drop = fp32["accuracy"] - slim["accuracy"]
        say(
            "50% of channels: ≥ 1.5× faster, ≤ 0.5 points drop",
            max(speed, speed_c) >= 1.5 and drop <= 0.5,
            f"{speed:.2f}× eager, {speed_c:.2f}× compiled at batch 64, {change(slim)}",
        )
    lines += int8_goal(rows, by, fp32)
    if "int8 QAT (torchao PT2E, compiled)" in by:
        qat = by["int8 QAT (torchao PT2E, compiled)"]
        say("QAT: ≤ 0.2 points drop", fp32["accuracy"] - qat["accuracy"] <= 0.2, change(qat))
    both = [
        by[name]["file_mb"]
        for name in (
            "structured 50% + ONNX int8 static",
            "structured 50% + int8 static (torchao, compiled)",
        )
        if name in by
    ]
    if both:
        smaller = fp32["file_mb"] / min(both)
        say(
            "prune + quantize ≥ 10× smaller",
            smaller >= 10,
            f"{smaller:.1f}× smaller than the fp32 network file",
        )
    return lines


def int8_goal(rows: list[dict], by: dict[str, dict], fp32: dict) -> list[str]:
    """The post-training int8 goal, judged on the fastest int8 row at batch 64 against the
    float32 row of its own backend."""
    int8_rows = [
        r
        for r in rows
        if "int8" in r["model"] and "structured" not in r["model"] and "QAT" not in r["model"]
    ]
    if not int8_rows:
        return []
    best = min(int8_rows, key=lambda r: r["latency_ms_b64"])
    reference = "ONNX fp32 (ONNX Runtime)" if "ONNX" in best["model"] else "fp32 compiled"
    if reference not in by:
        return []
    float_reference = by[reference]
    smaller = fp32["file_mb"] / best["file_mb"]
    faster = float_reference["latency_ms_b64"] / best["latency_ms_b64"]
    drop = fp32["accuracy"] - best["accuracy"]
    reached = smaller >= 3.5 and drop <= 0.5 and faster >= 1.5
    return [
        "- int8: ≥ 3.5× smaller, ≤ 0.5 points drop, ≥ 1.5× faster at batch 64 (best backend): "
        f"{'reached' if reached else '**not reached**'} (fastest int8 is {best['model']}: "
        f"{smaller:.2f}× smaller, {faster:.2f}× faster than {float_reference['model']}, "
        f"{best['accuracy'] - fp32['accuracy']:+.2f} points)"
    ]


def section_table(rows: list[tuple[dict, dict]]) -> list[str]:
    """One section's rows; the speed-ups are against its first two rows (fp32 eager and
    compiled)."""
    eager = rows[0][0]["latency_ms_b64"]
    compiled = rows[min(1, len(rows) - 1)][0]["latency_ms_b64"]
    lines = ["| " + " | ".join(HEADS) + " |", "|" + "---|" * len(HEADS)]
    for r, run in rows:
        ms = r["latency_ms_b64"]
        lines.append(
            f"| {r['model']} | {r['accuracy']:.2f} | {r['parameters']:,} | {r['sparsity']:.1%} "
            f"| {r['file_mb']:.3f} | {r['gzip_mb']:.3f} | {r['latency_ms_b1']:.3f} "
            f"| {ms:.2f} | {eager / ms:.2f} | {compiled / ms:.2f} | {commits([run])} |"
        )
    return lines


def compression_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    lines = [spec.caption]
    found = sections(runs)
    for section, rows in found.items():
        lines += ["", f"**{section}**", "", *section_table(rows)]
        lines += ["", *goals([model for model, _ in rows])]
    plot_sparsity(found, figures / f"{spec.name}_sparsity.png")
    return "\n".join(lines)


def plot_sparsity(found: dict[str, list[tuple[dict, dict]]], path: Path) -> None:
    """Accuracy against the share of weights removed or zero, per section that was pruned."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.5))
    for section, pairs in found.items():
        rows = [model for model, _ in pairs]
        if not any(r["model"].startswith("unstructured") for r in rows):
            continue
        dense = [r for r in rows if r["model"] == "fp32 eager"]
        if not dense:
            continue
        sparse = dense + [r for r in rows if r["model"].startswith("unstructured")]
        axis.plot(
            [100 * r["sparsity"] for r in sparse],
            [r["accuracy"] for r in sparse],
            "o-",
            label=f"{section}: unstructured",
        )
        slim = dense + [r for r in rows if r["model"].endswith("of channels")]
        removed = [100 * (1 - r["parameters"] / dense[0]["parameters"]) for r in slim]
        axis.plot(removed, [r["accuracy"] for r in slim], "s--", label=f"{section}: structured")
    axis.set_xlabel("weights removed or zero (%)")
    axis.set_ylabel("test accuracy (%)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


@KINDS.register(
    "compression",
    table=compression_table,
    options={
        "models": {"eager": "fp32 eager"},
        "prune_channels": 0.0,
        "calibration": 512,
        "threads": 2,
        "latency_seconds": 1.0,
        "section": "digit CNN on {task}",
    },
)
def compression(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """Train the row, then write and measure each form of its network that it names."""
    from transferlab.deploy.network import load_network

    options = run.options
    unknown = set(options["models"]) - set(FORMS)
    if unknown:
        raise ValueError(f"{run.key}: unknown forms {sorted(unknown)}; known: {list(FORMS)}")
    folder.mkdir(parents=True, exist_ok=True)
    if options["prune_channels"]:
        overrides = channels_pruned(overrides, options["prune_channels"], folder)
    built = []
    result = train(spec, run, overrides, folder, prepare=built.append)
    test, calibration = source_batches(built[0].datamodule, options["calibration"])
    network, info = load_network(result["checkpoint_path"])
    forms = Forms(network, info, test[0][0][:2], calibration, folder, options["threads"])
    models = [
        measured(name, forms.build(form), test, options) for form, name in options["models"].items()
    ]
    return result | {
        "section": options["section"].format(task=run.task),
        "models": models,
        "latency_threads": options["threads"],
    }
