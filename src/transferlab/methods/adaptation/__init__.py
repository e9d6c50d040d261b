"""Domain adaptation: labeled source, unlabeled target. ``base.AdaptationModule`` holds
the joint forward and the source loss; each method adds one alignment term or its own loop."""

from transferlab.methods.adaptation.base import AdaptationModule
from transferlab.methods.adaptation.cdan import CDAN
from transferlab.methods.adaptation.dan import DAN
from transferlab.methods.adaptation.dann import DANN
from transferlab.methods.adaptation.deep_coral import DeepCORAL
from transferlab.methods.adaptation.gradual_self_training import GradualSelfTraining
from transferlab.methods.adaptation.importance_weighting import ImportanceWeighting
from transferlab.methods.adaptation.jan import JAN
from transferlab.methods.adaptation.mcc import MCC
from transferlab.methods.adaptation.mcd import MCD
from transferlab.methods.adaptation.shot import SHOT

__all__ = [
    "AdaptationModule",
    "CDAN",
    "DAN",
    "DANN",
    "DeepCORAL",
    "GradualSelfTraining",
    "ImportanceWeighting",
    "JAN",
    "MCC",
    "MCD",
    "SHOT",
]
