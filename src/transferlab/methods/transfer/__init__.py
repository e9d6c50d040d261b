"""Reuse a trained network as it is or with light retraining: no target adaptation."""

from transferlab.methods.transfer.feature_extraction import FeatureExtraction
from transferlab.methods.transfer.fine_tuning import FineTuning
from transferlab.methods.transfer.lora import LoRA
from transferlab.methods.transfer.source_only import SourceOnly

__all__ = [
    "FeatureExtraction",
    "FineTuning",
    "LoRA",
    "SourceOnly",
]
