"""Minimum Class Confusion (Jin et al., ECCV 2020)."""

from __future__ import annotations

from transferlab.losses.class_confusion import minimum_class_confusion
from transferlab.methods.adaptation.base import AdaptationModule


class MCC(AdaptationModule):
    """Source classification + the class-confusion penalty on unlabeled target predictions.

    No discriminator, no feature distance: the target predictions are pushed to be
    confident *and* not to mix classes, which works on its own or on top of other methods.

    Args:
        temperature: softmax temperature of the confusion matrix (2.5 in the paper).
    """

    def __init__(self, temperature: float = 2.5, **kwargs) -> None:
        super().__init__(**kwargs)

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        confusion = minimum_class_confusion(target_logits, self.hparams.temperature)
        return confusion, {"class_confusion": confusion}
