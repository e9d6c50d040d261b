"""The network a classifier method deploys, and a file format for it that survives pruning.

A structurally pruned network no longer fits its method's class (its layers have fewer
channels), and pickling the module would make the file code, not data. The network file
holds the backbone's timm name, the class count, the tensors, and the shape attributes of
every layer whose size changed; :func:`load_network` builds the original architecture,
resizes those layers and loads the tensors, read weights-only by :mod:`transferlab.checkpoints`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from transferlab import checkpoints
from transferlab.backbones import create_backbone, layer_sizes, resize_layers
from transferlab.paths import save_atomically
from transferlab.registry import METHODS


def deployable_method_names() -> list[str]:
    return sorted(entry.name for entry in METHODS if entry.target.deployable)


def network_of(model: nn.Module) -> nn.Module:
    """``model``'s deployable network in eval mode, or an error naming the methods that
    have one."""
    network = model.deployable_network()
    if network is None:
        raise ValueError(
            f"{type(model).__name__} does not classify with one backbone and one linear head, "
            f"so it has no network to export; methods that export: "
            f"{', '.join(deployable_method_names())}"
        )
    if isinstance(network, torch.fx.GraphModule):  # already int8 (QAT): set for inference
        return network
    return network.eval()


def build_network(backbone: str, num_classes: int) -> nn.Sequential:
    """The architecture of every deployable network: a timm backbone and a linear head."""
    features = create_backbone(backbone)
    return nn.Sequential(features, nn.Linear(features.num_features, num_classes))


def save_network(network: nn.Module, path: str | Path, info: dict) -> Path:
    """Write ``network`` with what rebuilds it; ``info`` must hold ``backbone`` and
    ``num_classes`` and may hold ``class_names``, ``input`` and provenance."""
    missing = {"backbone", "num_classes"} - set(info)
    if missing:
        raise ValueError(f"network info lacks {sorted(missing)}")
    payload = {
        "format": checkpoints.NETWORK_FILE_FORMAT,
        **info,
        "sizes": layer_sizes(network),
        "state_dict": {k: v.detach().cpu() for k, v in network.state_dict().items()},
    }
    path = Path(path)
    return save_atomically(payload, path)


def load_network(path: str | Path) -> tuple[nn.Module, dict]:
    """The network in eval mode and its info, from a network file or from any transferlab
    checkpoint of a deployable method."""
    payload = checkpoints.load_file(path)
    if checkpoints.method_of(payload, path) is None:  # a network file; refuses a foreign one
        network = build_network(payload["backbone"], payload["num_classes"])
        resize_layers(network, payload["sizes"], payload["state_dict"])
        network.load_state_dict(payload["state_dict"])
        info = {k: v for k, v in payload.items() if k not in ("state_dict", "sizes", "format")}
        return network.eval(), info
    model, checkpoint_info = checkpoints.load_method(path)
    info = {
        "backbone": model.hparams.backbone,
        "num_classes": model.num_classes,
        "method": checkpoint_info["method"],
        "class_names": checkpoint_info.get("class_names"),
        "input": checkpoint_info.get("input"),
        "source_checkpoint": str(path),
    }
    return network_of(model), info
