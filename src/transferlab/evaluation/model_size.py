"""How big a network is, counted from its tensors: parameters and weight sparsity.

Sparsity is always measured from the weights themselves, never taken from a pruning
config: pruning schedules compound (each step prunes a share of what is left) and a
number read from the config would hide that.
"""

from __future__ import annotations

from torch import nn

PRUNABLE = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


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
