"""``transferlab-active -c configs/active/mnist_entropy.yaml``: active learning from the CLI.

The YAML is a ``transferlab fit`` config (any method on ``SemiSupervisedDigits`` or
``SemiSupervisedImageFolder``) with one more section, ``active:``::

    active:
      strategy: entropy        # random, least_confident, margin, entropy, bald, core_set, badge
      initial_per_class: 2     # labels per class to start from (drawn with the seed)
      query_size: 10           # labels added per round
      budget: 60               # labels at the end
      warm_start: false        # each round starts from the last round's weights (init_from)
      mc_passes: 10            # dropout passes for BALD
      output: runs/active/mnist_entropy

Every round runs ``Trainer.fit`` on the labeled positions of the training split
(``data.init_args.labeled_indices``; a semi-supervised method also trains on the unlabeled
rest), tests the checkpoint its protocol selected, scores the pool and queries. The offline
data's known labels answer the queries (a simulated annotator). ``state.json`` in
``output`` is rewritten after every round: run the same command again to resume. A
learning curve (``curve.png``) is drawn at the end.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from transferlab.active.loop import NEEDS, run_loop
from transferlab.commands.cli import TransferLabCLI
from transferlab.data.datasets import per_class_subset
from transferlab.evaluation.plots import save_learning_curves
from transferlab.methods.base import load_method

ACTIVE_KEYS = {
    "strategy",
    "initial_per_class",
    "query_size",
    "budget",
    "warm_start",
    "mc_passes",
    "output",
}
QUIET = ["--trainer.logger=false", "--trainer.enable_progress_bar=false"]


def read_config(path: str | Path) -> tuple[dict, dict]:
    """The ``active`` section (checked) and the fit config without it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config {path} does not exist")
    config = yaml.safe_load(path.read_text())
    active = config.pop("active", None) if isinstance(config, dict) else None
    if not isinstance(active, dict):
        raise ValueError(f"{path} has no 'active:' section")
    unknown = set(active) - ACTIVE_KEYS
    if unknown:
        raise ValueError(
            f"{path}: unknown active keys {sorted(unknown)}; known: {sorted(ACTIVE_KEYS)}"
        )
    if active.get("strategy") not in NEEDS:
        raise ValueError(
            f"{path}: active.strategy={active.get('strategy')!r}; choose from {', '.join(NEEDS)}"
        )
    defaults = {"initial_per_class": 2, "query_size": 10, "budget": 100, "warm_start": False}
    defaults |= {"mc_passes": 10, "output": f"runs/active/{path.stem}"}
    return {**defaults, **active}, config


def fit_round(fit_config: Path, labeled: list[int], round_: int, active: dict, extra, seed):
    """One ``transferlab fit`` + ``test`` on the labeled positions; the selected model and
    its test accuracy."""
    output = Path(active["output"])
    args = [
        "-c",
        str(fit_config),
        *QUIET,
        *extra,
        f"--data.init_args.labeled_indices={json.dumps(labeled)}",
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
    return model, {"test_acc": float(test["test/source_acc"]), "select_score": score}


def main(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(prog="transferlab-active", description=__doc__)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max_rounds", type=int, help="stop after this many rounds")
    args, extra = parser.parse_known_args(argv)
    active, fit = read_config(args.config)
    output = Path(active["output"])
    output.mkdir(parents=True, exist_ok=True)
    fit_config = output / "fit_config.yaml"
    fit_config.write_text(yaml.safe_dump(fit))

    data = TransferLabCLI(args=["-c", str(fit_config), *QUIET, *extra], run=False).datamodule
    pool, labels = data.training_pool()
    initial, _ = per_class_subset(labels, active["initial_per_class"], args.seed)
    state = run_loop(
        output / "state.json",
        initial,
        active["strategy"],
        active["query_size"],
        active["budget"],
        pool,
        lambda labeled, round_: fit_round(fit_config, labeled, round_, active, extra, args.seed),
        seed=args.seed,
        passes=active["mc_passes"],
        max_rounds=args.max_rounds,
    )
    curve = [(h["labels"], 100 * h["test_acc"]) for h in state.history]
    save_learning_curves({active["strategy"]: curve}, output / "curve.png")
    print(f"state: {output / 'state.json'}; learning curve: {output / 'curve.png'}")
    return state


if __name__ == "__main__":
    main()
