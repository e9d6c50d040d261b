"""Joint Adaptation Network (Long et al., ICML 2017): joint MMD of features and predictions."""

from __future__ import annotations

import torch

from transferlab.losses.mmd import joint_mmd
from transferlab.methods.adaptation.base import AdaptationModule


class JAN(AdaptationModule):
    """Source classification + JMMD over (features, softmax predictions).

    Matching the joint distribution of features and predicted labels aligns the domains
    class by class, which a marginal MMD cannot promise.

    Args:
        kernel_mul: ratio between neighbouring Gaussian bandwidths.
        num_kernels: number of Gaussian kernels per layer.
    """

    def __init__(self, kernel_mul: float = 2.0, num_kernels: int = 5, **kwargs) -> None:
        super().__init__(**kwargs)

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        distance = joint_mmd(
            [source_features, torch.softmax(source_logits, 1)],
            [target_features, torch.softmax(target_logits, 1)],
            self.hparams.kernel_mul,
            self.hparams.num_kernels,
        )
        return self.adaptation_coeff * distance, {"jmmd": distance}
