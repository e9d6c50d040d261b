"""One LightningModule per method, all on :class:`TransferModule`."""

from transferlab.methods.adaptation import AdaptationModule
from transferlab.methods.base import TransferModule
from transferlab.methods.cdan import CDAN
from transferlab.methods.dan import DAN
from transferlab.methods.dann import DANN
from transferlab.methods.deep_coral import DeepCORAL
from transferlab.methods.feature_extraction import FeatureExtraction
from transferlab.methods.fine_tuning import FineTuning
from transferlab.methods.gradual_self_training import GradualSelfTraining
from transferlab.methods.importance_weighting import ImportanceWeighting
from transferlab.methods.jan import JAN
from transferlab.methods.mcc import MCC
from transferlab.methods.mcd import MCD
from transferlab.methods.shot import SHOT
from transferlab.methods.source_only import SourceOnly

__all__ = [
    "CDAN",
    "DAN",
    "DANN",
    "JAN",
    "MCC",
    "MCD",
    "SHOT",
    "AdaptationModule",
    "DeepCORAL",
    "FeatureExtraction",
    "FineTuning",
    "GradualSelfTraining",
    "ImportanceWeighting",
    "SourceOnly",
    "TransferModule",
]
