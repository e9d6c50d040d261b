"""DAN, JAN, Deep CORAL, CDAN(+E), MCC and MCD: each trains, and each term does its job."""

import pytest
import torch

from tests.conftest import build_cli, config

METHODS = ["dan", "jan", "deep_coral", "cdan", "mcc", "mcd", "dann"]
FAST = ("-c", config("trainer/fast_dev_run.yaml"))


@pytest.mark.parametrize("method", METHODS)
def test_fast_dev_run_updates_backbone_and_head(method):
    cli = build_cli(config(f"{method}/mnist_to_mnistm.yaml"), *FAST)
    before = {k: v.clone() for k, v in cli.model.state_dict().items()}
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    after = cli.model.state_dict()
    assert not torch.equal(before["head.weight"], after["head.weight"])
    assert not torch.equal(before["backbone.stem.0.weight"], after["backbone.stem.0.weight"])


def test_mcd_classifiers_and_backbone_use_separate_optimizers():
    cli = build_cli(config("mcd/mnist_to_mnistm.yaml"), *FAST)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    names = [[g["name"] for g in opt.param_groups] for opt in cli.trainer.optimizers]
    assert names == [["backbone"], ["heads"]]
    assert not cli.model.automatic_optimization


def test_cdan_randomized_map_keeps_the_discriminator_small():
    cli = build_cli(
        config("cdan/mnist_to_mnistm.yaml"),
        "--model.init_args.randomized=true",
        "--model.init_args.randomized_dim=64",
        *FAST,
    )
    assert cli.model.discriminator[0].in_features == 64
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)


def test_mcd_over_a_frozen_encoder_trains_its_heads_alone():
    """The multilingual encoder has no parameters to train: MCD's generator optimizer is
    then empty, and its heads still get theirs."""
    from transferlab.methods import MCD

    generator, heads = MCD(backbone="use_multilingual", num_classes=3).configure_optimizers()
    assert [len(g["params"]) for g in generator.param_groups] == [0]
    assert sum(len(g["params"]) for g in heads.param_groups) == 4  # two linear heads
