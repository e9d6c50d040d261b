"""Scoring a random part of a large pool: every labeled image is among the scored ones, the
draw changes each round, and queries map back to unlabeled pool positions."""

import torch
from torch import nn
from torch.utils.data import TensorDataset

from transferlab.active.annotation import SimulatedAnnotator
from transferlab.active.loop import run_loop, scored_positions
from transferlab.evaluation.inference import dropout_passes, mc_dropout


def test_a_scored_subset_holds_every_labeled_position_and_a_fresh_draw_each_round():
    labeled = torch.zeros(100, dtype=torch.bool)
    labeled[[3, 50, 97]] = True
    first, second = scored_positions(labeled, 10, seed=0), scored_positions(labeled, 10, seed=1)
    for scored in (first, second):
        assert len(scored) == 13 == len(set(scored.tolist()))
        assert {3, 50, 97} <= set(scored.tolist())
        assert scored.tolist() == sorted(scored.tolist())
    assert first.tolist() != second.tolist()
    assert scored_positions(labeled, 0, seed=0).tolist() == list(range(100))
    assert scored_positions(labeled, 500, seed=0).tolist() == list(range(100))


class Linear(nn.Module):
    """Predicts from the pixels alone: no training needed for the loop's bookkeeping."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(4, 3)

    def features(self, images):
        return images

    def classify(self, features):
        return self.head(features)


def test_queries_from_a_scored_subset_are_unlabeled_pool_positions(tmp_path):
    torch.manual_seed(0)
    pool = TensorDataset(torch.randn(200, 4), torch.randint(0, 3, (200,)))
    labels = pool.tensors[1]
    rounds = []

    def train(labeled, annotations, round_):
        rounds.append(list(labeled))
        return Linear(), {"test_acc": 0.0}

    for strategy in ("margin", "core_set"):
        rounds.clear()
        state = run_loop(
            tmp_path / f"{strategy}.json",
            [0, 1, 2],
            strategy,
            query_size=4,
            budget=15,
            pool=pool,
            train=train,
            annotator=SimulatedAnnotator(labels),
            score_subset=20,
        )
        assert [len(r) for r in rounds] == [3, 7, 11, 15]
        for before, record in zip(rounds, state.history[:-1], strict=False):
            assert not set(record["queried"]) & set(before)
            assert len(set(record["queried"])) == 4
        assert len(state.labeled) == 15 == len(set(state.labeled))


class FeaturesAndHead(nn.Module):
    """The two calls the scorer makes on a method: ``features`` and ``classify``."""

    def __init__(self, backbone: nn.Module, features: int) -> None:
        super().__init__()
        self.backbone, self.head, self.calls = backbone, nn.Linear(features, 10), 0

    def features(self, images):
        self.calls += 1
        return self.backbone(images)

    def classify(self, features):
        return self.head(features)

    def forward(self, images):
        return self.classify(self.features(images))


def _passes_both_ways(model, images, passes=4):
    model.eval()
    torch.manual_seed(0)
    shortcut = dropout_passes(model, images, passes)
    calls, model.calls = model.calls, 0
    torch.manual_seed(0)
    full = torch.stack([mc_dropout(model, images) for _ in range(passes)])
    return shortcut, full, calls


def test_dropout_before_the_head_reruns_only_the_head_with_the_same_draws():
    from transferlab.backbones.digits import digit_cnn

    model = FeaturesAndHead(digit_cnn(num_classes=0, drop_rate=0.3), 256)
    shortcut, full, backbone_calls = _passes_both_ways(model, torch.rand(6, 3, 28, 28))
    assert backbone_calls == 1  # one feature pass for all four dropout passes
    torch.testing.assert_close(shortcut, full)
    assert not torch.allclose(shortcut[0], shortcut[1])  # the passes differ: masks are fresh


def test_dropout_inside_the_network_runs_every_pass_through_it():
    body = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Dropout(0.5), nn.ReLU())
    model = FeaturesAndHead(body, 8)
    shortcut, full, backbone_calls = _passes_both_ways(model, torch.rand(5, 3, 2, 2))
    assert backbone_calls == 1 + 4  # the placement check, then a whole pass each
    torch.testing.assert_close(shortcut, full)
