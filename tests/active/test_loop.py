"""Scoring a random part of a large pool: every labeled image is among the scored ones, the
draw changes each round, and queries map back to unlabeled pool positions."""

import torch
from torch import nn
from torch.utils.data import TensorDataset

from transferlab.active.annotation import SimulatedAnnotator
from transferlab.active.loop import run_loop, scored_positions


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
