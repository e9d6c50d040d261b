"""A new domain-adaptation method in one file: entropy minimisation on the target.

It stands on ``AdaptationModule``, which already pairs source and target batches, runs the
classifier, weights the adaptation term by DANN's schedule and logs everything; the method
adds only its own term. Defining the class registers it by name, so a checkpoint it writes
can be rebuilt by ``transferlab.checkpoints.load_method``.
"""

import torch

from transferlab.losses.entropy import entropy
from transferlab.methods import AdaptationModule


class TargetEntropy(AdaptationModule):
    """Source cross-entropy + the mean entropy of the target predictions."""

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        term = entropy(target_logits.softmax(1)).mean()
        return self.adaptation_coeff * term, {"target_entropy": term}
