"""Does the exported ONNX model predict what the PyTorch model predicts? On every test image.

    python benchmarks/onnx_parity.py [--domains mnist mnistm] [--epochs 10]

For each domain: the digit CNN trained as in ``compression.py``, run through
``transferlab export --format onnx`` (float32) and ``--quantize static`` (ONNX Runtime int8),
and compared with the PyTorch network on the test splits of both domains of the pair: top-1
agreement (goal for float32: ≥ 99.9%) and the largest absolute logit difference. Writes
``benchmarks/results/onnx_parity.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write  # noqa: E402
from compression import TRAIN, train  # noqa: E402

from transferlab.commands.export import run as export  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", nargs="+", default=["mnist", "mnistm"])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for domain in args.domains:
            base = train(TRAIN, domain, Path(work), f"{domain}_base", args.epochs)
            for quantize in ("none", "static"):
                report = export(
                    [
                        f"--ckpt={base.checkpoint_path}",
                        "--format=onnx",
                        f"--quantize={quantize}",
                        "--no_latency",
                        f"--output={Path(work) / f'{domain}_{quantize}'}",
                    ]
                )
                for split in ("source", "target"):
                    rows.append(
                        {
                            "trained_on": domain,
                            "model": "ONNX fp32" if quantize == "none" else "ONNX int8 static",
                            "test_split": base.source if split == "source" else base.target,
                            **report[f"{split}_parity"],
                        }
                    )
    lines = [
        f"Digit CNN ({args.epochs} epochs) exported with `transferlab export --format onnx`, run "
        "in ONNX Runtime, against the PyTorch network on every image of each test split.",
        "",
        "| trained on | model | test split | top-1 agreement | max abs logit difference |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['trained_on']} | {r['model']} | {r['test_split']} | "
            f"{100 * r['top1_agreement']:.2f}% | {r['max_abs_logit_difference']:.2e} |"
        )
    fp32 = [r["top1_agreement"] for r in rows if r["model"] == "ONNX fp32"]
    verdict = "reached" if min(fp32) >= 0.999 else "**not reached**"
    lines += [
        "",
        f"Goal: float32 top-1 agreement ≥ 99.9%: {verdict} (lowest {100 * min(fp32):.2f}%).",
    ]
    write("onnx_parity", {"machine": machine(), "args": vars(args), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
