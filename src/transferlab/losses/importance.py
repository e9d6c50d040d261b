"""Importance weights for source examples: how target-like is each one?

Under covariate shift the target risk equals the source risk weighted by the density
ratio ``w(x) = p_t(x) / p_s(x)``. Two estimators:

* :func:`kernel_mean_matching` (Huang et al., NeurIPS 2006): weights that make the
  weighted source mean embedding (in an RKHS) match the target's, by a quadratic program;
* :func:`classifier_density_ratio`: the odds of a source-vs-target classifier, by Bayes'
  rule ``w = (n_s / n_t) · d / (1 - d)``.
"""

from __future__ import annotations

import torch

from transferlab.losses.mmd import gaussian_kernels


def kernel_mean_matching(
    source: torch.Tensor,
    target: torch.Tensor,
    bound: float = 10.0,
    epsilon: float | None = None,
    bandwidth: float | None = None,
    iterations: int = 300,
) -> torch.Tensor:
    """KMM weights for the source rows, solved by projected gradient descent.

    Minimises ``½ βᵀKβ − κᵀβ`` with ``K = k(x_s, x_s)``,
    ``κ_i = (n_s / n_t) Σ_j k(x_si, x_tj)``, subject to ``0 ≤ β ≤ bound`` and
    ``|Σβ − n_s| ≤ n_s ε`` (``ε`` defaults to ``(√n_s − 1) / √n_s`` as in the paper).
    """
    n_s, n_t = len(source), len(target)
    kernel = gaussian_kernels(source.double(), target.double(), num_kernels=1, bandwidth=bandwidth)
    k_ss, k_st = kernel[:n_s, :n_s], kernel[:n_s, n_s:]
    kappa = (n_s / n_t) * k_st.sum(dim=1)
    epsilon = (n_s**0.5 - 1) / n_s**0.5 if epsilon is None else epsilon
    step = 1.0 / torch.linalg.eigvalsh(k_ss).max().clamp_min(1e-12)
    beta = torch.ones(n_s, dtype=torch.float64)
    low, high = n_s * (1 - epsilon), n_s * (1 + epsilon)
    for _ in range(iterations):
        beta = (beta - step * (k_ss @ beta - kappa)).clamp(0, bound)
        total = beta.sum()
        if total < low or total > high:  # rescale into the band, then respect the box again
            beta = (beta * (low if total < low else high) / total.clamp_min(1e-12)).clamp(0, bound)
    return beta.to(source.dtype)


def classifier_density_ratio(
    target_logits_at_source: torch.Tensor, n_source: int, n_target: int, clip: float = 10.0
) -> torch.Tensor:
    """``(n_s / n_t) · d / (1 − d)`` from a domain classifier's target logit ``log d/(1−d)``."""
    return ((n_source / n_target) * torch.exp(target_logits_at_source)).clamp(0, clip)
