"""Deep Adaptation Network (Long et al., ICML 2015): multi-kernel MMD on features."""

from __future__ import annotations

from transferlab.losses.mmd import mmd
from transferlab.methods.adaptation.base import AdaptationModule


class DAN(AdaptationModule):
    """Source classification + multi-kernel MMD between source and target features.

    The MMD term is faded in with :attr:`adaptation_coeff`. The original DAN also matches
    the classifier layers; here, with a single linear head, the bottleneck features carry
    the alignment (JAN adds the predictions).

    Args:
        kernel_mul: ratio between neighbouring Gaussian bandwidths.
        num_kernels: number of Gaussian kernels.
    """

    def __init__(self, kernel_mul: float = 2.0, num_kernels: int = 5, **kwargs) -> None:
        super().__init__(**kwargs)

    def adaptation_loss(self, source_features, target_features, source_logits, target_logits):
        distance = mmd(
            source_features, target_features, self.hparams.kernel_mul, self.hparams.num_kernels
        )
        return self.adaptation_coeff * distance, {"mmd": distance}
