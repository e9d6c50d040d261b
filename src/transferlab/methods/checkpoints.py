"""Rebuild a trained method from its checkpoint alone (``weights_only=True``).

A checkpoint names the method that wrote it and carries its hyper-parameters, so the
method can be rebuilt without its config: for prediction on new images, or as the frozen
teacher of distillation.
"""

from __future__ import annotations

from pathlib import Path

import torch

from transferlab.methods.base import TransferModule


def read_transferlab_checkpoint(path: str | Path) -> dict:
    """The checkpoint dict, loaded with ``weights_only=True``; clear errors for a missing
    file or one that transferlab did not write."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict) or "transferlab" not in checkpoint:
        raise ValueError(f"{path} is not a transferlab checkpoint (no 'transferlab' entry)")
    return checkpoint


def load_method(path: str | Path) -> tuple[TransferModule, dict]:
    """The method a checkpoint was written by, with its trained weights, in eval mode.

    The backbone is built without its pretrained weights (the checkpoint replaces them), so
    this works offline whatever the run started from.
    """
    from transferlab import methods  # the registry imports every family, this module too

    checkpoint = read_transferlab_checkpoint(path)
    info = checkpoint["transferlab"]
    method = getattr(methods, info["method"], None)
    if method is None:
        raise ValueError(f"{path} was written by unknown method {info['method']!r}")
    model = method.load_from_checkpoint(
        path, map_location="cpu", weights_only=True, pretrained=False, weights=None
    )
    return model.eval(), info
