"""The layers every method stands on.

* :class:`MethodModule` (``method.py``): the thin base of every method -- backbone,
  optimisation, progress, data checks, checkpoint metadata and RNG state;
* :class:`TransferModule` (``classifier.py``): the classifier layer -- head, accuracy per
  domain, model selection, prediction, the deployable network.

Generative, episodic, metric and self-supervised families stand on the thin base; the
transfer, adaptation, semi-supervised and compression families on the classifier layer.
"""

from transferlab.methods.base.classifier import TransferModule, classifier_head
from transferlab.methods.base.method import MethodModule, frozen_copy

__all__ = ["MethodModule", "TransferModule", "classifier_head", "frozen_copy"]
