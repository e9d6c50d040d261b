"""Maximum mean discrepancy with a family of Gaussian kernels (DAN) and its joint form (JAN).

MMD² between samples X and Y under kernel k is
``E k(x, x') + E k(y, y') - 2 E k(x, y)``; zero when the distributions agree (for a
characteristic kernel). DAN (Long et al., 2015) sums several Gaussian kernels whose
bandwidths are spread around the mean pairwise distance, so that no single bandwidth has
to be chosen. JAN (Long et al., 2017) multiplies the kernels of several layers (features
and predictions), matching the *joint* distribution of those layers.
"""

from __future__ import annotations

import torch


def gaussian_kernels(
    x: torch.Tensor,
    y: torch.Tensor,
    kernel_mul: float = 2.0,
    num_kernels: int = 5,
    bandwidth: float | None = None,
) -> torch.Tensor:
    """Sum of Gaussian kernels on the pooled sample ``[x; y]`` -> (n+m) x (n+m) matrix.

    Bandwidths are ``base * kernel_mul**(k - num_kernels // 2)``, with ``base`` the mean
    squared pairwise distance unless given.
    """
    joint = torch.cat([x, y]).flatten(1)
    squared = torch.cdist(joint, joint).pow(2)
    if bandwidth is None:
        n = len(joint)
        bandwidth = squared.detach().sum().item() / max(n * n - n, 1)
    bandwidth = max(bandwidth, 1e-12)
    scales = [bandwidth * kernel_mul ** (k - num_kernels // 2) for k in range(num_kernels)]
    return sum(torch.exp(-squared / scale) for scale in scales)


def mmd_from_kernel(kernel: torch.Tensor, n_x: int) -> torch.Tensor:
    """Biased MMD² estimate from a kernel matrix over ``[x; y]`` (first ``n_x`` rows are x)."""
    xx = kernel[:n_x, :n_x].mean()
    yy = kernel[n_x:, n_x:].mean()
    xy = kernel[:n_x, n_x:].mean()
    return xx + yy - 2 * xy


def mmd(
    x: torch.Tensor,
    y: torch.Tensor,
    kernel_mul: float = 2.0,
    num_kernels: int = 5,
    bandwidth: float | None = None,
) -> torch.Tensor:
    """Multi-kernel MMD² between samples ``x`` and ``y`` (rows are samples)."""
    return mmd_from_kernel(gaussian_kernels(x, y, kernel_mul, num_kernels, bandwidth), len(x))


def joint_mmd(
    xs: list[torch.Tensor],
    ys: list[torch.Tensor],
    kernel_mul: float = 2.0,
    num_kernels: int = 5,
) -> torch.Tensor:
    """JMMD²: MMD² under the product of per-layer kernels (e.g. features and softmax)."""
    if len(xs) != len(ys) or not xs:
        raise ValueError("joint_mmd needs the same, non-zero number of layers for x and y")
    kernel = None
    for x, y in zip(xs, ys, strict=True):
        layer = gaussian_kernels(x, y, kernel_mul, num_kernels)
        kernel = layer if kernel is None else kernel * layer
    return mmd_from_kernel(kernel, len(xs[0]))
