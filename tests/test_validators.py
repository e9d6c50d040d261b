"""Label-free validators: hand-checked values and a checkpoint selected by each."""

import math

import numpy as np
import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.evaluation.validators import (
    deep_embedded_validation,
    domain_density_ratio,
    information_maximization,
    soft_neighborhood_density,
)


def test_information_maximization_extremes():
    uniform = torch.full((8, 4), 0.25)
    assert information_maximization(uniform).item() == pytest.approx(0.0, abs=1e-6)
    one_class = torch.eye(4)[[0, 0, 0, 0]]
    assert information_maximization(one_class).item() == pytest.approx(0.0, abs=1e-5)
    confident_diverse = torch.eye(4)
    assert information_maximization(confident_diverse).item() == pytest.approx(
        math.log(4), rel=1e-4
    )


def test_snd_prefers_clustered_predictions():
    g = torch.Generator().manual_seed(0)
    clustered = torch.eye(4).repeat_interleave(10, 0) * 8 + torch.randn(40, 4, generator=g) * 0.1
    scattered = torch.randn(40, 4, generator=g) * 2
    assert soft_neighborhood_density(clustered.softmax(1)) > soft_neighborhood_density(
        scattered.softmax(1)
    )


def test_density_ratio_recovers_a_known_shift():
    rng = np.random.default_rng(0)
    source = rng.normal(0.0, 1.0, (4000, 1))
    target = rng.normal(1.0, 1.0, (4000, 1))
    ratio = domain_density_ratio(source, target)
    true_ratio = np.exp(source[:, 0] - 0.5)  # N(1,1)/N(0,1) at x
    inside = np.abs(source[:, 0]) < 1.5
    assert np.corrcoef(ratio[inside], true_ratio[inside])[0, 1] > 0.98
    assert np.median(np.abs(ratio[inside] / true_ratio[inside] - 1)) < 0.15


def test_dev_without_shift_is_the_mean_loss():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(3000, 2))
    losses = rng.exponential(size=3000)
    risk = -deep_embedded_validation(features[:1500], features[1500:], losses[:1500])
    assert risk == pytest.approx(losses[:1500].mean(), rel=0.05)


@pytest.mark.parametrize(
    ("validator", "protocol"),
    [
        ("im", "im_target_val"),
        ("snd", "snd_target_val"),
        ("dev", "dev_weighted_source_val"),
        ("last_epoch", "last_epoch"),  # scores the epoch: the last one is kept
    ],
)
def test_checkpoint_is_selected_by_the_validator(validator, protocol):
    """Over three epochs the selected checkpoint is the epoch whose validator score was
    highest, and the score is the validator's own (recomputed from the kept outputs)."""
    import lightning as L

    class Scores(L.Callback):
        def __init__(self):
            self.by_epoch = []

        def on_validation_end(self, trainer, module):
            if not trainer.sanity_checking:
                self.by_epoch.append(float(trainer.callback_metrics["val/select_score"]))

    cli = build_cli(
        config("dann/mnist_to_mnistm.yaml"),
        f"--model.init_args.validator={validator}",
        "--trainer.max_epochs=3",
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=4",
        "--trainer.callbacks=[]",
    )
    scores = Scores()
    cli.trainer.callbacks.insert(0, scores)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.model.selection_protocol == protocol
    assert "val/select_score" in cli.trainer.callback_metrics
    assert "val/target_acc" not in cli.trainer.callback_metrics  # no target labels used
    checkpoint = cli.trainer.checkpoint_callback
    assert len(scores.by_epoch) == 3
    best = max(range(3), key=scores.by_epoch.__getitem__)
    assert float(checkpoint.best_model_score) == pytest.approx(scores.by_epoch[best])
    assert f"epoch={best}" in checkpoint.best_model_path
