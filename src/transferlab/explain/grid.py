"""Explain the same images under one or more networks and draw them side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from transferlab.evaluation.inference import outputs_of
from transferlab.evaluation.plots import save_explanation_grid
from transferlab.explain.attributions import explain, target_layer


def check_layer(networks: dict[str, nn.Module], method: str, image_size: int, layer: str | None):
    """Grad-CAM's layer must exist in every network (before any work is done)."""
    if method != "gradcam":
        return
    for name, network in networks.items():
        try:
            target_layer(network, image_size, layer)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from error


def explain_networks(
    networks: dict[str, nn.Module],
    images: torch.Tensor,
    method: str,
    class_names: list[str],
    layer: str | None = None,
) -> list[dict]:
    """Per network: its predicted class and probability per image and the map of that
    class: ``[{"name", "predicted", "probability", "maps", "captions"}]``."""
    options = {"layer": layer} if method == "gradcam" else {}
    rows = []
    for name, network in networks.items():
        network.eval()
        with torch.no_grad():
            probabilities = outputs_of(network, images, ("probabilities",))["probabilities"]
            probability, predicted = probabilities.max(1)
        maps = explain(method, network, images, predicted, **options)
        rows.append(
            {
                "name": name,
                "predicted": predicted,
                "probability": probability,
                "maps": maps,
                "captions": [
                    f"{class_names[int(c)]} {float(p):.2f}"
                    for c, p in zip(predicted, probability, strict=True)
                ],
            }
        )
    return rows


def displayable(images: torch.Tensor, mean, std) -> np.ndarray:
    """Normalised ``(N, C, H, W)`` back to ``(N, H, W, 3)`` in [0, 1] for drawing."""
    mean = torch.tensor(mean).view(1, -1, 1, 1)
    std = torch.tensor(std).view(1, -1, 1, 1)
    pixels = (images.cpu() * std + mean).clamp(0, 1)
    if pixels.shape[1] == 1:
        pixels = pixels.repeat(1, 3, 1, 1)
    return pixels.permute(0, 2, 3, 1).numpy()


def save_grid(rows: list[dict], images: torch.Tensor, spec: dict, path: Path, title: str) -> Path:
    pictures = displayable(images, spec["mean"], spec["std"])
    drawn = [{**row, "maps": row["maps"].cpu().numpy()} for row in rows]
    return save_explanation_grid(pictures, drawn, path, title)
