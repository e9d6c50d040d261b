"""Generative models whose encoder or discriminator becomes a backbone."""

from transferlab.methods.generative.base import GenerativeModule
from transferlab.methods.generative.dcgan import DCGAN, ConditionalGAN
from transferlab.methods.generative.vae import VAE
from transferlab.methods.generative.vq_vae import VQVAE

__all__ = ["DCGAN", "VAE", "VQVAE", "ConditionalGAN", "GenerativeModule"]
