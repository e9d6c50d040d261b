"""Small real metric-learning runs at a fixed seed, against the softmax-embedding baseline.

Trained on MNIST digits 0-5 for 5 epochs, scored by retrieval on digits 6-9, never seen in
training; the checkpoint is chosen on seen-class validation images, as in the configs.
"""

import functools

import pytest
import torch

from tests.conftest import build_cli, config

BUDGET = ("--trainer.max_epochs=5", "--trainer.callbacks=[]")


def fit_and_test(method: str, *overrides: str):
    """(retrieval metrics of the selected checkpoint, the module with its last weights)."""
    cli = build_cli(config(f"{method}/mnist_held_out_digits.yaml"), *BUDGET, *overrides)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    spread = class_spread(cli.model, cli.datamodule)
    metrics = cli.trainer.test(cli.model, datamodule=cli.datamodule, ckpt_path="best")
    flat = {k: v for loader in metrics for k, v in loader.items()}
    return flat, spread


@torch.no_grad()
def class_spread(model, datamodule) -> float:
    """Mean distance of seen-class validation embeddings to their class mean, relative to
    the mean distance between class means: lower is more compact classes."""
    model.eval()
    images, labels = zip(*datamodule.val_dataloader()[0], strict=True)
    classes, labels = torch.cat(labels).unique(return_inverse=True)
    embeddings = model.embed(torch.cat(images))
    means = torch.stack([embeddings[labels == c].mean(0) for c in range(len(classes))])
    within = (embeddings - means[labels]).norm(dim=1).mean()
    between = torch.pdist(means).mean()
    return float(within / between)


@functools.cache
def trained(method: str):
    """Each method trains once per test session, however many tests read its results."""
    return fit_and_test(method)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "metrics"),
    [
        # over 3 seeds triplet's MAP@R is not above softmax's (benchmark table): P@1 only
        ("triplet", ("test/target_acc",)),
        ("center_loss", ("test/target_acc", "test/target_map_at_r")),
    ],
)
def test_metric_loss_retrieves_held_out_digits_better_than_softmax(method, metrics):
    baseline, _ = trained("softmax_embedding")
    mine, _ = trained(method)
    for metric in metrics:  # test/target_acc is precision@1
        assert mine[metric] > baseline[metric] + 0.01, (metric, mine[metric], baseline[metric])


@pytest.mark.slow
def test_centre_loss_makes_seen_classes_more_compact_than_softmax():
    _, baseline_spread = trained("softmax_embedding")
    _, spread = trained("center_loss")
    assert spread < 0.9 * baseline_spread, (spread, baseline_spread)


@pytest.mark.slow
def test_siamese_learns_a_similarity_that_transfers_to_held_out_digits():
    """Against its own untrained embedding, on the ranking metrics. (An untrained digit CNN
    already finds a same-digit nearest neighbour ~90% of the time, and Siamese does not
    beat the softmax embedding at this budget; the benchmark table says both.)"""
    cli = build_cli(config("siamese/mnist_held_out_digits.yaml"), *BUDGET)
    untrained = cli.trainer.test(cli.model, datamodule=cli.datamodule)
    before = {k: v for loader in untrained for k, v in loader.items()}
    after, _ = trained("siamese")
    for metric in ("test/target_map_at_r", "test/target_verification_auc"):
        assert after[metric] > before[metric] + 0.02, (metric, after[metric], before[metric])
