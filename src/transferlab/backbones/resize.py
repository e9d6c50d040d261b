"""Networks whose layers were resized by structured pruning: their layer sizes, and how
to give a freshly built network those sizes again from tensors alone."""

from __future__ import annotations

import torch
from torch import nn

# the attributes that say how big a layer is, for the layer types pruning can shrink
SIZE_ATTRIBUTES = {
    nn.Conv2d: ("in_channels", "out_channels", "groups"),
    nn.Linear: ("in_features", "out_features"),
    nn.BatchNorm1d: ("num_features",),
    nn.BatchNorm2d: ("num_features",),
}


def layer_sizes(network: nn.Module) -> dict[str, dict[str, int]]:
    """The size attributes of every layer that structured pruning can shrink."""
    sizes = {}
    for name, module in network.named_modules():
        for kind, attributes in SIZE_ATTRIBUTES.items():
            if isinstance(module, kind):
                sizes[name] = {a: int(getattr(module, a)) for a in attributes}
    return sizes


def resize_layers(network: nn.Module, sizes: dict, state: dict, prefix: str = "") -> None:
    """Give each layer of ``network`` listed in ``sizes`` its saved size: the attributes,
    and empty tensors of the shapes in ``state`` (keys ``prefix + name``), which
    ``load_state_dict`` then fills. A structurally pruned network is rebuilt this way from
    tensors alone, never from a pickled module."""
    for name, attributes in sizes.items():
        module = network.get_submodule(name)
        if all(getattr(module, a) == v for a, v in attributes.items()):
            continue
        for attribute, value in attributes.items():
            setattr(module, attribute, value)
        key = f"{prefix}{name}." if name else prefix
        for tensor_name, parameter in list(module._parameters.items()):
            if parameter is not None:
                saved = state[key + tensor_name]
                module._parameters[tensor_name] = nn.Parameter(torch.empty_like(saved))
        for tensor_name, buffer in list(module._buffers.items()):
            if buffer is not None:
                module._buffers[tensor_name] = torch.empty_like(state[key + tensor_name])
