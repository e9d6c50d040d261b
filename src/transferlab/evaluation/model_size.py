"""How big a network is, counted from its tensors: parameters and weight sparsity.

Sparsity is always measured from the weights themselves, never taken from a pruning
config: pruning schedules compound (each step prunes a share of what is left) and a
number read from the config would hide that.
"""

from __future__ import annotations

import torch
from torch import nn

PRUNABLE = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def count_parameters(module: nn.Module) -> int:
    """Weights and biases; in a converted int8 graph (whose weights are int8 constants, not
    parameters), every tensor the graph reads except the quantization scales and zero
    points."""
    if isinstance(module, torch.fx.GraphModule):
        names = {n.target for n in module.graph.nodes if n.op == "get_attr"}
        return sum(
            getattr_path(module, name).numel()
            for name in names
            if "scale" not in name
            and "zero_point" not in name
            and isinstance(getattr_path(module, name), torch.Tensor)
        )
    return sum(p.numel() for p in module.parameters())


def getattr_path(module: nn.Module, dotted: str):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def prunable_layers(module: nn.Module) -> list[tuple[str, nn.Module]]:
    """Convolutions and linear layers: the weights that magnitude pruning zeroes (never
    BatchNorm scales, which are few and whose zeros would switch whole channels off)."""
    return [(name, m) for name, m in module.named_modules() if isinstance(m, PRUNABLE)]


def weight_sparsity(*modules: nn.Module) -> float:
    """Share of exact zeros among the weights of :func:`prunable_layers` of ``modules``."""
    zeros = total = 0
    for _, layer in (pair for module in modules for pair in prunable_layers(module)):
        weight = layer.weight
        zeros += int((weight == 0).sum())
        total += weight.numel()
    return zeros / total if total else 0.0
