"""One LightningModule per method, all on :class:`TransferModule`."""

from transferlab.methods.adaptation import AdaptationModule
from transferlab.methods.base import TransferModule
from transferlab.methods.cdan import CDAN
from transferlab.methods.center_loss import CenterLossEmbedding, SoftmaxEmbedding
from transferlab.methods.co_training import CoTraining
from transferlab.methods.dan import DAN
from transferlab.methods.dann import DANN
from transferlab.methods.deep_coral import DeepCORAL
from transferlab.methods.episodic import EpisodicModule
from transferlab.methods.feature_extraction import FeatureExtraction
from transferlab.methods.fine_tuning import FineTuning
from transferlab.methods.fixmatch import FixMatch
from transferlab.methods.gradual_self_training import GradualSelfTraining
from transferlab.methods.importance_weighting import ImportanceWeighting
from transferlab.methods.jan import JAN
from transferlab.methods.label_propagation import LabelPropagation
from transferlab.methods.maml import MAML, SupportSetBaseline
from transferlab.methods.mcc import MCC
from transferlab.methods.mcd import MCD
from transferlab.methods.mean_teacher import MeanTeacher
from transferlab.methods.metric_learning import MetricLearningModule
from transferlab.methods.protonet import ProtoNet
from transferlab.methods.self_training import SelfTraining
from transferlab.methods.semi_supervised import SemiSupervisedModule
from transferlab.methods.shot import SHOT
from transferlab.methods.siamese import SiameseNetwork
from transferlab.methods.simclr import SimCLR
from transferlab.methods.source_only import SourceOnly
from transferlab.methods.triplet import TripletNetwork

__all__ = [
    "AdaptationModule",
    "CDAN",
    "CenterLossEmbedding",
    "CoTraining",
    "DAN",
    "DANN",
    "DeepCORAL",
    "EpisodicModule",
    "FeatureExtraction",
    "FineTuning",
    "FixMatch",
    "GradualSelfTraining",
    "ImportanceWeighting",
    "JAN",
    "LabelPropagation",
    "MAML",
    "MCC",
    "MCD",
    "MeanTeacher",
    "MetricLearningModule",
    "ProtoNet",
    "SHOT",
    "SelfTraining",
    "SemiSupervisedModule",
    "SiameseNetwork",
    "SimCLR",
    "SoftmaxEmbedding",
    "SourceOnly",
    "SupportSetBaseline",
    "TransferModule",
    "TripletNetwork",
]
