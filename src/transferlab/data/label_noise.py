"""Label noise injection, to measure how a method copes with wrong labels."""

from __future__ import annotations

from typing import Literal

import torch

NoiseKind = Literal["symmetric", "pair"]


def noisy_labels(
    labels: torch.Tensor,
    rate: float,
    num_classes: int,
    kind: NoiseKind = "symmetric",
    seed: int = 0,
) -> torch.Tensor:
    """Flip exactly ``round(rate * n)`` labels, chosen at random.

    ``symmetric``: a flipped label becomes one of the *other* classes uniformly.
    ``pair``: class ``c`` becomes ``c + 1`` (mod the class count), the structured noise of
    Han et al. (Co-teaching, 2018), harder because the wrong label is consistent.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"label noise rate must be in [0, 1), got {rate}")
    if kind not in ("symmetric", "pair"):
        raise ValueError(f"unknown label noise {kind!r}; choose symmetric or pair")
    generator = torch.Generator().manual_seed(seed)
    flipped = torch.randperm(len(labels), generator=generator)[: round(rate * len(labels))]
    noisy = labels.clone()
    if kind == "pair":
        noisy[flipped] = (labels[flipped] + 1) % num_classes
    else:
        shift = torch.randint(1, num_classes, (len(flipped),), generator=generator)
        noisy[flipped] = (labels[flipped] + shift) % num_classes
    return noisy
