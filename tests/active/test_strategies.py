"""Each query strategy on a case whose right answer is known; none returns a labeled index
or a duplicate."""

import pytest
import torch

from transferlab.active import (
    badge,
    badge_embeddings,
    bald,
    core_set,
    entropy,
    least_confident,
    margin,
    random_query,
)

UNIFORM = [0.25, 0.25, 0.25, 0.25]
SURE = [0.97, 0.01, 0.01, 0.01]


def valid(indices: torch.Tensor, labeled: torch.Tensor, budget: int) -> bool:
    chosen = indices.tolist()
    return len(chosen) == budget == len(set(chosen)) and not labeled[indices].any()


def test_entropy_and_least_confident_pick_the_near_uniform_prediction():
    probabilities = torch.tensor([SURE, [0.4, 0.3, 0.2, 0.1], UNIFORM, SURE])
    none = torch.zeros(4, dtype=torch.bool)
    assert entropy(probabilities, 1, none).tolist() == [2]
    assert least_confident(probabilities, 1, none).tolist() == [2]
    labeled = torch.tensor([False, False, True, False])  # the uniform one is labeled already
    assert entropy(probabilities, 1, labeled).tolist() == [1]
    assert least_confident(probabilities, 1, torch.tensor([2])).tolist() == [1]  # by index


def test_margin_picks_the_smallest_gap_between_the_top_two():
    probabilities = torch.tensor([[0.5, 0.45, 0.05], [0.4, 0.3, 0.3], [0.9, 0.05, 0.05]])
    # least confident would pick image 1 (top 0.4); margin picks image 0 (gap 0.05 < 0.1)
    assert margin(probabilities, 1, torch.zeros(3, dtype=torch.bool)).tolist() == [0]
    assert least_confident(probabilities, 1, torch.zeros(3, dtype=torch.bool)).tolist() == [1]


def test_bald_prefers_disagreeing_passes_over_uniform_uncertainty():
    passes = torch.tensor(
        [
            [UNIFORM, [1.0, 0.0, 0.0, 0.0], SURE],  # pass 1
            [UNIFORM, [0.0, 1.0, 0.0, 0.0], SURE],  # pass 2: image 1 disagrees with pass 1
        ]
    )
    none = torch.zeros(3, dtype=torch.bool)
    assert bald(passes, 1, none).tolist() == [1]
    assert entropy(passes.mean(0), 1, none).tolist() == [0]  # entropy would pick image 0
    with pytest.raises(ValueError, match="passes, pool, classes"):
        bald(passes[0], 1, none)


def test_core_set_picks_the_point_farthest_from_the_labeled_set():
    features = torch.tensor([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [0.0, 3.0], [5.0, 0.0]])
    labeled = torch.tensor([True, False, False, False, False])
    assert core_set(features, 1, labeled).tolist() == [2]
    # then the point farthest from both (0, 0) and (10, 0): (5, 0), 5 away, not (0, 3)
    assert core_set(features, 2, labeled).tolist() == [2, 4]
    cold = core_set(features, 2, torch.zeros(5, dtype=torch.bool))
    # nothing labeled: first the point nearest the mean (3.2, 0.6), i.e. (5, 0), then the
    # farthest from it, (0, 3)
    assert cold.tolist() == [4, 3]


def test_badge_seeds_on_the_largest_gradient_then_spreads():
    probabilities = torch.tensor([SURE, UNIFORM, UNIFORM, [0.3, 0.3, 0.2, 0.2]])
    features = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    embeddings = badge_embeddings(probabilities, features)
    assert embeddings.shape == (4, 8)
    assert embeddings[0].norm() < embeddings[1].norm()  # a sure prediction barely teaches
    generator = torch.Generator().manual_seed(0)
    seconds = []
    for _ in range(200):
        chosen = badge(embeddings, 2, torch.zeros(4, dtype=torch.bool), generator).tolist()
        assert chosen[0] == 1  # the largest gradient first (1 and 2 tie; argmax takes 1)
        seconds.append(chosen[1])
    # image 2 duplicates image 1 exactly: no weight left once 1 is picked; then image 3
    # (other features, far in gradient space) is drawn about twice as often as image 0
    assert 2 not in seconds
    assert seconds.count(3) > 1.5 * seconds.count(0)


@pytest.mark.parametrize(
    "strategy", ["random", "least_confident", "margin", "entropy", "bald", "core_set", "badge"]
)
def test_no_strategy_returns_a_labeled_index_or_a_duplicate(strategy):
    generator = torch.Generator().manual_seed(1)
    pool, classes, budget = 200, 5, 30
    logits = torch.randn(pool, classes, generator=generator)
    probabilities = logits.softmax(1)
    features = torch.randn(pool, 8, generator=generator)
    labeled = torch.rand(pool, generator=generator) < 0.5
    calls = {
        "random": lambda: random_query(pool, budget, labeled, generator),
        "least_confident": lambda: least_confident(probabilities, budget, labeled),
        "margin": lambda: margin(probabilities, budget, labeled),
        "entropy": lambda: entropy(probabilities, budget, labeled),
        "bald": lambda: bald(
            torch.stack([probabilities, probabilities.roll(1, 0)]), budget, labeled
        ),
        "core_set": lambda: core_set(features, budget, labeled),
        "badge": lambda: badge(
            badge_embeddings(probabilities, features), budget, labeled, generator
        ),
    }
    assert valid(calls[strategy](), labeled, budget)


def test_a_budget_larger_than_the_unlabeled_pool_is_refused():
    with pytest.raises(ValueError, match="budget 3 but 2 unlabeled images are left"):
        entropy(torch.full((4, 2), 0.5), 3, torch.tensor([True, True, False, False]))
