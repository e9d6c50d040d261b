"""Structured pruning: remove whole channels, so the network gets smaller *and* faster.

Torch-Pruning traces the network's dependency graph, so removing a convolution's filters
also removes the matching BatchNorm entries and the next layer's input channels (through
flatten and linear layers too). Channels are ranked by the L2 norm of their weights; the
classifier's outputs (the classes) are never pruned.
"""

from __future__ import annotations

import torch
import torch_pruning as tp
from torch import nn

from transferlab.evaluation.model_size import count_parameters


def prune_channels(
    network: nn.Sequential, ratio: float, example_inputs: torch.Tensor
) -> dict[str, int]:
    """Remove ``ratio`` of the channels of every prunable layer of ``network`` in place
    (the head's class outputs excepted); returns the parameter counts before and after."""
    if not 0 < ratio < 1:
        raise ValueError(f"channel ratio must be in (0, 1), got {ratio}")
    head = network[-1]
    before = count_parameters(network)
    pruner = tp.pruner.MagnitudePruner(
        network,
        example_inputs,
        importance=tp.importance.MagnitudeImportance(p=2),
        pruning_ratio=ratio,
        ignored_layers=[head],
    )
    pruner.step()
    return {"parameters_before": before, "parameters_after": count_parameters(network)}
