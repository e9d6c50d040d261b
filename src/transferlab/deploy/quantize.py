"""int8 quantization on torchao's PT2E flow (``torch.ao``'s own eager, FX and PT2E paths are
deprecated or gone): export the network as a graph, annotate it with the X86 Inductor
quantizer, observe activation ranges on calibration images (static) or compute them per
batch at run time (dynamic), convert. The converted graph runs anywhere as quantize /
dequantize ops around float kernels; its int8 speed appears only once Inductor lowers it
(``torch.compile`` with freezing, :func:`lowered`), and that is how it is timed.
"""

from __future__ import annotations

import contextlib
import copy
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
import torchao.quantization.pt2e.qat_utils as qat_utils
import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as x86
from torch import nn
from torchao.quantization.pt2e import move_exported_model_to_eval, move_exported_model_to_train
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e, prepare_qat_pt2e

from transferlab.evaluation.model_size import PRUNABLE

Mode = Literal["static", "dynamic"]
MAX_BATCH = 4096


def export_network(
    network: nn.Module, example: torch.Tensor, train: bool = False
) -> torch.export.ExportedProgram:
    """``torch.export`` with a dynamic batch axis, so one program serves any batch size;
    in eval mode unless ``train`` (QAT captures the training graph: BatchNorm on batch
    statistics)."""
    if not isinstance(network, torch.fx.GraphModule):  # an exported graph refuses .eval()
        network.train(train)
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    # the program keeps its example inputs: a copy of two images, never a view that would
    # drag the storage of a whole batch into the file
    example = example[:2].clone()
    return torch.export.export(network, (example,), dynamic_shapes=({0: batch},))


def float_layers_left(network: nn.Module, mode: Mode) -> list[str]:
    """Layers that ``mode`` leaves in float32: dynamic int8 covers linear layers only."""
    if mode == "static":
        return []
    return [
        f"{name} ({type(m).__name__})"
        for name, m in network.named_modules()
        if isinstance(m, PRUNABLE) and not isinstance(m, nn.Linear)
    ]


def quantize(
    network: nn.Module,
    mode: Mode,
    example: torch.Tensor,
    calibration: Iterable[torch.Tensor] | None = None,
) -> nn.Module:
    """The int8 graph of ``network``; static quantization observes ``calibration`` batches."""
    if mode == "static" and calibration is None:
        raise ValueError(
            "static quantization needs calibration images (--calibration N) to fix the "
            "activations' scales; or use --quantize dynamic"
        )
    if mode == "dynamic" and not any(isinstance(m, nn.Linear) for m in network.modules()):
        kinds = sorted({type(m).__name__ for m in network.modules() if not list(m.children())})
        raise ValueError(
            f"dynamic int8 quantizes Linear layers only and this network has none (its layers: "
            f"{', '.join(kinds)}); use --quantize static"
        )
    prepared = prepare_pt2e(export_network(network, example).module(), x86_quantizer(mode))
    with torch.no_grad():
        for images in calibration or [example]:
            prepared(images)
    return drop_unused_tensors(move_exported_model_to_eval(converted(prepared)))


def drop_unused_tensors(graph: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Remove the float32 weights that conversion replaced by int8 constants but left on the
    module: exported again, they would make the int8 file larger than the float one."""
    used = {node.target for node in graph.graph.nodes if node.op == "get_attr"}
    for name, _ in [*graph.named_parameters(), *graph.named_buffers()]:
        if name not in used:
            owner, _, attribute = name.rpartition(".")
            delattr(graph.get_submodule(owner) if owner else graph, attribute)
    return graph


def load_program(path: str | Path) -> nn.Module:
    """A saved program as a callable module (torchao's quantize / dequantize operators must
    be registered before an int8 program can be read, hence this module's import)."""
    return torch.export.load(Path(path)).module()


def x86_quantizer(mode: Mode | Literal["qat"]) -> x86.X86InductorQuantizer:
    config = x86.get_default_x86_inductor_quantization_config(
        is_dynamic=mode == "dynamic", is_qat=mode == "qat"
    )
    return x86.X86InductorQuantizer().set_global(config)


def prepare_for_qat(network: nn.Module, example: torch.Tensor) -> torch.fx.GraphModule:
    """``network`` as a graph with int8 fake quantization that trains (QAT). Lightning
    calls ``.train()`` / ``.eval()``, which an exported graph refuses; here they switch
    its BatchNorm and dropout the way torchao's ``move_exported_model_to_*`` do."""
    exported = export_network(network, example, train=True).module()
    graph = prepare_qat_pt2e(exported, x86_quantizer("qat"))

    def train(self, mode: bool = True):
        (move_exported_model_to_train if mode else move_exported_model_to_eval)(self)
        self.training = mode
        return self

    graph.train = types.MethodType(train, graph)
    graph.eval = types.MethodType(lambda self: self.train(False), graph)
    return graph


def convert_qat(graph: torch.fx.GraphModule) -> nn.Module:
    """The int8 graph of a QAT-trained graph (its observers' scales, frozen)."""
    return drop_unused_tensors(move_exported_model_to_eval(converted(copy.deepcopy(graph))))


# the aten operator of each convolution torchao folds BatchNorm into
CONVOLUTIONS = {
    F.conv1d: torch.ops.aten.conv1d,
    F.conv2d: torch.ops.aten.conv2d,
    F.conv_transpose1d: torch.ops.aten.conv_transpose1d,
    F.conv_transpose2d: torch.ops.aten.conv_transpose2d,
}


def converted(prepared: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """``convert_pt2e``, tracing BatchNorm-folding patterns only for the convolutions the
    graph has (:func:`folding_only_present_convolutions`)."""
    with folding_only_present_convolutions():
        return convert_pt2e(prepared)


@contextlib.contextmanager
def folding_only_present_convolutions() -> Iterator[None]:
    """torchao's convert folds BatchNorm into every kind of convolution it knows (1-d, 2-d
    and their transposes), tracing 24 patterns with ``torch.export`` for each kind whether
    or not the graph has one: about 20 of a QAT test's 50 seconds on one core went to the
    three kinds a 2-d network lacks. A kind the graph lacks matches nothing, so skipping
    it leaves the same graph (the QAT test checks every convolution's BatchNorm is still
    folded). The patch lasts for one convert."""
    fold = qat_utils._fold_conv_bn_qat_helper

    def fold_if_present(module, conv_fn, example_inputs, is_cuda):
        present = {
            getattr(node.target, "overloadpacket", node.target)
            for node in module.graph.nodes
            if node.op == "call_function"
        }  # of the graph being folded: right even for a convert this patch was not made for
        if conv_fn in CONVOLUTIONS and CONVOLUTIONS[conv_fn] not in present:
            return module
        return fold(module, conv_fn, example_inputs, is_cuda)

    qat_utils._fold_conv_bn_qat_helper = fold_if_present
    try:
        yield
    finally:
        qat_utils._fold_conv_bn_qat_helper = fold


def lowered(module: nn.Module):
    """``module`` compiled by Inductor with its weights frozen into constants: where int8
    kernels (and fused float ones) replace the reference graph."""
    import torch._inductor.config as inductor

    inductor.freezing = True
    return torch.compile(module)


def save_program(module: nn.Module, example: torch.Tensor, path: str | Path) -> Path:
    """Write ``module`` as a ``torch.export`` program (``torch.export.load`` reads it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(export_network(module, example), path)
    return path
