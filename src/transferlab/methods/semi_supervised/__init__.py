"""Semi-supervised learning: a few labels and an unlabeled pool of the same domain.
``base.SemiSupervisedModule`` holds the labeled loss, views, warm-up and reporting."""

from transferlab.methods.semi_supervised.base import SemiSupervisedModule
from transferlab.methods.semi_supervised.co_training import CoTraining
from transferlab.methods.semi_supervised.fixmatch import FixMatch
from transferlab.methods.semi_supervised.label_propagation import LabelPropagation
from transferlab.methods.semi_supervised.mean_teacher import MeanTeacher
from transferlab.methods.semi_supervised.self_training import SelfTraining

__all__ = [
    "CoTraining",
    "FixMatch",
    "LabelPropagation",
    "MeanTeacher",
    "SelfTraining",
    "SemiSupervisedModule",
]
