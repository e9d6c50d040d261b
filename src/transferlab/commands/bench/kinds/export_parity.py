"""The ``export_parity`` kind: does the exported ONNX model predict what the PyTorch model
predicts, on every test image?

Each run trains the row's config (the ``train`` kind), exports its selected checkpoint
with ``transferlab export --format onnx`` as float32 and as static int8 (ONNX Runtime), and
compares each with the PyTorch network on the test splits of both domains: top-1 agreement
(goal for float32: at least 99.9%) and the largest absolute logit difference.
"""

from __future__ import annotations

from pathlib import Path

from transferlab.commands.bench.provenance import commit_of, short_commit
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

FORMATS = {"none": "ONNX fp32", "static": "ONNX int8 static"}
GOAL = 0.999  # float32 top-1 agreement


def parity_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    lines = [
        spec.caption,
        "",
        "| trained on | model | test split | top-1 agreement | max abs logit difference "
        "| seed | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        commit = short_commit(commit_of(run))
        for row in run["parity"]:
            lines.append(
                f"| {run['source']} | {row['model']} | {row['test_split']} | "
                f"{100 * row['top1_agreement']:.2f}% | {row['max_abs_logit_difference']:.2e} | "
                f"{run['seed']} | {commit} |"
            )
    fp32 = [r["top1_agreement"] for run in runs for r in run["parity"] if "fp32" in r["model"]]
    verdict = "reached" if min(fp32) >= GOAL else "**not reached**"
    lines += [
        "",
        f"Goal: float32 top-1 agreement ≥ {100 * GOAL:.1f}%: {verdict} (lowest "
        f"{100 * min(fp32):.2f}%, over {len(runs)} trained networks).",
    ]
    return "\n".join(lines)


@KINDS.register("export_parity", table=parity_table)
def export_parity(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    from transferlab.commands.export import run as export

    result = train(spec, run, overrides, folder)
    parity = []
    for quantize, model in FORMATS.items():
        report = export(
            [
                f"--ckpt={result['checkpoint_path']}",
                "--format=onnx",
                f"--quantize={quantize}",
                "--no_latency",
                f"--output={folder / f'export_{quantize}'}",
            ]
        )
        for split, domain in (("source", result["source"]), ("target", result["target"])):
            parity.append({"model": model, "test_split": domain, **report[f"{split}_parity"]})
    return result | {"parity": parity}
