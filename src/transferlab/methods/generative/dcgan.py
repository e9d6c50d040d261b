"""DCGAN (Radford et al., 2016) and a class-conditional GAN (Mirza & Osindero, 2014)."""

from __future__ import annotations

import torch
from torch import nn

from transferlab.losses.generative import discriminator_loss, generator_loss
from transferlab.methods.generative.base import GenerativeModule, up_decoder


class DCGAN(GenerativeModule):
    """Generator: z -> transposed convolutions with BatchNorm and ReLU -> tanh image.
    Discriminator: the backbone (strided/pooled convolutions with BatchNorm) and one linear
    output, the real/fake logit. min_G max_D E[log D(x)] + E[log(1 - D(G(z)))], with the
    non-saturating generator loss, one discriminator and one generator step per batch
    (Lightning's manual optimization, two optimizers). The discriminator is the backbone
    that ``FeatureExtraction`` takes over, as in the paper's CIFAR-10 experiment.

    Args:
        latent_dim: size of z.
        generator_lr: the generator's Adam learning rate (the discriminator's comes from
            ``optimizer``); both use the paper's beta1 = 0.5 unless the optimizer says
            otherwise.
    """

    selects_last_epoch = True

    def __init__(self, latent_dim: int = 64, generator_lr: float = 2e-4, **kwargs) -> None:
        super().__init__(**kwargs)
        self.automatic_optimization = False
        self.generator = nn.Sequential(up_decoder(self.generator_input, self.image_size), nn.Tanh())
        self.critic = nn.Linear(self.backbone.num_features, 1)

    @property
    def generator_input(self) -> int:
        return self.hparams.latent_dim

    def discriminate(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.critic(self.features(images)).squeeze(1)

    def generate(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.generator(noise).repeat(1, 3, 1, 1)

    def noise(self, count: int) -> torch.Tensor:
        return torch.randn(count, self.hparams.latent_dim, device=self.device)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.generator.parameters())

    def configure_optimizers(self):
        """Two optimizers over disjoint parameters: each player's step moves only its own."""
        generator = self.generator_parameters()
        owned = {id(p) for p in generator}
        discriminator = [p for p in self.parameters() if id(p) not in owned and p.requires_grad]
        d_optimizer = self.optimizer_factory(discriminator)
        g_optimizer = torch.optim.Adam(generator, lr=self.hparams.generator_lr, betas=(0.5, 0.999))
        return d_optimizer, g_optimizer

    def training_step(self, batch: dict, batch_idx: int):
        images, labels = batch["source"]
        self.check_images(images)
        d_optimizer, g_optimizer = self.optimizers()
        fakes = self.generate(self.noise(len(images)), labels)

        d_loss = discriminator_loss(
            self.discriminate(images, labels), self.discriminate(fakes.detach(), labels)
        )
        d_optimizer.zero_grad()
        self.manual_backward(d_loss)
        d_optimizer.step()

        g_loss = generator_loss(self.discriminate(fakes, labels))
        g_optimizer.zero_grad()
        self.manual_backward(g_loss)
        g_optimizer.step()
        self.log_dict({"train/d_loss": d_loss, "train/g_loss": g_loss}, prog_bar=True)

    @torch.no_grad()
    def test_metrics(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """How well the discriminator tells held-out real digits from fresh samples."""
        fakes = self.generate(self.noise(len(images)), labels)
        real, fake = self.discriminate(images, labels), self.discriminate(fakes, labels)
        return {
            "d_loss": discriminator_loss(real, fake),
            "g_loss": generator_loss(fake),
            "d_real_acc": (real > 0).float().mean(),
            "d_fake_acc": (fake < 0).float().mean(),
        }

    @torch.no_grad()
    def sample(self, count: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            labels = torch.arange(count, device=self.device) % self.num_classes
        return self.generate(self.noise(count), labels.to(self.device))


class ConditionalGAN(DCGAN):
    """Both players see the class y: the generator gets z concatenated with a learned
    class embedding; the discriminator adds the projection term <embed(y), features>
    to its logit (Miyato & Koyama, 2018), so it judges "a real image *of this class*".
    ``sample(count, labels)`` draws digits of the asked classes."""

    def __init__(self, class_embedding: int = 16, **kwargs) -> None:
        self._class_embedding = class_embedding
        super().__init__(**kwargs)
        self.class_to_generator = nn.Embedding(self.num_classes, class_embedding)
        self.class_to_critic = nn.Embedding(self.num_classes, self.backbone.num_features)
        nn.init.zeros_(self.class_to_critic.weight)

    @property
    def generator_input(self) -> int:
        return self.hparams.latent_dim + self._class_embedding

    def generator_parameters(self) -> list[nn.Parameter]:
        return [*self.generator.parameters(), *self.class_to_generator.parameters()]

    def discriminate(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        features = self.features(images)
        projection = (self.class_to_critic(labels) * features).sum(1)
        return self.critic(features).squeeze(1) + projection

    def generate(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        conditioned = torch.cat([noise, self.class_to_generator(labels)], dim=1)
        return self.generator(conditioned).repeat(1, 3, 1, 1)
