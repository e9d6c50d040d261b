"""What a deployed model costs and how well it still classifies, each measured, never
read from a config: file bytes, latency (``torch.utils.benchmark``, median of repeated
runs at a fixed thread count) and accuracy on a loader's labeled images."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def predictions(predict: Predict, batches: Iterable) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels over labeled ``(images, labels)`` batches."""
    logits, labels = [], []
    with torch.inference_mode():
        for images, targets in batches:
            logits.append(predict(images).float())
            labels.append(targets)
    return torch.cat(logits), torch.cat(labels)


def accuracy(predict: Predict, batches: Iterable) -> float:
    logits, labels = predictions(predict, batches)
    return float((logits.argmax(1) == labels).float().mean())


def parity(reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, float]:
    """How closely ``candidate`` logits follow ``reference``: top-1 agreement and the
    largest absolute difference."""
    return {
        "top1_agreement": float((reference.argmax(1) == candidate.argmax(1)).float().mean()),
        "max_abs_logit_difference": float((reference - candidate).abs().max()),
    }
