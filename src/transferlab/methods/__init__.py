"""One LightningModule per method, grouped by family.

Every method stands on :class:`MethodModule` (the thin base: backbone, optimisation,
checkpoint metadata); the classifying ones on :class:`TransferModule` (head, accuracies,
model selection). Every class is re-exported here by its short name, so ``class_path:
transferlab.methods.DANN`` works whatever folder the method lives in; importing this
package registers every method in :data:`transferlab.registry.METHODS`, and ``__all__``
is that registry's names plus the families' shared bases.
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
from transferlab.methods.base import MethodModule, TransferModule
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
from transferlab.methods.transfer import FeatureExtraction, FineTuning, LoRA, SourceOnly
from transferlab.registry import METHODS

FAMILY_BASES = [
    "MethodModule",
    "TransferModule",
    "AdaptationModule",
    "SemiSupervisedModule",
    "GenerativeModule",
    "EpisodicModule",
    "MetricLearningModule",
]
__all__ = [
    *FAMILY_BASES,
    *(e.name for e in METHODS if e.target.__module__.startswith("transferlab.")),
]
