"""The overfitting remedies of a supervised classifier, each a config switch that does what
its name says (their measured effect: benchmarks/results/overfitting.md)."""

import pytest
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping

from tests.conftest import build_cli, config

BASE = config("source_only/mnist_10_labels.yaml")


def model_and_batch(*overrides: str):
    cli = build_cli(BASE, *overrides)
    torch.manual_seed(0)
    images, labels = torch.randn(8, 3, 28, 28), torch.arange(8) % 10
    return cli.model, images, labels


def test_label_smoothing_is_cross_entropy_with_smoothed_targets():
    model, images, labels = model_and_batch("--model.init_args.label_smoothing=0.1")
    logits, loss = model.supervised_loss(images, labels)
    assert float(loss) == pytest.approx(float(F.cross_entropy(logits, labels, label_smoothing=0.1)))
    assert float(loss) != pytest.approx(float(F.cross_entropy(logits, labels)))


def test_the_default_loss_is_plain_cross_entropy():
    model, images, labels = model_and_batch()
    logits, loss = model.supervised_loss(images, labels)
    assert torch.equal(loss, F.cross_entropy(logits, labels))


def test_mixup_trains_on_mixed_images_and_mixed_labels():
    model, images, labels = model_and_batch("--model.init_args.mixup_alpha=0.4")
    seen = []
    model.backbone.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    torch.manual_seed(1)
    logits, loss = model.supervised_loss(images, labels)
    (mixed,) = seen
    assert not torch.allclose(mixed, images)  # the network saw mixes, not the batch
    torch.manual_seed(1)
    share = torch.distributions.Beta(0.4, 0.4).sample()
    partner = torch.randperm(len(images))
    assert torch.allclose(mixed, share * images + (1 - share) * images[partner], atol=1e-6)
    expected = share * F.cross_entropy(logits, labels) + (1 - share) * F.cross_entropy(
        logits, labels[partner]
    )
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)


def test_l1_adds_the_weights_absolute_sum():
    model, images, labels = model_and_batch("--model.init_args.l1_weight=0.001")
    logits, loss = model.supervised_loss(images, labels)
    weights = sum(p.abs().sum() for p in model.parameters() if p.dim() > 1)
    assert float(loss) == pytest.approx(float(F.cross_entropy(logits, labels) + 0.001 * weights))


def test_bad_remedy_values_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        build_cli(BASE, "--model.init_args.label_smoothing=1.5")
    with pytest.raises(ValueError, match="l1_weight must be >= 0"):
        build_cli(BASE, "--model.init_args.l1_weight=-1")


def test_the_early_stopping_preset_stops_on_the_selection_score():
    cli = build_cli(BASE, "-c", config("trainer/early_stopping.yaml"))
    (stopper,) = [c for c in cli.trainer.callbacks if isinstance(c, EarlyStopping)]
    assert stopper.monitor == "val/select_score" and stopper.mode == "max"
