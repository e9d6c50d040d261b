"""Active learning: which unlabeled images a person should label next.

``strategies``: the query strategies as pure functions on tensors (scores, Monte-Carlo
dropout passes or features in, pool indices out); they know nothing of Lightning or data.
"""

from transferlab.active.strategies import (
    STRATEGIES,
    badge,
    badge_embeddings,
    bald,
    core_set,
    entropy,
    least_confident,
    margin,
    random_query,
)

__all__ = [
    "STRATEGIES",
    "badge",
    "badge_embeddings",
    "bald",
    "core_set",
    "entropy",
    "least_confident",
    "margin",
    "random_query",
]
