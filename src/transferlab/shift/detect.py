"""Two-sample tests: do two samples (of features) come from the same distribution?"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression

from transferlab.losses.mmd import gaussian_kernels, mmd_from_kernel


def mmd_permutation_test(
    x: torch.Tensor, y: torch.Tensor, permutations: int = 200, seed: int = 0
) -> tuple[float, float]:
    """Kernel two-sample test (Gretton et al., 2012) with a permutation p-value.

    The kernel is computed once on the pooled sample; each permutation only relabels rows,
    so 200 permutations of a few thousand points take well under a second.
    """
    kernel = gaussian_kernels(x.double(), y.double())
    n = len(x)
    observed = mmd_from_kernel(kernel, n).item()
    generator = torch.Generator().manual_seed(seed)
    exceed = 0
    for _ in range(permutations):
        order = torch.randperm(len(kernel), generator=generator)
        exceed += mmd_from_kernel(kernel[order][:, order], n).item() >= observed
    return observed, (exceed + 1) / (permutations + 1)


def classifier_two_sample_test(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """C2ST (Lopez-Paz & Oquab, 2017): held-out accuracy of a classifier telling x from y.

    Returns the accuracy and the one-sided binomial p-value against chance (0.5 with
    balanced samples, which this function enforces by subsampling the larger one).
    """
    rng = np.random.default_rng(seed)
    n = min(len(x), len(y))
    x, y = x[rng.permutation(len(x))[:n]], y[rng.permutation(len(y))[:n]]
    features = np.concatenate([x, y])
    domains = np.r_[np.zeros(n), np.ones(n)]
    order = rng.permutation(2 * n)
    train, test = order[:n], order[n:]
    classifier = LogisticRegression(max_iter=2000).fit(features[train], domains[train])
    correct = int((classifier.predict(features[test]) == domains[test]).sum())
    p_value = binomtest(correct, len(test), 0.5, alternative="greater").pvalue
    return correct / len(test), float(p_value)
