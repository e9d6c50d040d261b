"""Quantization-aware training (QAT): fine-tune a classifier through int8 fake quantization,
so that its weights adapt to the rounding they will meet once converted to int8."""

from __future__ import annotations

import torch
from torch import nn

from transferlab.methods.transfer.source_only import SourceOnly


class QuantizationAwareTraining(SourceOnly):
    """Source-only training of the network as torchao's PT2E QAT graph.

    At setup the deployable network (backbone + head, usually ``init_from`` a trained
    checkpoint) is exported and prepared with the X86 Inductor quantizer's QAT config:
    every convolution and linear layer then trains through fake-quantized weights and
    activations, with BatchNorm folded in as it will be at inference. The graph replaces
    backbone and head, so the optimizer, the checkpoint and evaluation all see it. Its
    checkpoint rebuilds the graph before loading (``input_size`` is stored), and
    ``transferlab export --format torch_export`` converts it to the int8 program.

    Args:
        input_size: side of the square input images the graph is traced at (the batch
            size stays dynamic).
    """

    def __init__(self, input_size: int = 28, **kwargs) -> None:
        super().__init__(**kwargs)
        example = torch.zeros(2, 3, input_size, input_size)
        from transferlab.deploy.quantize import prepare_for_qat  # torchao: 1 s to import

        self.qat_network = prepare_for_qat(nn.Sequential(self.backbone, self.head), example)
        del self.backbone, self.head  # their weights now live in the graph
        self.backbone = nn.Identity()  # what the base's parameter groups and hooks look at
        self.head = nn.Identity()

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The graph's logits: the network is one graph, with no separate features."""
        return self.qat_network(images)

    def parameter_groups(self) -> list[dict]:
        return [{"params": list(self.qat_network.parameters()), "name": "head"}]

    def deployable_network(self) -> nn.Module:
        """The int8 graph converted from the trained fake-quantized one."""
        from transferlab.deploy.quantize import convert_qat

        return convert_qat(self.qat_network)
