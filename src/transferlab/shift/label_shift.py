"""Black-box shift estimation (Lipton et al., ICML 2018) and prior correction."""

from __future__ import annotations

import numpy as np


def bbse_target_priors(
    source_predictions: np.ndarray,
    source_labels: np.ndarray,
    target_predictions: np.ndarray,
    num_classes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate target class priors from a source classifier's hard predictions.

    Under label shift, ``q(ŷ) = Σ_y C[ŷ, y] w_y`` with ``C`` the joint confusion matrix
    ``p_s(ŷ, y)`` on held-out source data and ``w = q(y) / p(y)``. Solving for ``w`` needs
    no target labels. Returns (target priors, weights ``w``), weights clipped at 0.
    """
    joint = np.zeros((num_classes, num_classes))
    np.add.at(joint, (source_predictions, source_labels), 1.0)
    joint /= len(source_labels)
    predicted = np.bincount(target_predictions, minlength=num_classes) / len(target_predictions)
    weights = np.linalg.lstsq(joint, predicted, rcond=None)[0].clip(min=0)
    source_priors = np.bincount(source_labels, minlength=num_classes) / len(source_labels)
    target_priors = weights * source_priors
    return target_priors / target_priors.sum(), weights


def reweight_predictions(probabilities: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``p_t(y|x) ∝ w_y p_s(y|x)``: the Bayes-optimal correction for known label shift."""
    adjusted = probabilities * weights[None, :]
    return adjusted / adjusted.sum(axis=1, keepdims=True).clip(min=1e-12)
