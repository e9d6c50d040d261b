"""The one reader of checkpoints and network files.

Two kinds of file reach transferlab: a method's Lightning checkpoint (with a
``transferlab`` entry saying which method wrote it) and a network file of ``transferlab
export`` (a deployable network as tensors plus the sizes of its layers, which survives
structural pruning). Everything that opens either goes through here, so every caller gets
the same ``weights_only=True`` load, the same one-line errors naming the file (missing,
truncated, junk, foreign, of another method) and the same key layout:

* :func:`read_checkpoint` / :func:`written_by` / :func:`method_mismatch` -- read and judge;
* :func:`prefixed` / :func:`load_part` -- take ``backbone.*`` / ``head.*`` weights into a
  module, with the mismatching keys named;
* :func:`classifier_weights` -- backbone and head of either kind of file (``init_from``);
* :func:`load_method` -- rebuild the method a checkpoint names, through the method registry.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferlab.registry import METHODS

# a deployable network's own file: nn.Sequential(backbone, head) as tensors, layer sizes and
# the backbone's name
NETWORK_FILE_FORMAT = "transferlab-network/1"


def load_file(path: str | Path, what: str = "checkpoint") -> Any:
    """``torch.load(weights_only=True)`` of ``path``; a missing, truncated or junk file is
    one error that names it, never PyTorch's unpickler internals."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # UnpicklingError, RuntimeError (zip), EOFError, ...
        reason = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
        raise ValueError(
            f"{path} cannot be read as a {what}: it is truncated, or not a file that "
            f"PyTorch saved ({type(error).__name__}{': ' + reason if reason else ''})"
        ) from None


def is_network_file(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("format") == NETWORK_FILE_FORMAT


def read_checkpoint(path: str | Path) -> dict:
    """A method checkpoint (a dict with a ``transferlab`` entry), loaded weights-only."""
    checkpoint = load_file(path)
    if not isinstance(checkpoint, dict) or "transferlab" not in checkpoint:
        raise ValueError(f"{path} is not a transferlab checkpoint (no 'transferlab' entry)")
    return checkpoint


def written_by(path: str | Path) -> str | None:
    """The method that wrote the checkpoint at ``path``; ``None`` for a network file."""
    return method_of(load_file(path), path)


def method_of(payload: Any, path: str | Path) -> str | None:
    """:func:`written_by` of a file already loaded from ``path``."""
    if is_network_file(payload):
        return None
    if not isinstance(payload, dict) or "transferlab" not in payload:
        raise ValueError(
            f"{path} is neither a transferlab checkpoint nor a network file written by "
            "transferlab export"
        )
    return payload["transferlab"]["method"]


def is_deployable(method: str) -> bool:
    """Whether the method called ``method`` classifies with one backbone and one head."""
    return method in METHODS and bool(METHODS.get(method).deployable)


def method_mismatch(path: str | Path, wanted: str) -> str | None:
    """Why the checkpoint at ``path`` cannot stand for a ``wanted`` model (a method's short
    name), or ``None`` if it can. A checkpoint of a method without a classifier (generative,
    self-supervised) is pointed to the ``weights`` path that reuses its backbone."""
    method = read_checkpoint(path)["transferlab"]["method"]
    if method == wanted:
        return None
    message = f"{path} was written by {method}, not by {wanted}"
    if method in METHODS and not is_deployable(method):
        return (
            f"{message}: {method} has no classifier to test or start from; its backbone "
            f"goes into a classifier with --model.init_args.weights {path}"
        )
    return f"{message}: use that run's config.yaml (or a {method} config)"


# -- weights by prefix -------------------------------------------------------------------
def prefixed(state: dict, prefix: str) -> dict:
    """The entries of ``state`` under ``prefix.``, with the prefix taken off."""
    start = len(prefix) + 1
    return {key[start:]: value for key, value in state.items() if key.startswith(f"{prefix}.")}


def mismatches(module: nn.Module, state: dict) -> tuple[list, list, list]:
    """Keys ``module`` wants but ``state`` lacks, keys it does not want, and keys whose
    shapes differ, each sorted."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(k for k in set(state) & set(expected) if state[k].shape != expected[k].shape)
    return missing, unexpected, shapes


def load_part(module: nn.Module, state: dict, problem: str) -> None:
    """Load ``state`` into ``module`` exactly; ``problem`` opens the error that names the
    mismatching keys (e.g. ``"source checkpoint X (SourceOnly) does not fit this model"``)."""
    missing, unexpected, shapes = mismatches(module, state)
    if missing or unexpected or shapes:
        raise ValueError(
            f"{problem}: missing {missing[:5]}, unexpected {unexpected[:5]}, "
            f"other shapes {shapes[:5]}"
        )
    module.load_state_dict(state)


def as_method_key(network_key: str) -> str:
    """A network file's key as the method's: ``0.stem.0.weight`` -> ``backbone.stem.0.weight``,
    ``1.weight`` -> ``head.weight``."""
    index, _, rest = network_key.partition(".")
    part = {"0": "backbone", "1": "head"}[index]
    return f"{part}.{rest}" if rest else part


def classifier_weights(path: str | Path, backbone: str) -> tuple[dict, dict]:
    """``(state, layer sizes)`` of a classifier's backbone and head, keyed ``backbone.*`` /
    ``head.*``, from a method checkpoint or a network file of a ``backbone`` network (whose
    layers may be smaller after structural pruning: the sizes say how)."""
    payload = load_file(path, "init_from file")
    if is_network_file(payload):
        if payload["backbone"] != backbone:
            raise ValueError(
                f"init_from {path} holds a {payload['backbone']} network but this model's "
                f"backbone is {backbone}"
            )
        state = {as_method_key(k): v for k, v in payload["state_dict"].items()}
        return state, {as_method_key(k): v for k, v in payload["sizes"].items()}
    if not isinstance(payload, dict) or "transferlab" not in payload:
        raise ValueError(f"{path} is not a transferlab checkpoint (no 'transferlab' entry)")
    method = payload["transferlab"]["method"]
    if method in METHODS and not is_deployable(method):
        raise ValueError(
            f"init_from {path}: {method} has no trained classifier to start from; "
            f"take its backbone with --model.init_args.weights {path}"
        )
    return payload["state_dict"], {}


# -- rebuilding a method from its checkpoint alone ----------------------------------------
def _init_arguments(cls: type) -> set[str] | None:
    """The keyword arguments ``cls(...)`` accepts along its ``**kwargs`` chain; ``None`` when
    the chain ends in a bare ``**kwargs`` that takes anything."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        spec = inspect.getfullargspec(klass.__init__)
        names.update(spec.args[1:] + spec.kwonlyargs)
        if spec.varkw is None:
            return names
    return None


def load_method(path: str | Path) -> tuple[nn.Module, dict]:
    """The method a checkpoint was written by, with its trained weights, in eval mode, and
    the checkpoint's ``transferlab`` entry.

    The backbone is built without its pretrained weights (the checkpoint replaces them) and
    without ``init_from``, so this works offline whatever the run started from.
    """
    checkpoint = read_checkpoint(path)
    info = checkpoint["transferlab"]
    if info["method"] not in METHODS:
        raise ValueError(f"{path} was written by unknown method {info['method']!r}")
    method = METHODS.get(info["method"])
    accepted = _init_arguments(method)
    overrides = {"pretrained": False, "weights": None, "init_from": None}
    if accepted is not None:
        overrides = {k: v for k, v in overrides.items() if k in accepted}
    model = method.load_from_checkpoint(path, map_location="cpu", weights_only=True, **overrides)
    return model.eval(), info
