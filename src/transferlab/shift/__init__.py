"""Domain shift: simulate it, detect it, estimate and correct label shift."""

from transferlab.shift.detect import classifier_two_sample_test, mmd_permutation_test
from transferlab.shift.label_shift import bbse_target_priors, reweight_predictions
from transferlab.shift.simulate import (
    concept_shift,
    covariate_shift_sample,
    dirichlet_priors,
    label_shift_sample,
    skewed_priors,
)

__all__ = [
    "bbse_target_priors",
    "classifier_two_sample_test",
    "concept_shift",
    "covariate_shift_sample",
    "dirichlet_priors",
    "label_shift_sample",
    "mmd_permutation_test",
    "reweight_predictions",
    "skewed_priors",
]
