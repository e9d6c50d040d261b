"""Label-free model selection: score a checkpoint without target labels.

Picking the epoch (or the hyper-parameters) on target test labels is the most common way
domain-adaptation numbers are inflated. These validators use only what a deployment would
have: labeled source validation data and unlabeled target validation images.

Every score is "higher is better", so one ``ModelCheckpoint(mode="max")`` serves all.
:data:`VALIDATORS` is the one list of names: each entry says which protocol name a number
selected by it carries, and scores a :class:`~transferlab.evaluation.selection.Outputs`
of one validation epoch (``None`` for ``source_acc``, which is an accuracy, not a score,
and for ``last_epoch``, which scores the epoch itself).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from transferlab.losses.entropy import entropy
from transferlab.registry import Registry

VALIDATORS = Registry("validator")
VALIDATORS.add("source_acc", None, protocol="source_val_acc")
# no selection at all: the last epoch's checkpoint, what a user without a labeled
# validation split keeps (few-shot peers such as SetFit choose nothing either)
VALIDATORS.add("last_epoch", None, protocol="last_epoch")


def information_maximization(probabilities: torch.Tensor) -> torch.Tensor:
    """IM score ``H(mean p) - mean H(p)``: confident on each example, diverse overall.

    Ranges from 0 (all predictions uniform, or all the same class) to ``log(classes)``.
    """
    return entropy(probabilities.mean(dim=0, keepdim=True))[0] - entropy(probabilities).mean()


def soft_neighborhood_density(
    probabilities: torch.Tensor, temperature: float = 0.05
) -> torch.Tensor:
    """SND (Saito et al., ICCV 2021): entropy of each example's soft neighbourhood.

    Target predictions that form dense clusters (neighbours agree) give a high entropy of the
    similarity distribution; scattered ones give a low one.
    """
    normalized = torch.nn.functional.normalize(probabilities, dim=1)
    similarity = normalized @ normalized.T
    similarity.fill_diagonal_(float("-inf"))
    neighbourhood = torch.softmax(similarity / temperature, dim=1)
    return entropy(neighbourhood).mean()


def domain_density_ratio(
    source_features: np.ndarray, target_features: np.ndarray, clip: float = 20.0
) -> np.ndarray:
    """Importance weights ``p_t(x) / p_s(x)`` at the source points, from a domain classifier.

    A logistic regression tells target (1) from source (0); Bayes' rule turns its odds into
    the density ratio, corrected for the two sample sizes: ``(n_s / n_t) * d / (1 - d)``.
    """
    features = np.concatenate([source_features, target_features])
    domains = np.r_[np.zeros(len(source_features)), np.ones(len(target_features))]
    classifier = LogisticRegression(C=1.0, max_iter=1000).fit(features, domains)
    target_probability = classifier.predict_proba(source_features)[:, 1].clip(1e-6, 1 - 1e-6)
    ratio = (
        len(source_features) / len(target_features) * target_probability / (1 - target_probability)
    )
    return ratio.clip(0, clip)


def deep_embedded_validation(
    source_features: np.ndarray, target_features: np.ndarray, source_losses: np.ndarray
) -> float:
    """DEV (You et al., ICML 2019): importance-weighted source validation loss with a
    control variate; returned negated, so that higher is better."""
    weights = domain_density_ratio(source_features, target_features)
    weighted = weights * source_losses
    variance = np.var(weights, ddof=1)
    eta = -np.cov(weighted, weights)[0, 1] / variance if variance > 0 else 0.0
    risk = weighted.mean() + eta * weights.mean() - eta
    return -float(risk)


def _im(outputs) -> float:
    return float(information_maximization(outputs.target_probabilities()))


def _snd(outputs) -> float:
    return float(soft_neighborhood_density(outputs.target_probabilities()))


def _dev(outputs) -> float:
    return deep_embedded_validation(
        outputs.numpy("source", "features"),
        outputs.numpy("target", "features"),
        outputs.numpy("source", "losses"),
    )


VALIDATORS.add("im", _im, protocol="im_target_val")
VALIDATORS.add("snd", _snd, protocol="snd_target_val")
VALIDATORS.add("dev", _dev, protocol="dev_weighted_source_val")
# the validators that need no label at all, reported beside any selection
LABEL_FREE_VALIDATORS = tuple(e.name for e in VALIDATORS if e.target is not None)
ValidatorName = Literal[VALIDATORS.names()]  # the model's ``validator`` argument
