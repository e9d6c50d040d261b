"""Self-supervised pre-training: features from unlabeled images, for later transfer."""

from transferlab.methods.self_supervised.simclr import SimCLR

__all__ = [
    "SimCLR",
]
