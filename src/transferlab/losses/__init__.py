"""Losses and layers as plain functions and small modules; nothing here knows Lightning."""

from transferlab.losses.domain_adversarial import domain_adversarial_loss
from transferlab.losses.gradient_reversal import GradientReversal, gradient_reversal

__all__ = ["GradientReversal", "domain_adversarial_loss", "gradient_reversal"]
