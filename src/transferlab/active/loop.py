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
from transferlab.active.strategies import STRATEGIES, query
from transferlab.evaluation.inference import outputs_of


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
        wanted = ("features", "probabilities", *(("passes",) if self.passes else ()))
        return outputs_of(self.model, batch[0], wanted, self.passes)


def score_pool(model: nn.Module, pool: Dataset, strategy: str, passes: int = 10) -> dict:
    """What ``strategy`` needs about every pool image, in pool order (``Trainer.predict``)."""
    passes = passes if "passes" in STRATEGIES.entry(strategy).needs else 0
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
    STRATEGIES.entry(strategy)  # an unknown name is refused with the known ones
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
