import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.commands.compare import run_config

CONFIG = config("feature_extraction/digits_to_mnist.yaml")


def test_backbone_is_frozen_and_stays_in_eval_mode():
    cli = build_cli(CONFIG, "-c", config("trainer/fast_dev_run.yaml"))
    before = {k: v.clone() for k, v in cli.model.backbone.state_dict().items()}
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    after = cli.model.backbone.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN statistics too
    assert not cli.model.backbone.training
    assert [g["name"] for g in cli.model.parameter_groups()] == ["head"]


@pytest.mark.slow
def test_pretrained_features_classify_with_a_linear_head_and_an_svm():
    """One epoch on frozen ImageNet features of 32-px upscaled 8x8 digits: the linear head
    and the SVM fitted at test time are both far above the 10% of chance."""
    result = run_config(
        CONFIG,
        overrides=[
            "--trainer.max_epochs=1",
            "--data.init_args.image_size=32",
            "--trainer.logger=false",
        ],
    )
    assert result.source_test_acc > 0.5
    assert result.other_test_metrics["test/source_acc_svm"] > 0.8
    assert 0.0 <= result.other_test_metrics["test/target_acc_svm"] <= 1.0
