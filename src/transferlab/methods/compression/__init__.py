"""Compression while training: distillation into a smaller model, quantization-aware
training (pruning trains with ``transferlab.callbacks.GlobalMagnitudePruning``)."""

from transferlab.methods.compression.distillation import KnowledgeDistillation
from transferlab.methods.compression.qat import QuantizationAwareTraining

__all__ = ["KnowledgeDistillation", "QuantizationAwareTraining"]
