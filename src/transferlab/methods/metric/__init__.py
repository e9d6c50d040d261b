"""Metric learning: an embedding where distance means similarity. ``base.MetricLearningModule``
holds the embedding head and the retrieval evaluation."""

from transferlab.methods.metric.base import MetricLearningModule
from transferlab.methods.metric.center_loss import CenterLossEmbedding, SoftmaxEmbedding
from transferlab.methods.metric.siamese import SiameseNetwork
from transferlab.methods.metric.triplet import TripletNetwork

__all__ = [
    "CenterLossEmbedding",
    "MetricLearningModule",
    "SiameseNetwork",
    "SoftmaxEmbedding",
    "TripletNetwork",
]
