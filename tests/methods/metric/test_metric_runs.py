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
    best = "best" if cli.trainer.checkpoint_callback.best_model_path else None  # 0 epochs
    metrics = cli.trainer.test(cli.model, datamodule=cli.datamodule, ckpt_path=best)
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
def trained(method: str, *overrides: str):
    """Each method trains once per test session, however many tests read its results."""
    return fit_and_test(method, *overrides)


# Numbers in the docstrings below: benchmarks/results/learning_tests.md (this file's settings,
# 5 epochs, one thread, seeds 0-2).


@pytest.mark.slow
@pytest.mark.parametrize("method", ["softmax_embedding", "siamese", "triplet", "center_loss"])
def test_metric_loss_learns_a_similarity_of_the_seen_classes(method):
    """New images of the training digits (0-5), against the untrained network: every loss
    gains +55 to +63 MAP@R points and +8.5 to +11.5 P@1 points on every seed (untrained:
    MAP@R 35.4 ± 2.0, P@1 88.0 ± 0.7), so the margins 40 and 5 points sit far below the
    effect. On the held-out digits (6-9) every loss's P@1 falls below the untrained
    network's (-8.75 to -0.25 points per seed), and only the softmax embedding and centre
    loss gain MAP@R on every seed: no test claims a gain there."""
    untrained, _ = trained("softmax_embedding", "--trainer.max_epochs=0")
    mine, _ = trained(method)
    assert mine["test/source_map_at_r"] > untrained["test/source_map_at_r"] + 0.40
    assert mine["test/source_acc"] > untrained["test/source_acc"] + 0.05


@pytest.mark.slow
def test_centre_loss_finds_held_out_neighbours_better_than_softmax():
    """Precision@1 on the held-out digits: centre loss beats the softmax embedding by +5.00,
    +2.50 and +2.00 points at seeds 0-2 (margin 1 point). Not claimed: its MAP@R gain
    (+2.29 to +2.72 per seed here, -2.67 to +5.06 in the table's earlier measurement) and
    triplet's P@1 gain over softmax (+2.25 to +6.25 here, -0.25 to +6.75 earlier), on which
    the two measurements disagree."""
    baseline, _ = trained("softmax_embedding")
    mine, _ = trained("center_loss")
    metric = "test/target_acc"  # precision@1
    assert mine[metric] > baseline[metric] + 0.01, (mine[metric], baseline[metric])


@pytest.mark.slow
def test_centre_loss_makes_seen_classes_more_compact_than_softmax():
    _, baseline_spread = trained("softmax_embedding")
    _, spread = trained("center_loss")
    assert spread < 0.9 * baseline_spread, (spread, baseline_spread)
