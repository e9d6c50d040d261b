"""The pieces of VAE, VQ-VAE and GAN objectives, as plain functions (no Lightning).

All image log-likelihoods are in nats, summed over pixels and averaged over the batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per example, in closed form:
    ``-0.5 * sum(1 + logvar - mu^2 - exp(logvar))``."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, samples: int = 1) -> torch.Tensor:
    """``mu + sigma * eps`` with ``eps ~ N(0, I)``: a sample that gradients flow through.
    With ``samples > 1`` the draws are stacked first: ``(samples, N, D)``."""
    eps = torch.randn((samples, *mu.shape), device=mu.device, dtype=mu.dtype)
    drawn = mu + (0.5 * logvar).exp() * eps
    return drawn[0] if samples == 1 else drawn


def bernoulli_log_likelihood(logits: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """log p(x | z) per example for pixel intensities in [0, 1] (the decoder's logits)."""
    return -F.binary_cross_entropy_with_logits(logits, pixels, reduction="none").flatten(1).sum(1)


def gaussian_log_likelihood(
    mean: torch.Tensor, log_scale: torch.Tensor, pixels: torch.Tensor
) -> torch.Tensor:
    """log N(x; mean, exp(log_scale)^2) per example, one learned scale for all pixels."""
    variance = (2 * log_scale).exp()
    per_pixel = -0.5 * ((pixels - mean).pow(2) / variance + math.log(2 * math.pi)) - log_scale
    return per_pixel.flatten(1).sum(1)


def importance_weighted_bound(
    log_likelihood: torch.Tensor, z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> torch.Tensor:
    """log (1/k) sum_k p(x | z_k) p(z_k) / q(z_k | x) per example (Burda et al. 2016):
    ``log_likelihood`` and ``z`` stacked over the k samples, ``(k, N)`` and ``(k, N, D)``."""
    log_prior = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
    log_posterior = -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)
    weights = log_likelihood + log_prior - log_posterior
    return torch.logsumexp(weights, dim=0) - math.log(len(weights))


def nearest_code(latents: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest codebook vector (Euclidean) for every latent vector."""
    return torch.cdist(latents, codebook).argmin(dim=1)


def vector_quantize(latents: torch.Tensor, codebook: torch.Tensor, beta: float):
    """VQ-VAE's bottleneck (van den Oord et al. 2017) on latent vectors ``(M, D)``.

    Returns the quantized vectors with straight-through gradients (the forward value is
    z_q, the gradient reaches z_e unchanged), the code indices, the codebook loss
    ``||sg[z_e] - z_q||^2`` and the commitment loss ``beta * ||z_e - sg[z_q]||^2``
    (squared distances per vector, averaged over vectors)."""
    codes = nearest_code(latents.detach(), codebook)
    quantized = codebook[codes]
    codebook_loss = (latents.detach() - quantized).pow(2).sum(1).mean()
    commitment = beta * (latents - quantized.detach()).pow(2).sum(1).mean()
    straight_through = latents + (quantized - latents).detach()
    return straight_through, codes, codebook_loss, commitment


def codebook_usage(codes: torch.Tensor, size: int) -> tuple[float, int]:
    """Perplexity of the code histogram (exp of its entropy: ``size`` when every code is
    used equally, 1 when one code takes everything) and the number of unused codes."""
    counts = torch.bincount(codes.flatten(), minlength=size).float()
    share = counts / counts.sum()
    entropy = -(share[share > 0] * share[share > 0].log()).sum()
    return float(entropy.exp()), int((counts == 0).sum())


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))]: the discriminator's side of the GAN game."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -E[log D(G(z))] (Goodfellow et al. 2014, §3)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
