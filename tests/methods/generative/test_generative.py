"""VAE, VQ-VAE, DCGAN and conditional GAN: their objectives against hand-computed values,
the gradients going where they should, short real runs that learn, and their backbones
handed to FeatureExtraction."""

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from tests.conftest import build_cli, config
from transferlab.evaluation.generative import conditional_accuracy
from transferlab.losses.generative import (
    codebook_usage,
    gaussian_kl,
    nearest_code,
    reparameterize,
    vector_quantize,
)
from transferlab.methods import DCGAN, ConditionalGAN

SHORT = ["--trainer.logger=false", "--trainer.enable_progress_bar=false"]


def test_the_kl_term_is_the_closed_form_of_two_gaussians():
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    posterior = Normal(mu, (0.5 * logvar).exp())
    expected = kl_divergence(posterior, Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(gaussian_kl(mu, logvar), expected, atol=1e-5)


def test_the_reparameterised_sample_has_the_posterior_mean_and_variance():
    torch.manual_seed(0)
    mu, logvar = torch.tensor([[1.5, -2.0]]), torch.tensor([[0.0, 1.0]]).log()
    draws = reparameterize(mu, logvar, samples=200_000)[:, 0]
    assert torch.allclose(draws.mean(0), mu[0], atol=0.01)
    assert torch.allclose(draws.var(0), logvar[0].exp(), atol=0.02)
    mu.requires_grad_(True)
    reparameterize(mu, logvar).sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))  # gradients flow through the sample


def test_quantisation_picks_the_nearest_code_and_passes_gradients_straight_through():
    codebook = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.5]])
    latents = torch.tensor([[0.9, 1.2], [-1.5, 0.4], [0.1, -0.1]], requires_grad=True)
    assert nearest_code(latents, codebook).tolist() == [1, 2, 0]
    quantized, codes, codebook_loss, commitment = vector_quantize(latents, codebook, beta=0.25)
    assert torch.equal(quantized.detach(), codebook[[1, 2, 0]])
    squared = ((latents.detach() - codebook[[1, 2, 0]]) ** 2).sum(1).mean()  # by hand
    assert codebook_loss.item() == pytest.approx(squared.item())
    assert commitment.item() == pytest.approx(0.25 * squared.item())
    (quantized * torch.tensor([2.0, 3.0])).sum().backward()
    assert torch.equal(latents.grad, torch.tensor([[2.0, 3.0]] * 3))  # z_e gets dL/dz_q
    assert codebook_usage(torch.tensor([0, 1, 2, 3]), 8) == (pytest.approx(4.0), 4)


@pytest.mark.parametrize("model_class", [DCGAN, ConditionalGAN])
def test_each_players_step_moves_only_its_own_parameters(model_class):
    torch.manual_seed(0)
    model = model_class(num_classes=10)
    d_optimizer, g_optimizer = model.configure_optimizers()
    generator = {id(p) for group in g_optimizer.param_groups for p in group["params"]}
    discriminator = {id(p) for group in d_optimizer.param_groups for p in group["params"]}
    assert not generator & discriminator
    assert generator | discriminator == {id(p) for p in model.parameters() if p.requires_grad}
    images, labels = torch.rand(8, 3, 28, 28) * 2 - 1, torch.arange(8)

    def snapshot():
        return {n: p.detach().clone() for n, p in model.named_parameters()}

    def changed(before):
        return {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}

    before = snapshot()
    fakes = model.generate(model.noise(8), labels)
    d_loss = torch.nn.functional.softplus(-model.discriminate(images, labels)).mean()
    d_loss = (
        d_loss + torch.nn.functional.softplus(model.discriminate(fakes.detach(), labels)).mean()
    )
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    moved = changed(before)
    assert moved and all(id(dict(model.named_parameters())[n]) in discriminator for n in moved)
    before = snapshot()
    g_optimizer.zero_grad()
    torch.nn.functional.softplus(
        -model.discriminate(model.generate(model.noise(8), labels), labels)
    ).mean().backward()
    g_optimizer.step()
    moved = changed(before)
    assert moved and all(id(dict(model.named_parameters())[n]) in generator for n in moved)


def fit(path: str, tmp_path, *overrides):
    cli = build_cli(config(path), *SHORT, f"--trainer.default_root_dir={tmp_path}", *overrides)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return cli


