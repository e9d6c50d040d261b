"""A source/target pair cut from one offline digit domain, with a shift you choose."""

from __future__ import annotations

from typing import Literal

import torch

from transferlab.data.digit_domains import OfflineDigitDomain, TensorDomainDataModule
from transferlab.data.digits import load_digit_domain
from transferlab.shift.simulate import (
    concept_shift,
    covariate_shift_sample,
    dirichlet_priors,
    label_shift_sample,
)

ShiftKind = Literal["none", "covariate", "label", "concept"]


class ShiftedDigits(TensorDomainDataModule):
    """Split one domain in two disjoint halves; shift the second half and call it target.

    Args:
        base: the offline domain to split (``mnist``, ``mnistm`` or ``digits``).
        shift: ``none`` (a control: both halves alike), ``covariate`` (the target favours
            thick strokes: sampling ∝ exp(strength · standardised ink)), ``label`` (target
            class priors from ``target_priors`` or Dirichlet(``dirichlet_alpha``)) or
            ``concept`` (classes relabelled by ``concept_mapping`` at ``concept_rate``).
        target_priors: explicit target class priors for the label shift.
        dirichlet_alpha: draw target priors from a Dirichlet instead.
        covariate_strength: how strongly the covariate-shifted target favours thick strokes.
        concept_mapping: ``{from_class: to_class}`` for the concept shift.
        concept_rate: share of each mapped class that is relabelled.
        shift_seed: seed of the halves and of the shift.
    """

    def __init__(
        self,
        base: OfflineDigitDomain = "mnist",
        shift: ShiftKind = "label",
        target_priors: list[float] | None = None,
        dirichlet_alpha: float = 1.0,
        covariate_strength: float = 1.5,
        concept_mapping: dict[int, int] | None = None,
        concept_rate: float = 1.0,
        shift_seed: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(source=f"{base}", target=f"{base}_{shift}_shifted", **kwargs)
        self.base, self.shift = base, shift
        self.target_priors, self.dirichlet_alpha = target_priors, dirichlet_alpha
        self.covariate_strength = covariate_strength
        self.concept_mapping, self.concept_rate = concept_mapping or {3: 8, 8: 3}, concept_rate
        self.shift_seed = shift_seed

    def load_tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels = load_digit_domain(self.base)
        order = torch.randperm(
            len(labels), generator=torch.Generator().manual_seed(self.shift_seed)
        )
        half = len(labels) // 2
        if name == self.source:
            return images[order[:half]], labels[order[:half]]
        images, labels = images[order[half:]], labels[order[half:]]
        if self.shift == "label":
            priors = self.target_priors or dirichlet_priors(
                10, self.dirichlet_alpha, self.shift_seed
            )
            chosen = label_shift_sample(labels, priors, size=None, seed=self.shift_seed)
        elif self.shift == "covariate":
            ink = images.float().mean(dim=(1, 2, 3))
            chosen = covariate_shift_sample(
                ink, self.covariate_strength, len(labels) // 2, self.shift_seed
            )
        else:
            chosen = torch.arange(len(labels))
        if self.shift == "concept":
            labels = concept_shift(labels, self.concept_mapping, self.concept_rate, self.shift_seed)
        return images[chosen], labels[chosen]
