"""Vector-quantised VAE (van den Oord et al., 2017)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from transferlab.losses.generative import codebook_usage, nearest_code, vector_quantize
from transferlab.methods.generative.base import GenerativeModule, from_unit, to_unit, up_decoder


class VQVAE(GenerativeModule):
    """The backbone's feature vector is cut into ``slots`` latent vectors z_e of
    ``num_features / slots`` dimensions; each is snapped to its nearest codebook vector
    z_q, and the decoder reconstructs the image from the concatenated z_q. Loss =
    reconstruction (squared error of [0, 1] pixels, summed per image) + ||sg[z_e] - z_q||^2
    + beta * ||z_e - sg[z_q]||^2, gradients copied straight through the quantiser.

    Args:
        codebook_size: K, the number of codebook vectors.
        slots: latent vectors per image (the backbone's features must split evenly).
        beta: weight of the commitment loss (0.25 in the paper).
        ema_decay: update the codebook as an exponential moving average of the vectors
            assigned to each code (the paper's appendix) instead of by the codebook loss;
            ``None`` for the plain loss.
    """

    def __init__(
        self,
        codebook_size: int = 64,
        slots: int = 16,
        beta: float = 0.25,
        ema_decay: float | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        features = self.backbone.num_features
        if features % slots:
            raise ValueError(f"slots={slots} does not divide the backbone's {features} features")
        self.code_dim = features // slots
        self.codebook = nn.Parameter(torch.randn(codebook_size, self.code_dim) * 0.5)
        self.decoder = up_decoder(features, self.image_size)
        self.register_buffer("initialised", torch.tensor(False))
        if ema_decay is not None:
            self.codebook.requires_grad_(False)
            self.register_buffer("ema_counts", torch.ones(codebook_size))
            self.register_buffer("ema_sums", self.codebook.detach().clone())

    def latents(self, images: torch.Tensor) -> torch.Tensor:
        """z_e: ``(N * slots, code_dim)``."""
        return self.features(images).reshape(-1, self.code_dim)

    def losses(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        latents = self.latents(images)
        if self.training and not self.initialised:
            self._start_codebook_at(latents.detach())
        quantized, codes, codebook_loss, commitment = vector_quantize(
            latents, self.codebook, self.hparams.beta
        )
        if self.hparams.ema_decay is not None:
            if self.training:
                self._ema_update(latents.detach(), codes)
            codebook_loss = codebook_loss.detach()  # the codebook moves by EMA, not by SGD
        decoded = torch.sigmoid(self.decoder(quantized.reshape(len(images), -1)))
        reconstruction = (decoded - to_unit(images)).pow(2).flatten(1).sum(1).mean()
        loss = reconstruction + commitment
        if self.hparams.ema_decay is None:
            loss = loss + codebook_loss
        perplexity, dead = codebook_usage(codes, self.hparams.codebook_size)
        return {
            "loss": loss,
            "reconstruction": reconstruction,
            "codebook": codebook_loss,
            "commitment": commitment,
            "mse": F.mse_loss(decoded, to_unit(images)),
            "perplexity": torch.tensor(perplexity),
            "dead_codes": torch.tensor(float(dead)),
        }

    @torch.no_grad()
    def _start_codebook_at(self, latents: torch.Tensor) -> None:
        """Codes start at encoder outputs of the first batch: random vectors far from the
        (non-negative, ReLU) features would never be nearest and stay dead."""
        size = self.hparams.codebook_size
        picked = latents[torch.randint(0, len(latents), (size,), device=latents.device)]
        self.codebook.data.copy_(picked + 0.01 * torch.randn_like(picked))
        if self.hparams.ema_decay is not None:
            self.ema_sums.copy_(self.codebook.data)
        self.initialised.fill_(True)

    @torch.no_grad()
    def _ema_update(self, latents: torch.Tensor, codes: torch.Tensor) -> None:
        decay, size = self.hparams.ema_decay, self.hparams.codebook_size
        onehot = F.one_hot(codes, size).type_as(latents)
        self.ema_counts.mul_(decay).add_(onehot.sum(0), alpha=1 - decay)
        self.ema_sums.mul_(decay).add_(onehot.T @ latents, alpha=1 - decay)
        self.codebook.data.copy_(self.ema_sums / self.ema_counts.clamp_min(1e-5)[:, None])

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        codes = nearest_code(self.latents(images), self.codebook)
        return self.decode_codes(codes.view(len(images), -1))

    @torch.no_grad()
    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        return from_unit(torch.sigmoid(self.decoder(self.codebook[codes].flatten(1))))

    @torch.no_grad()
    def sample(self, count: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Codes drawn uniformly and independently per slot: the VQ-VAE has no prior of its
        own (the paper fits a PixelCNN over the codes afterwards), so these samples show
        the codebook, not the data distribution; its metrics are reconstruction ones."""
        codes = torch.randint(0, self.hparams.codebook_size, (count, self.hparams.slots))
        return self.decode_codes(codes.to(self.device))