def test_a_short_vae_run_lowers_the_negative_elbo(tmp_path):
    """Two epochs bring the validation -ELBO to 0.25-0.27 of the untrained model's at seeds
    0-2 (one thread): the 0.6 bar is far above every seed."""
    cli = build_cli(
        config("vae/mnist.yaml"),
        *SHORT,
        f"--trainer.default_root_dir={tmp_path}",
        "--trainer.max_epochs=2",
        "--trainer.limit_val_batches=4",
    )
    before = cli.trainer.validate(cli.model, datamodule=cli.datamodule, verbose=False)[0]
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    after = cli.trainer.validate(cli.model, datamodule=cli.datamodule, verbose=False)[0]
    assert after["val/loss"] < 0.6 * before["val/loss"]
    samples = cli.trainer.callbacks[0].written  # the SampleGrid of the config
    assert {p.name for p in samples} == {"epoch_2.png", "interpolation_2.png"}


@pytest.fixture(scope="module")
def conditional_gan(tmp_path_factory):
    return fit(
        "conditional_gan/mnist.yaml",
        tmp_path_factory.mktemp("cgan"),
        "--trainer.max_epochs=3",
        "--trainer.callbacks=[]",
        # twice the config's learning rate for both players: in 3 epochs it draws what the
        # config's draws in 6 (below), at half the test's time
        "--model.init_args.generator_lr=0.0004",
        "--model.init_args.optimizer.init_args.lr=0.0004",
    )


def test_a_short_conditional_gan_run_draws_the_asked_digits_above_chance(conditional_gan, trained):
    network, _, _ = trained  # a digit classifier trained apart from the GAN
    model = conditional_gan.model.eval()
    torch.manual_seed(1)
    asked = torch.arange(500) % 10
    accuracy = conditional_accuracy(network, model.sample(500, asked), asked)
    # chance is 0.10. At the config's learning rate the share was 0.19, 0.06 and 0.25 at
    # seeds 0-2 after 3 epochs (one thread): no claim survives that; after 6 epochs 0.50,
    # 0.56 and 0.68. At twice that rate, 3 epochs: 0.72, 0.50 and 0.64, so the margin is
    # 0.3. (The benchmark's 10 epochs at the config's rate give the real number.)
    assert accuracy > 0.3


def test_the_discriminator_becomes_a_feature_extraction_backbone(conditional_gan, tmp_path):
    checkpoint = conditional_gan.trainer.checkpoint_callback.best_model_path
    probe_config = config("feature_extraction/mnist_10_labels.yaml")
    with pytest.raises(ValueError, match="use the backbone dcgan_discriminator"):
        build_cli(probe_config, *SHORT, f"--model.init_args.weights={checkpoint}")  # digit_cnn
    probe = build_cli(
        probe_config,
        *SHORT,
        f"--model.init_args.weights={checkpoint}",
        "--model.init_args.backbone=dcgan_discriminator",
    )
    gan_state = conditional_gan.model.backbone.state_dict()
    for key, value in probe.model.backbone.state_dict().items():
        assert torch.equal(value, gan_state[key].cpu()), key
    with pytest.raises(
        ValueError, match="ConditionalGAN has no trained classifier.*--model.init_args.weights"
    ):
        build_cli(
            config("source_only/mnist_to_mnistm.yaml"),
            *SHORT,
            f"--model.init_args.init_from={checkpoint}",
        )
    with pytest.raises(
        ValueError, match="--ckpt_path .* was written by ConditionalGAN, not by SourceOnly"
    ):
        from transferlab.commands.cli import TransferLabCLI

        TransferLabCLI(
            args=[
                "test",
                "-c",
                config("source_only/mnist_to_mnistm.yaml"),
                *SHORT,
                f"--ckpt_path={checkpoint}",
                f"--trainer.default_root_dir={tmp_path}",
            ]
        )


@pytest.mark.parametrize(
    ("path", "backbone"),
    [
        ("vae/mnist.yaml", "digit_cnn"),
        ("vq_vae/mnist.yaml", "digit_cnn"),
        ("dcgan/mnist.yaml", "dcgan_discriminator"),
    ],
)
def test_every_encoder_and_discriminator_loads_into_feature_extraction(path, backbone, tmp_path):
    run = fit(
        path,
        tmp_path,
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=1",
        "--trainer.callbacks=[]",
    )
    checkpoint = run.trainer.checkpoint_callback.best_model_path
    probe = build_cli(
        config("feature_extraction/mnist_10_labels.yaml"),
        *SHORT,
        f"--model.init_args.weights={checkpoint}",
        f"--model.init_args.backbone={backbone}",
    )
    trained = run.model.backbone.state_dict()
    assert all(torch.equal(v, trained[k]) for k, v in probe.model.backbone.state_dict().items())
