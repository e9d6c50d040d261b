"""Each domain-adaptation method adapts: a small real run beats source-only on the target.

MNIST -> MNIST-M, seed 0, 6 epochs (a third of the configs' budget), every run tested on
the checkpoint that source validation accuracy chose -- no target labels anywhere.
"""

import pytest

from tests.conftest import config
from transferlab.commands.compare import run_config

SHORT = ["--trainer.max_epochs=6", "--trainer.logger=false", "--trainer.callbacks=[]"]


@pytest.fixture(scope="module")
def source_only():
    return run_config(config("source_only/mnist_to_mnistm.yaml"), overrides=SHORT)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["dann", "dan", "jan", "deep_coral", "cdan", "mcc", "mcd"])
def test_beats_source_only_on_the_target(method, source_only):
    adapted = run_config(config(f"{method}/mnist_to_mnistm.yaml"), overrides=SHORT)
    assert adapted.protocol == source_only.protocol == "source_val_acc"
    assert adapted.target_test_acc > source_only.target_test_acc + 0.03


@pytest.mark.slow
def test_importance_weighting_beats_source_only_on_the_target(source_only):
    """Its config selects with deep embedded validation (importance-weighted source
    validation), also label-free."""
    weighted = run_config(
        config("importance_weighting/mnist_label_shift_domain_classifier.yaml"),
        overrides=[*SHORT, "--data", config("data/mnist_to_mnistm.yaml")],
    )
    assert weighted.protocol == "dev_weighted_source_val"
    assert weighted.target_test_acc > source_only.target_test_acc + 0.03
