"""The one inference helper: logits, probabilities, features and Monte-Carlo dropout passes
of a model over images or batches, without gradients.

The test report, export's accuracy and parity, the active-learning pool scores and the
explanations' class probabilities all come from here, so "probabilities" means the same
softmax of the same logits everywhere. ``model`` is a method (``features`` + ``classify``),
any ``nn.Module`` that returns logits, or any function images -> logits (an ONNX Runtime
session, an exported program); features and dropout passes need a method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

Predict = nn.Module | Callable[[torch.Tensor], torch.Tensor]
OUTPUTS = ("logits", "probabilities", "features", "passes")


def outputs_of(
    model: Predict, images: torch.Tensor, want: Iterable[str], passes: int = 10
) -> dict[str, torch.Tensor]:
    """What ``want`` names (of :data:`OUTPUTS`) for one batch of images."""
    want = set(want)
    unknown = want - set(OUTPUTS)
    if unknown:
        raise ValueError(f"unknown outputs {sorted(unknown)}; choose from {', '.join(OUTPUTS)}")
    result = {}
    if "features" in want:
        result["features"] = model.features(images)
        logits = model.classify(result["features"])
    else:
        logits = model(images)
    if "logits" in want:
        result["logits"] = logits.float()
    if "probabilities" in want:
        result["probabilities"] = logits.float().softmax(1)
    if "passes" in want:
        result["passes"] = dropout_passes(model, images, passes)
    return result


def infer(
    model: Predict,
    batches: Iterable,
    want: Iterable[str] = ("logits",),
    passes: int = 10,
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """:func:`outputs_of` over ``(images, labels)`` or image batches, concatenated on the
    CPU (``passes`` along dimension 1), with ``labels`` when the batches have them."""
    want = tuple(want)
    parts: dict[str, list[torch.Tensor]] = {}
    with torch.inference_mode():
        for batch in batches:
            labeled = isinstance(batch, list | tuple)
            images = batch[0] if labeled else batch
            images = images.to(device) if device is not None else images
            for key, value in outputs_of(model, images, want, passes).items():
                parts.setdefault(key, []).append(value.cpu())
            if labeled:
                parts.setdefault("labels", []).append(torch.as_tensor(batch[1]).cpu())
    return {k: torch.cat(v, dim=1 if k == "passes" else 0) for k, v in parts.items()}


def dropout_passes(model: nn.Module, images: torch.Tensor, passes: int) -> torch.Tensor:
    """``(passes, images, classes)`` softmaxes, each with fresh dropout masks.

    When the network's one dropout layer is its last feature layer (``drop_rate`` before the
    head, as in the digit CNN), everything before it is deterministic in eval mode: the
    features are computed once and only the dropout and the head rerun. That is the same
    distribution, and the same random draws, as full passes, for a fraction of the cost (the
    passes were most of a BALD round). Any other placement runs the whole network per pass.
    """
    dropouts = _dropout_layers(model)
    if len(dropouts) == 1:
        seen: dict[str, torch.Tensor] = {}
        hook = dropouts[0].register_forward_hook(
            lambda layer, inputs, output: seen.update(input=inputs[0], output=output)
        )
        try:
            features = model.features(images)
        finally:
            hook.remove()
        if seen.get("output") is features:
            p = dropouts[0].p
            return torch.stack(
                [
                    model.classify(nn.functional.dropout(seen["input"], p, True)).softmax(1)
                    for _ in range(passes)
                ]
            )
    return torch.stack([mc_dropout(model, images) for _ in range(passes)])


def _dropout_layers(model: nn.Module) -> list[nn.Dropout]:
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout) and m.p > 0]
    if not dropouts:
        raise ValueError("BALD needs dropout in the network (e.g. --model.init_args.drop_rate 0.3)")
    return dropouts


def mc_dropout(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """One stochastic pass: dropout layers on, everything else (BatchNorm) in eval mode."""
    dropouts = _dropout_layers(model)
    for layer in dropouts:
        layer.train()
    try:
        return model(images).softmax(1)
    finally:
        for layer in dropouts:
            layer.eval()


def accuracy(model: Predict, batches: Iterable) -> float:
    """Top-1 accuracy over labeled ``(images, labels)`` batches."""
    outputs = infer(model, batches)
    return float((outputs["logits"].argmax(1) == outputs["labels"]).float().mean())
