import pytest
import torch

from tests.conftest import build_cli, config

FAST = ("-c", config("trainer/fast_dev_run.yaml"))


def test_fast_dev_run_and_discriminator_receives_reversed_gradients():
    cli = build_cli(config("dann/mnist_to_mnistm.yaml"), *FAST)
    before = [p.detach().clone() for p in cli.model.discriminator.parameters()]
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    after = list(cli.model.discriminator.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(after, before, strict=True))


def test_domain_loss_pushes_features_against_the_discriminator():
    """One step: the backbone's gradient from the domain loss points the other way."""
    cli = build_cli(config("dann/mnist_to_mnistm.yaml"))
    model = cli.model
    cli.datamodule.setup("fit")
    batch, _, _ = next(iter(cli.datamodule.train_dataloader()))
    target = batch["target"][:8]
    features = model.features(target)
    from transferlab.losses import gradient_reversal

    plain = torch.autograd.grad(model.discriminator(features).sum(), features, retain_graph=True)[0]
    reversed_ = torch.autograd.grad(
        model.discriminator(gradient_reversal(features, 0.5)).sum(), features
    )[0]
    assert torch.allclose(reversed_, -0.5 * plain, atol=1e-6)


def test_batch_norm_discriminator_normalises_source_and_target_together():
    """With BatchNorm the discriminator must see both domains in one batch: statistics of
    each domain alone would normalise away the very difference it has to detect."""
    cli = build_cli(
        config("dann/mnist_to_mnistm.yaml"),
        *FAST,
        "--model.init_args.discriminator_hidden=32",
        "--model.init_args.discriminator_batch_norm=true",
        "--data.init_args.batch_size=8",
    )
    norms = [m for m in cli.model.discriminator if isinstance(m, torch.nn.BatchNorm1d)]
    assert [n.num_features for n in norms] == [32, 32]
    seen = []
    norms[0].register_forward_hook(lambda module, inputs, output: seen.append(len(inputs[0])))
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert seen == [16]  # one forward pass over 8 source + 8 target features
    assert norms[0].num_batches_tracked == 1


def linear_shapes(module: torch.nn.Module) -> list[tuple[int, int]]:
    return [
        (m.in_features, m.out_features) for m in module.modules() if isinstance(m, torch.nn.Linear)
    ]


def test_the_paper_config_builds_the_dann_papers_mnist_network(tmp_path):
    """Conv 32 -> conv 48 (768 features, no BatchNorm), a 100-100-10 label predictor and a
    100-1 domain classifier on the features; it trains, and a checkpoint of it (an MLP head)
    starts another run."""
    paper = config("dann/mnist_to_mnistm_paper.yaml")
    cli = build_cli(paper, *FAST, "--data.init_args.mnist=subset")
    model = cli.model
    convs = [m.out_channels for m in model.backbone.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [32, 48] and model.backbone.num_features == 768
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert linear_shapes(model.head) == [(768, 100), (100, 100), (100, 10)]
    assert linear_shapes(model.discriminator) == [(768, 100), (100, 1)]
    first = model.head[0].weight.detach().clone()
    cli.trainer.fit(model, datamodule=cli.datamodule)
    assert not torch.equal(model.head[0].weight, first)
    cli.trainer.save_checkpoint(tmp_path / "paper.ckpt", weights_only=True)
    started = build_cli(
        paper,
        "--data.init_args.mnist=subset",
        f"--model.init_args.init_from={tmp_path / 'paper.ckpt'}",
    ).model
    assert torch.equal(started.head[2].weight, model.head[2].weight)
    assert torch.equal(started.backbone.block1[0].weight, model.backbone.block1[0].weight)


def test_a_discriminator_without_hidden_layers_is_refused():
    with pytest.raises(ValueError, match="discriminator_depth must be at least 1, got 0"):
        build_cli(config("dann/mnist_to_mnistm.yaml"), "--model.init_args.discriminator_depth=0")


def test_the_domain_classifier_learns_at_full_rate_while_the_features_get_the_ramp(monkeypatch):
    """The DANN paper (ICML 2015 section 4.1, JMLR 2016 section 5.2.2) ramps the reversal
    weight only for the feature extractor; the domain classifier is updated with a fixed
    weight of 1 so that it trains as fast as the label predictor. Ours: the classifier's
    gradient is the same early (ramp 0.1) as late (ramp 1), the features' scales with it."""
    from transferlab.methods import DANN

    cli = build_cli(config("dann/mnist_to_mnistm_paper.yaml"), "--data.init_args.mnist=subset")
    model = cli.model
    cli.datamodule.setup("fit")
    batch, _, _ = next(iter(cli.datamodule.train_dataloader()))
    features = model.features(torch.cat([batch["source"][0][:8], batch["target"][:8]])).detach()
    gradients = {}
    for ramp in (0.1, 1.0):
        monkeypatch.setattr(DANN, "adaptation_coeff", property(lambda self, r=ramp: r))
        leaf = features.clone().requires_grad_(True)
        loss, _ = model.adaptation_loss(leaf[:8], leaf[8:], None, None)
        weights = model.discriminator[0].weight
        gradients[ramp] = torch.autograd.grad(loss, [weights, leaf])
    (weights_early, features_early), (weights_late, features_late) = gradients[0.1], gradients[1.0]
    assert torch.allclose(weights_early, weights_late, atol=1e-7)
    assert torch.allclose(features_early, 0.1 * features_late, atol=1e-7)
    assert features_late.abs().sum() > 0
