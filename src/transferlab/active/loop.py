"""The active-learning loop: train on the labeled set, score the pool, query, label, repeat.

The loop knows neither Lightning's CLI nor a dataset's files: ``train(labeled,
annotations, round)`` (given by the command) fits any transferlab method on the labeled
positions of the pool and returns the model with its test accuracy; an annotator
(:mod:`transferlab.active.annotation`) answers the queries, at once (the known labels of
the offline data) or on the next call (a person filling in a CSV file). The pool is scored
with ``Trainer.predict``, so it runs on whatever accelerator is there. The state (labeled
positions, the labels given, a query still waiting for its answers, round, history) is
written after every round, atomically, so an interrupted loop resumes where it stopped and
ends as an uninterrupted one would.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from transferlab.active import strategies
from transferlab.active.annotation import CsvAnnotator, SimulatedAnnotator

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
    annotations: dict[str, int] = field(default_factory=dict)  # position -> label given
    pending: list[int] = field(default_factory=list)  # queried, answers not in yet

    def add(self, answers: dict[int, int]) -> None:
        self.labeled = sorted({*self.labeled, *answers})
        self.annotations |= {str(p): int(label) for p, label in answers.items()}
        self.pending = []

    def save(self, path: Path) -> None:
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(self), indent=1))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> LoopState:
        return cls(**json.loads(path.read_text()))


class PoolScorer(L.LightningModule):
    """Wraps a trained method for ``Trainer.predict``: what the strategies need per image."""

    def __init__(self, model: nn.Module, passes: int) -> None:
        super().__init__()
        self.model, self.passes = model, passes

    def predict_step(self, batch, batch_idx: int) -> dict[str, torch.Tensor]:
        images = batch[0]
        features = self.model.features(images)
        scores = {"probabilities": self.model.classify(features).softmax(1), "features": features}
        if self.passes:
            scores["passes"] = dropout_passes(self.model, images, self.passes)
        return scores


def score_pool(model: nn.Module, pool: Dataset, strategy: str, passes: int = 10) -> dict:
    """What ``strategy`` needs about every pool image, in pool order (``Trainer.predict``)."""
    passes = passes if NEEDS[strategy] == "dropout passes" else 0
    quiet = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # the "GPU available" lines once a round are noise
    try:
        trainer = L.Trainer(
            accelerator="auto",
            devices=1,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        batches = trainer.predict(PoolScorer(model, passes), DataLoader(pool, batch_size=512))
    finally:
        quiet.setLevel(level)
    scores = {
        key: torch.cat([batch[key].cpu() for batch in batches], dim=1 if key == "passes" else 0)
        for key in batches[0]
    }
    return scores


def dropout_passes(model: nn.Module, images: torch.Tensor, passes: int) -> torch.Tensor:
    """``(passes, images, classes)`` softmaxes, each with fresh dropout masks.

    When the network's one dropout layer is its last feature layer (``drop_rate`` before the
    head, as in the digit CNN), everything before it is deterministic in eval mode: the
    features are computed once and only the dropout and the head rerun. That is the same
    distribution, and the same random draws, as full passes, for a fraction of the cost (the
    passes were most of a BALD round). Any other placement runs the whole network per pass.
    """
    dropouts = _dropout_layers(model)
    if len(dropouts) == 1:
        seen: dict[str, torch.Tensor] = {}
        hook = dropouts[0].register_forward_hook(
            lambda layer, inputs, output: seen.update(input=inputs[0], output=output)
        )
        try:
            features = model.features(images)
        finally:
            hook.remove()
        if seen.get("output") is features:
            p = dropouts[0].p
            return torch.stack(
                [
                    model.classify(nn.functional.dropout(seen["input"], p, True)).softmax(1)
                    for _ in range(passes)
                ]
            )
    return torch.stack([mc_dropout(model, images) for _ in range(passes)])


def _dropout_layers(model: nn.Module) -> list[nn.Dropout]:
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout) and m.p > 0]
    if not dropouts:
        raise ValueError("BALD needs dropout in the network (e.g. --model.init_args.drop_rate 0.3)")
    return dropouts


def mc_dropout(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """One stochastic pass: dropout layers on, everything else (BatchNorm) in eval mode."""
    dropouts = _dropout_layers(model)
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


def scored_positions(labeled: torch.Tensor, subset: int, seed: int) -> torch.Tensor:
    """The pool positions a round scores: all of them, or with ``subset`` a random
    ``subset`` of the unlabeled ones (a fresh draw each round, as BatchBALD scored a random
    part of its pool to keep rounds short) plus every labeled one, which core-set and BADGE
    measure distances to. Sorted, so a query maps back to pool positions."""
    unlabeled = (~labeled).nonzero().flatten()
    if not subset or subset >= len(unlabeled):
        return torch.arange(len(labeled))
    generator = torch.Generator().manual_seed(1_000_003 + seed)  # not the query's stream
    drawn = unlabeled[torch.randperm(len(unlabeled), generator=generator)[:subset]]
    return torch.cat([labeled.nonzero().flatten(), drawn]).sort().values


def run_loop(
    state_path: Path,
    initial: list[int],
    strategy: str,
    query_size: int,
    budget: int,
    pool: Dataset,
    train: Callable[[list[int], dict[int, int], int], tuple[nn.Module, dict]],
    annotator: SimulatedAnnotator | CsvAnnotator,
    seed: int = 0,
    passes: int = 10,
    max_rounds: int | None = None,
    cold_start: Callable[[], list[int]] | None = None,
    score_subset: int = 0,
) -> LoopState:
    """Rounds until ``budget`` labels (or ``max_rounds`` more rounds); resumes from
    ``state_path`` when it exists. Each round trains, records the model's numbers, queries
    ``query_size`` more pool positions and has them annotated; an annotator that answers
    later (a CSV file) ends the call, and the next call starts by reading its answers.
    ``cold_start()`` picks the first batch of a loop that starts without labels;
    ``score_subset`` > 0 scores only that many random unlabeled images per round."""
    if strategy not in NEEDS:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(NEEDS)}")
    fresh = not state_path.exists()
    state = load_or_start(state_path, initial, strategy, query_size, budget)
    if fresh and cold_start is not None:  # no labels yet: the first batch is chosen unseen
        state.pending = cold_start()
        answers = annotator.request(state.pending, None, -1)
        state.save(state_path)
        if answers is None:
            return state
    if state.pending:
        state.add(annotator.collect(state.pending, state.round - 1))  # raises: state unchanged
        state.save(state_path)
    done = 0
    finished = bool(state.history) and state.history[-1]["labels"] >= budget
    while not finished and (max_rounds is None or done < max_rounds):
        start = time.perf_counter()
        annotations = {int(p): label for p, label in state.annotations.items()}
        model, metrics = train(state.labeled, annotations, state.round)
        record = {"round": state.round, "labels": len(state.labeled), **metrics}
        if len(state.labeled) >= budget:
            state.history.append({**record, "seconds": time.perf_counter() - start})
            state.round += 1
            state.save(state_path)
            break
        labeled = strategies.labeled_mask(torch.tensor(state.labeled), len(pool))
        size = min(query_size, budget - len(state.labeled))
        scored = scored_positions(labeled, score_subset, seed + state.round)
        scores = score_pool(model, Subset(pool, scored.tolist()), strategy, passes)
        picked = query(strategy, scores, size, labeled[scored], seed + state.round)
        chosen = scored[picked].tolist()
        probabilities = torch.zeros(len(pool), scores["probabilities"].shape[1])
        probabilities[scored] = scores["probabilities"]
        answers = annotator.request(chosen, probabilities, state.round)
        state.history.append({**record, "queried": chosen, "seconds": time.perf_counter() - start})
        state.round += 1
        done += 1
        print(
            f"round {record['round']}: {record['labels']} labels, "
            + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
            + f"; queried {len(chosen)} by {strategy}",
            flush=True,
        )
        if answers is None:  # a person answers between two calls
            state.pending = chosen
            state.save(state_path)
            break
        state.add(answers)
        state.save(state_path)
    return state


def load_or_start(state_path: Path, initial, strategy: str, query_size: int, budget: int):
    if not state_path.exists():
        state_path.parent.mkdir(parents=True, exist_ok=True)
        return LoopState(strategy, query_size, budget, sorted(initial))
    state = LoopState.load(state_path)
    if (state.strategy, state.query_size, state.budget) != (strategy, query_size, budget):
        raise ValueError(
            f"{state_path} holds a loop with strategy={state.strategy}, query_size="
            f"{state.query_size}, budget={state.budget}: use another state folder"
        )
    return state
