"""Turn one labeled dataset into a source/target pair with a chosen kind of shift.

* covariate shift: p(x) changes, p(y|x) does not -- biased sampling on an input feature;
* label (target) shift: p(y) changes, p(x|y) does not -- class priors resampled;
* concept shift: p(y|x) changes -- labels of some classes remapped in the target.

Functions return index sets or new labels, so they work on any dataset; the
``ShiftedDigits`` DataModule applies them to the offline digits.
"""

from __future__ import annotations

import numpy as np
import torch


def skewed_priors(num_classes: int, major_classes: list[int], major_share: float) -> np.ndarray:
    """Priors where ``major_classes`` share ``major_share`` of the mass, the rest the remainder."""
    if not 0 < major_share < 1:
        raise ValueError(f"major_share must be in (0, 1), got {major_share}")
    priors = np.full(num_classes, (1 - major_share) / (num_classes - len(major_classes)))
    priors[major_classes] = major_share / len(major_classes)
    return priors


def dirichlet_priors(num_classes: int, alpha: float, seed: int) -> np.ndarray:
    """Random priors from Dirichlet(alpha): small alpha, strong shift (Lipton et al., 2018)."""
    return np.random.default_rng(seed).dirichlet(np.full(num_classes, alpha))


def label_shift_sample(
    labels: torch.Tensor, priors: np.ndarray, size: int | None, seed: int
) -> torch.Tensor:
    """Indices (without replacement) whose class histogram follows ``priors``.

    ``size`` defaults to the largest sample the rarest-relative class allows.
    """
    labels_np = labels.numpy()
    counts = np.bincount(labels_np, minlength=len(priors))
    priors = np.asarray(priors, dtype=float) / np.sum(priors)
    most = int(np.min(np.where(priors > 0, counts / np.maximum(priors, 1e-12), np.inf)))
    size = min(size or most, most)
    per_class = np.floor(priors * size).astype(int)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels_np == c), per_class[c], replace=False)
        for c in range(len(priors))
    ]
    return torch.from_numpy(rng.permutation(np.concatenate(chosen))).long()


def covariate_shift_sample(
    feature: torch.Tensor, strength: float, size: int, seed: int
) -> torch.Tensor:
    """Indices sampled with probability ∝ ``exp(strength * z)``, z the standardised feature.

    E.g. ``feature`` = mean ink per image: a positive strength makes the target favour
    thick strokes, without touching how a stroke maps to a digit.
    """
    z = (feature - feature.mean()) / feature.std().clamp_min(1e-12)
    weights = torch.exp(strength * z.double())
    generator = torch.Generator().manual_seed(seed)
    return torch.multinomial(weights / weights.sum(), size, replacement=False, generator=generator)


def concept_shift(
    labels: torch.Tensor, mapping: dict[int, int], rate: float, seed: int
) -> torch.Tensor:
    """New labels: each example of a class in ``mapping`` is relabelled with prob. ``rate``."""
    generator = torch.Generator().manual_seed(seed)
    flip = torch.rand(len(labels), generator=generator) < rate
    new = labels.clone()
    for source_class, target_class in mapping.items():
        new[(labels == source_class) & flip] = target_class
    return new
