"""One LightningModule per method, all on :class:`TransferModule`."""

from transferlab.methods.base import TransferModule
from transferlab.methods.dann import DANN
from transferlab.methods.feature_extraction import FeatureExtraction
from transferlab.methods.fine_tuning import FineTuning
from transferlab.methods.source_only import SourceOnly

__all__ = ["DANN", "FeatureExtraction", "FineTuning", "SourceOnly", "TransferModule"]
