"""One LightningModule per method, grouped by family, all on :class:`TransferModule`.

Every class is re-exported here by its short name, so ``class_path:
transferlab.methods.DANN`` works whatever folder the method lives in.
"""

from transferlab.methods.adaptation import (
    CDAN,
    DAN,
    DANN,
    JAN,
    MCC,
    MCD,
    SHOT,
    AdaptationModule,
    DeepCORAL,
    GradualSelfTraining,
    ImportanceWeighting,
)
from transferlab.methods.base import TransferModule
from transferlab.methods.compression import KnowledgeDistillation, QuantizationAwareTraining
from transferlab.methods.generative import DCGAN, VAE, VQVAE, ConditionalGAN, GenerativeModule
from transferlab.methods.meta import MAML, EpisodicModule, ProtoNet, SupportSetBaseline
from transferlab.methods.metric import (
    CenterLossEmbedding,
    MetricLearningModule,
    SiameseNetwork,
    SoftmaxEmbedding,
    TripletNetwork,
)
from transferlab.methods.self_supervised import SimCLR
from transferlab.methods.semi_supervised import (
    CoTraining,
    FixMatch,
    LabelPropagation,
    MeanTeacher,
    SelfTraining,
    SemiSupervisedModule,
)
from transferlab.methods.transfer import FeatureExtraction, FineTuning, SourceOnly

__all__ = [
    "DCGAN",
    "VAE",
    "VQVAE",
    "ConditionalGAN",
    "GenerativeModule",
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
    "KnowledgeDistillation",
    "LabelPropagation",
    "MAML",
    "MCC",
    "MCD",
    "MeanTeacher",
    "MetricLearningModule",
    "ProtoNet",
    "QuantizationAwareTraining",
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
