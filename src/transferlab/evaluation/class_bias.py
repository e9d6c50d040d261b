"""Hinton et al.'s bias fix for a class a model was never shown.

A student distilled without a single example of one class learns to recognise it from the
teacher's soft targets, but its output bias for that class stays too low: it is never the
hard label. Raising that one bias by a constant repairs most of it. The constant is chosen
on labeled *validation* data (overall accuracy), never on the test split.
"""

from __future__ import annotations

import torch


def per_class_accuracy(logits: torch.Tensor, labels: torch.Tensor, class_index: int) -> float:
    """Share of the images of one class that are predicted as that class."""
    mine = labels == class_index
    if not mine.any():
        raise ValueError(f"no image of class {class_index} to score")
    return float((logits[mine].argmax(1) == class_index).float().mean())


def raise_class_bias(logits: torch.Tensor, class_index: int, amount: float) -> torch.Tensor:
    """The logits with ``amount`` added to one class's logit (its output bias)."""
    shifted = logits.clone()
    shifted[:, class_index] += amount
    return shifted


def tune_class_bias(
    logits: torch.Tensor,
    labels: torch.Tensor,
    class_index: int,
    candidates: torch.Tensor | None = None,
) -> float:
    """The bias increase that maximises overall accuracy on these (validation) images;
    the smallest one on ties, so 0 wins when nothing helps."""
    grid = torch.arange(0.0, 20.01, 0.25) if candidates is None else candidates
    accuracies = torch.stack(
        [
            (raise_class_bias(logits, class_index, float(a)).argmax(1) == labels).float().mean()
            for a in grid
        ]
    )
    return float(grid[int(accuracies.argmax())])


@torch.no_grad()
def collect_logits(model: torch.nn.Module, loader) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels of a labeled loader, the model in eval mode."""
    model.eval()
    pairs = [(model(images), labels) for images, labels in loader]
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])
