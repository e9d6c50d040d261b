"""Deep CORAL (Sun & Saenko, ECCV-W 2016): align feature covariances."""

from __future__ import annotations

from transferlab.losses.coral import coral
from transferlab.methods.adaptation.base import AdaptationModule


class DeepCORAL(AdaptationModule):
    """Source classification + CORAL distance between source and target feature covariances.

    No schedule in the paper: the term acts from the first step (``adaptation_weight`` sets
    its size, the paper picks it so both losses are of the same order at the end).
    """

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        distance = coral(source_features, target_features)
        return distance, {"coral": distance}
