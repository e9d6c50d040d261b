"""Compression: move what a model knows into a smaller one (distillation)."""

from transferlab.methods.compression.distillation import KnowledgeDistillation

__all__ = ["KnowledgeDistillation"]
