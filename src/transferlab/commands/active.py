"""``transferlab active -c configs/active/mnist_entropy.yaml``: active learning from the CLI.

The YAML is a ``transferlab fit`` config with one more section, ``active:``. With
``SemiSupervisedDigits`` or ``SemiSupervisedImageFolder`` the pool is the labeled domain's
training split (any method; a semi-supervised one also trains on the unlabeled rest). With
a two-domain ``DigitDomains`` / ``ImageFolderDomains`` the pool is the *target* training
split and the queried target labels join training (active domain adaptation: DANN, SHOT,
any method that trains on labeled target images); the test reports target accuracy::

    active:
      strategy: entropy        # random, least_confident, margin, entropy, bald, core_set, badge
      initial_per_class: 2     # labels per class to start from (drawn with the seed);
                               # 0: a cold start, the first batch chosen unseen
      cold_start_size: 20      # its size: k-center greedy on the untrained model's
                               # features (set model.init_args.weights to a pretrained
                               # or SimCLR backbone to make them meaningful)
      query_size: 10           # labels added per round
      budget: 60               # labels at the end
      warm_start: false        # each round starts from the last round's weights (init_from)
      mc_passes: 10            # dropout passes for BALD
      score_subset: 0          # > 0: score only this many random unlabeled images per
                               # round (plus the labeled ones), for large pools
      annotator: simulated     # or csv: a person labels each query in a CSV file
      wandb: true              # one W&B run for the loop (offline without a key)
      output: runs/active/mnist_entropy

Every round runs ``Trainer.fit`` on the labeled positions of the pool
(``data.init_args.labeled_indices`` and the labels given so far,
``data.init_args.annotations``; a semi-supervised method also trains on the unlabeled
rest), tests the checkpoint its protocol selected, scores the pool with ``Trainer.predict``
and queries. ``annotator: simulated`` answers from the offline data's known labels;
``annotator: csv`` writes ``output/queries/round_<r>.csv`` and stops: fill in its ``label``
column with class names and run the same command again. On your own images
(``SemiSupervisedImageFolder`` with ``unlabeled_domain`` a flat folder of unlabeled
images) the pool is the labeled training images plus that folder. ``state.json`` in
``output`` is rewritten after every round: run the same command again to resume. A
learning curve (``curve.png``) is drawn at the end.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml
from jsonargparse import ArgumentParser, Namespace

from transferlab.active.annotation import CsvAnnotator, SimulatedAnnotator
from transferlab.active.loop import run_loop, score_pool
from transferlab.active.strategies import STRATEGIES, core_set
from transferlab.checkpoints import load_method
from transferlab.commands.cli import (
    QUIET_TRAINER,
    TransferLabCLI,
    use_wandb_offline_without_key,
)
from transferlab.commands.options import RUN_SECTIONS, command_parser, split_run_overrides
from transferlab.commands.options import parse as parse_options
from transferlab.data.datasets import per_class_subset
from transferlab.evaluation.plots import save_learning_curves

ANNOTATORS = ("simulated", "csv")


@dataclass
class ActiveOptions:
    """The ``active:`` section (see the module's docstring for what each key does)."""

    strategy: str
    initial_per_class: int = 2
    cold_start_size: int = 20
    query_size: int = 10
    budget: int = 100
    warm_start: bool = False
    mc_passes: int = 10
    score_subset: int = 0
    annotator: str = "simulated"
    wandb: bool = False
    output: str | None = None


def active_parser() -> ArgumentParser:
    """``-c`` takes the whole YAML: its ``active:`` section is this command's, the rest is
    the fit config each round runs (kept as written, and checked by LightningCLI)."""
    parser = command_parser("active", __doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max_rounds", type=int | None, default=None, help="stop after this")
    parser.add_class_arguments(ActiveOptions, "active")
    for section in RUN_SECTIONS:
        parser.add_argument(f"--{section}", type=dict | int | bool | str | None, default=None)
    return parser


def parse(argv: list[str]) -> tuple[Namespace, dict, dict]:
    """(this command's options, the ``active`` section, the fit config without it)."""
    own, overrides = split_run_overrides(argv)
    args = parse_options(active_parser(), own)
    active = args.active.as_dict()
    if active["strategy"] not in STRATEGIES:
        raise ValueError(
            f"active.strategy={active['strategy']!r}; choose from {', '.join(STRATEGIES.names())}"
        )
    if active["annotator"] not in ANNOTATORS:
        raise ValueError(
            f"active.annotator={active['annotator']!r}; choose from {', '.join(ANNOTATORS)}"
        )
    name = Path(args.config[-1].relative).stem if args.config else "loop"
    active["output"] = active["output"] or f"runs/active/{name}"
    fit = {section: args[section] for section in RUN_SECTIONS if args[section] is not None}
    return args, active, {"fit": fit, "overrides": overrides, "name": name}


def read_config(path: str | Path) -> tuple[dict, dict]:
    """The ``active`` section (checked, defaults filled in) and the fit config without it."""
    _, active, run = parse(["-c", str(path)])
    return active, run["fit"]


def fit_round(fit_config: Path, labeled, annotations, round_: int, active: dict, extra, seed):
    """One ``transferlab fit`` + ``test`` on the labeled positions; the selected model and
    its test accuracy."""
    output = Path(active["output"])
    labeled_key, annotations_key = active["pool_arguments"]
    args = [
        "-c",
        str(fit_config),
        *QUIET_TRAINER,
        *extra,
        f"--data.init_args.{labeled_key}={json.dumps(labeled)}",
        f"--data.init_args.{annotations_key}={json.dumps(annotations)}",
        f"--seed_everything={seed + round_}",
        f"--trainer.default_root_dir={output / 'rounds'}",
        f"--run_name=round_{round_}",
    ]
    previous = sorted(
        (output / "rounds" / f"round_{round_ - 1}").glob("version_*/checkpoints/last.ckpt")
    )
    if active["warm_start"] and previous:
        args.append(f"--model.init_args.init_from={previous[-1]}")
    cli = TransferLabCLI(args=args, run=False)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    best = cli.trainer.checkpoint_callback.best_model_path
    per_loader = cli.trainer.test(
        cli.model, datamodule=cli.datamodule, ckpt_path=best, weights_only=True, verbose=False
    )
    test = {key: value for metrics in per_loader for key, value in metrics.items()}
    model, _ = load_method(best)
    score = float(cli.trainer.checkpoint_callback.best_model_score)
    test_acc = float(test[f"test/{active['pool_role']}_acc"])
    return model, {"test_acc": test_acc, "select_score": score}


def cold_start_batch(fit_config: Path, extra, pool, size: int) -> list[int]:
    """The first batch of a loop without labels: k-center greedy (core-set) on the features
    of the configured network before any training, so the batch covers the pool."""
    model = TransferLabCLI(args=["-c", str(fit_config), *QUIET_TRAINER, *extra], run=False).model
    features = score_pool(model, pool, "core_set")["features"]
    return core_set(features, size, torch.zeros(len(pool), dtype=torch.bool)).tolist()


def log_to_wandb(records: list[dict], output: Path, name: str) -> None:
    """One W&B run per loop (resumed by its id on the next call): the numbers of the rounds
    of this call, stepped by the number of labels, and the learning curve."""
    from lightning.pytorch.loggers import WandbLogger

    use_wandb_offline_without_key()
    logger = WandbLogger(
        project="transferlab",
        save_dir=str(output),
        name=f"active/{name}",
        id=f"active-{name}",
        resume="allow",
    )
    for record in records:
        numbers = {k: v for k, v in record.items() if isinstance(v, int | float)}
        logger.log_metrics({f"active/{k}": v for k, v in numbers.items()}, step=record["labels"])
    if (output / "curve.png").is_file():
        logger.log_image("active/curve", images=[str(output / "curve.png")])
    logger.experiment.finish()


def main(argv: list[str] | None = None):
    args, active, run = parse(sys.argv[1:] if argv is None else argv)
    extra = run["overrides"]
    output = Path(active["output"])
    output.mkdir(parents=True, exist_ok=True)
    fit_config = output / "fit_config.yaml"
    fit_config.write_text(yaml.safe_dump(run["fit"]))

    data = TransferLabCLI(
        args=["-c", str(fit_config), *QUIET_TRAINER, *extra], run=False
    ).datamodule
    pool, labels = data.training_pool()
    active |= {"pool_role": data.pool_role, "pool_arguments": data.pool_arguments}
    known = (labels >= 0).nonzero().flatten()
    initial, cold_start = [], None
    if active["initial_per_class"] > 0:
        chosen, _ = per_class_subset(labels[known], active["initial_per_class"], args.seed)
        initial = known[chosen].tolist()
    else:
        size = active["cold_start_size"]
        cold_start = functools.partial(cold_start_batch, fit_config, extra, pool, size)
    if active["annotator"] == "csv":
        annotator = CsvAnnotator(output / "queries", pool, data.classes)
    else:
        annotator = SimulatedAnnotator(labels)
    state_file = output / "state.json"
    logged = len(json.loads(state_file.read_text())["history"]) if state_file.exists() else 0
    state = run_loop(
        output / "state.json",
        initial,
        active["strategy"],
        active["query_size"],
        active["budget"],
        pool,
        lambda labeled, given, round_: fit_round(
            fit_config, labeled, given, round_, active, extra, args.seed
        ),
        annotator,
        seed=args.seed,
        passes=active["mc_passes"],
        max_rounds=args.max_rounds,
        cold_start=cold_start,
        score_subset=active["score_subset"],
    )
    curve = [(h["labels"], 100 * h["test_acc"]) for h in state.history]
    if curve:
        save_learning_curves({active["strategy"]: curve}, output / "curve.png")
    if active["wandb"]:
        log_to_wandb(state.history[logged:], output, run["name"])
    waiting = f"; waiting for {annotator.path(state.round - 1)}" if state.pending else ""
    if state.history:
        last = state.history[-1]
        print(
            f"round {len(state.history) - 1}: {last['labels']} labels, {active['pool_role']} "
            f"test acc {100 * last['test_acc']:.2f} (the checkpoint its protocol selected)"
        )
    print(f"state: {output / 'state.json'}; learning curve: {output / 'curve.png'}{waiting}")
    return state


if __name__ == "__main__":
    main()
