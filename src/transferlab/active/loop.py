"""The active-learning loop: train on the labeled set, score the pool, query, label, repeat.

The loop knows neither Lightning's CLI nor a dataset's files: ``train(labeled, round)``
(given by the command) fits any transferlab method on the labeled positions of the pool
and returns the model with its test accuracy; ``annotate(indices)`` returns their labels
(a simulated annotator reads the known labels). The state (labeled positions, round,
history) is written after every round, atomically, so an interrupted loop resumes where it
stopped and ends as an uninterrupted one would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from transferlab.active import strategies

NEEDS = {
    "random": "nothing",
    "least_confident": "probabilities",
    "margin": "probabilities",
    "entropy": "probabilities",
    "bald": "dropout passes",
    "core_set": "features",
    "badge": "probabilities and features",
}


@dataclass
class LoopState:
    strategy: str
    query_size: int
    budget: int
    labeled: list[int]
    round: int = 0
    history: list[dict] = field(default_factory=list)

    def save(self, path: Path) -> None:
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(self), indent=1))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> LoopState:
        return cls(**json.loads(path.read_text()))


@torch.no_grad()
def score_pool(model: nn.Module, pool: Dataset, strategy: str, passes: int = 10) -> dict:
    """What ``strategy`` needs about every pool image, in pool order."""
    need = NEEDS[strategy]
    loader = DataLoader(pool, batch_size=512)
    probabilities, features, dropout = [], [], []
    model.eval()
    for images, _ in loader:
        feats = model.features(images)
        probabilities.append(model.classify(feats).softmax(1))
        features.append(feats)
        if need == "dropout passes":
            dropout.append(torch.stack([mc_dropout(model, images) for _ in range(passes)]))
    scores = {"probabilities": torch.cat(probabilities), "features": torch.cat(features)}
    if dropout:
        scores["passes"] = torch.cat(dropout, dim=1)
    return scores


def mc_dropout(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """One stochastic pass: dropout layers on, everything else (BatchNorm) in eval mode."""
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout) and m.p > 0]
    if not dropouts:
        raise ValueError("BALD needs dropout in the network (e.g. --model.init_args.drop_rate 0.3)")
    for layer in dropouts:
        layer.train()
    try:
        return model(images).softmax(1)
    finally:
        for layer in dropouts:
            layer.eval()


def query(strategy: str, scores: dict, budget: int, labeled: torch.Tensor, seed: int):
    generator = torch.Generator().manual_seed(seed)
    if strategy == "random":
        return strategies.random_query(len(labeled), budget, labeled, generator)
    if strategy == "bald":
        return strategies.bald(scores["passes"], budget, labeled)
    if strategy == "core_set":
        return strategies.core_set(scores["features"], budget, labeled)
    if strategy == "badge":
        embeddings = strategies.badge_embeddings(scores["probabilities"], scores["features"])
        return strategies.badge(embeddings, budget, labeled, generator)
    return strategies.STRATEGIES[strategy](scores["probabilities"], budget, labeled)


def run_loop(
    state_path: Path,
    initial: list[int],
    strategy: str,
    query_size: int,
    budget: int,
    pool: Dataset,
    train: Callable[[list[int], int], tuple[nn.Module, dict]],
    annotate: Callable[[list[int]], list[int]] | None = None,
    seed: int = 0,
    passes: int = 10,
    max_rounds: int | None = None,
) -> LoopState:
    """Rounds until ``budget`` labels (or ``max_rounds`` more rounds); resumes from
    ``state_path`` when it exists. Each round trains, records the model's numbers, queries
    ``query_size`` more pool positions and has them annotated."""
    if strategy not in NEEDS:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(NEEDS)}")
    if state_path.exists():
        state = LoopState.load(state_path)
        if (state.strategy, state.query_size, state.budget) != (strategy, query_size, budget):
            raise ValueError(
                f"{state_path} holds a loop with strategy={state.strategy}, query_size="
                f"{state.query_size}, budget={state.budget}: use another state folder"
            )
    else:
        state = LoopState(strategy, query_size, budget, sorted(initial))
        state_path.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    finished = bool(state.history) and state.history[-1]["labels"] >= budget
    while not finished and (max_rounds is None or done < max_rounds):
        start = time.perf_counter()
        model, metrics = train(state.labeled, state.round)
        record = {"round": state.round, "labels": len(state.labeled), **metrics}
        if len(state.labeled) >= budget:
            state.history.append({**record, "seconds": time.perf_counter() - start})
            state.round += 1
            state.save(state_path)
            break
        labeled = strategies.labeled_mask(torch.tensor(state.labeled), len(pool))
        size = min(query_size, budget - len(state.labeled))
        scores = score_pool(model, pool, strategy, passes)
        chosen = query(strategy, scores, size, labeled, seed + state.round).tolist()
        if annotate is not None:
            annotate(chosen)
        state.labeled = sorted([*state.labeled, *chosen])
        state.history.append({**record, "queried": chosen, "seconds": time.perf_counter() - start})
        state.round += 1
        state.save(state_path)
        done += 1
        print(
            f"round {record['round']}: {record['labels']} labels, "
            + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
            + f"; queried {len(chosen)} by {strategy}",
            flush=True,
        )
    return state
