"""What a deployed model costs and how well it still classifies, each measured, never
read from a config: file bytes, latency (``torch.utils.benchmark``, median of repeated
runs at a fixed thread count) and how closely a converted model's logits follow the
original's (the logits themselves come from :func:`transferlab.evaluation.inference.infer`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils import benchmark

Predict = Callable[[torch.Tensor], torch.Tensor]


def file_megabytes(path: str | Path) -> float:
    return Path(path).stat().st_size / 1e6


def latency_ms(predict: Predict, images: torch.Tensor, threads: int, min_seconds: float = 1.0):
    """Median milliseconds per call of ``predict(images)`` after three warm-up calls (the
    first calls of a compiled or ONNX model include its set-up)."""
    with torch.inference_mode():
        for _ in range(3):
            predict(images)
        timer = benchmark.Timer(
            "predict(images)", globals={"predict": predict, "images": images}, num_threads=threads
        )
        return timer.blocked_autorange(min_run_time=min_seconds).median * 1e3


def parity(reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, float]:
    """How closely ``candidate`` logits follow ``reference``: top-1 agreement and the
    largest absolute difference."""
    return {
        "top1_agreement": float((reference.argmax(1) == candidate.argmax(1)).float().mean()),
        "max_abs_logit_difference": float((reference - candidate).abs().max()),
    }
