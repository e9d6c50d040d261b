"""Variational autoencoder (Kingma & Welling, 2014)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from transferlab.losses.generative import (
    bernoulli_log_likelihood,
    gaussian_kl,
    gaussian_log_likelihood,
    importance_weighted_bound,
    reparameterize,
)
from transferlab.methods.generative.base import GenerativeModule, from_unit, to_unit, up_decoder


class VAE(GenerativeModule):
    """Encoder q(z|x) = N(mu(x), diag sigma^2(x)) on the backbone's features, decoder p(x|z),
    loss = -E_q[log p(x|z)] + KL(q(z|x) || N(0, I)) (the negative ELBO, in nats per image),
    one reparameterised sample per image.

    Args:
        latent_dim: size of z.
        likelihood: ``bernoulli`` (pixel intensities as probabilities; the decoder gives
            logits) or ``gaussian`` (a learned scale shared by all pixels).
        importance_samples: k of the importance-weighted bound reported at test
            (``test/iw_nll``, a tighter upper bound on -log p(x) than the negative ELBO).
    """

    def __init__(
        self,
        latent_dim: int = 16,
        likelihood: Literal["bernoulli", "gaussian"] = "bernoulli",
        importance_samples: int = 50,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        features = self.backbone.num_features
        self.to_mu, self.to_logvar = (
            nn.Linear(features, latent_dim),
            nn.Linear(features, latent_dim),
        )
        self.decoder = up_decoder(latent_dim, self.image_size)
        self.log_scale = nn.Parameter(torch.zeros(()))  # used by the Gaussian likelihood only

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(images)
        return self.to_mu(features), self.to_logvar(features).clamp(-12, 8)

    def log_likelihood(self, decoded: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
        if self.hparams.likelihood == "bernoulli":
            return bernoulli_log_likelihood(decoded, pixels)
        return gaussian_log_likelihood(torch.sigmoid(decoded), self.log_scale, pixels)

    def losses(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(images)
        pixels = to_unit(images)
        reconstruction = -self.log_likelihood(self.decoder(reparameterize(mu, logvar)), pixels)
        kl = gaussian_kl(mu, logvar)
        return {
            "loss": (reconstruction + kl).mean(),
            "reconstruction": reconstruction.mean(),
            "kl": kl.mean(),
        }

    @torch.no_grad()
    def test_metrics(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        terms = self.losses(images, labels)
        if not getattr(self._trainer, "testing", True):  # validation: the k-sample bound is
            return {**terms, "nelbo": terms["loss"]}  # k decodes per image, test only
        mu, logvar = self.encode(images)
        k = self.hparams.importance_samples
        z = reparameterize(mu, logvar, samples=k)
        pixels = to_unit(images)
        decoded = self.decoder(z.flatten(0, 1)).view(k, len(images), *pixels.shape[1:])
        log_likelihood = torch.stack([self.log_likelihood(d, pixels) for d in decoded])
        iw = importance_weighted_bound(log_likelihood, z, mu, logvar)
        return {**terms, "nelbo": terms["loss"], "iw_nll": -iw.mean()}

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        decoded = self.decoder(z)
        return from_unit(torch.sigmoid(decoded))

    @torch.no_grad()
    def sample(self, count: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Decoded means of z ~ N(0, I) (the usual picture of a VAE's samples)."""
        return self.decode(torch.randn(count, self.hparams.latent_dim, device=self.device))

    @torch.no_grad()
    def interpolate(self, first: torch.Tensor, second: torch.Tensor, steps: int = 8):
        """Decoded points on the line between the posterior means of two images."""
        mu = self.encode(torch.stack([first, second]))[0]
        weights = torch.linspace(0, 1, steps, device=mu.device)[:, None]
        return self.decode((1 - weights) * mu[0] + weights * mu[1])
