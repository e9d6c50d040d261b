"""Run several configs with the same seed and compare them on the target test split.

    transferlab compare configs/source_only/mnist_to_mnistm.yaml \\
        configs/dann/mnist_to_mnistm.yaml configs/source_only/mnist_to_mnistm_oracle.yaml \\
        [--validators im snd dev]

Each run is an ordinary ``transferlab fit`` followed by ``test`` on the checkpoint its
protocol selected, so a number here is exactly what the CLI gives. Every row says which
protocol chose the checkpoint: ``source_val_acc`` (no target labels) or ``oracle_...``.
Options of the runs themselves (``--trainer.max_epochs=2``, ``--data.init_args...``)
override every config.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lightning.pytorch.loggers import WandbLogger

from transferlab.callbacks.checkpoint import SelectionCheckpoint
from transferlab.commands.cli import TransferLabCLI
from transferlab.commands.options import command_parser, parse, split_run_overrides
from transferlab.evaluation.selection import label_free_validators
from transferlab.evaluation.validators import LABEL_FREE_VALIDATORS


@dataclass
class RunResult:
    config: str
    method: str
    source: str
    target: str
    protocol: str
    seed: int
    target_test_acc: float
    source_test_acc: float
    select_score: float
    best_epoch: int
    fit_seconds: float
    other_test_metrics: dict[str, float]
    oracle_target_test_acc: float | None = None
    oracle_best_epoch: int | None = None
    checkpoint_path: str = ""
    validator_target_test_acc: dict[str, float] = field(default_factory=dict)
    validator_best_epoch: dict[str, int] = field(default_factory=dict)
    test_images: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.method} (oracle)" if self.protocol.startswith("oracle") else self.method


def run_config(
    config: str,
    seed: int = 0,
    overrides: list[str] | tuple[str, ...] = (),
    oracle_selection: bool = False,
    validators: tuple[str, ...] = (),
    resume_from: str | None = None,
    prepare=None,
) -> RunResult:
    """fit + test one config; returns the test accuracies of the selected checkpoint.

    ``oracle_selection`` also reports, from the *same* training run, the checkpoint that
    target validation accuracy would have chosen (the oracle protocol), so the two
    protocols can be compared without training twice. Training never sees target labels
    either way; only a second ``ModelCheckpoint`` reads ``val/target_acc``. Likewise each
    label-free validator in ``validators`` (``im``, ``snd``, ``dev``) gets its own
    checkpoint on ``val/<name>``, tested beside the config's own choice.

    ``resume_from`` (a ``last.ckpt`` of the same run, stopped part-way) continues that
    run where it stopped; every selection keeps the epochs it had already scored.
    ``prepare(cli)`` may change the built run before it trains.
    """
    validators = label_free_validators(validators)  # refused before anything is built
    if oracle_selection:
        overrides = [*overrides, "--data.init_args.target_val_labels=true"]
    cli = TransferLabCLI(args=["-c", config, f"--seed_everything={seed}", *overrides], run=False)
    if prepare is not None:
        prepare(cli)
    oracle_checkpoint = None
    if oracle_selection and not cli.model.hparams.oracle:
        oracle_checkpoint = SelectionCheckpoint(
            monitor="val/target_acc", mode="max", filename="oracle-{epoch}"
        )
        cli.trainer.callbacks.append(oracle_checkpoint)
    validator_checkpoints = {}
    if validators and not cli.model.hparams.oracle:
        if not hasattr(cli.model, "selection"):
            raise ValueError(
                f"{type(cli.model).__name__} does not classify: label-free validators score "
                "a classifier's predictions"
            )
        cli.model.selection.reported = validators
        for name in validators:
            validator_checkpoints[name] = SelectionCheckpoint(
                monitor=f"val/{name}", mode="max", filename=f"{name}-{{epoch}}"
            )
        cli.trainer.callbacks.extend(validator_checkpoints.values())
    start = time.perf_counter()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=resume_from, weights_only=True)
    fit_seconds = time.perf_counter() - start
    checkpoint = cli.trainer.checkpoint_callback
    best_path = checkpoint.best_model_path if checkpoint is not None else ""
    best_score = float(checkpoint.best_model_score) if best_path else float("nan")
    # read before testing: loading a checkpoint restores the callbacks' state from it
    oracle_path = oracle_checkpoint.best_model_path if oracle_checkpoint else ""
    validator_paths = {name: c.best_model_path for name, c in validator_checkpoints.items()}
    metrics = _test(cli, best_path)
    oracle_metrics = _test(cli, oracle_path) if oracle_path else {}
    validator_accuracy = {
        name: float(_test(cli, path)["test/target_acc"]) for name, path in validator_paths.items()
    }
    for logger in cli.trainer.loggers:
        if isinstance(logger, WandbLogger):  # else the next run would log into this one
            logger.experiment.finish()
    best_epoch = _epoch_of(best_path) if best_path else cli.trainer.current_epoch - 1
    return RunResult(
        config=config,
        method=type(cli.model).__name__,
        source=cli.datamodule.source,
        target=cli.datamodule.target,
        protocol=cli.model.selection_protocol,
        seed=seed,
        target_test_acc=float(metrics.get("test/target_acc", "nan")),  # nan: no classifier
        source_test_acc=float(metrics.get("test/source_acc", "nan")),
        select_score=best_score,
        best_epoch=best_epoch,
        fit_seconds=round(fit_seconds, 2),
        other_test_metrics={
            key: float(value)
            for key, value in metrics.items()
            if key not in ("test/target_acc", "test/source_acc")
        },
        oracle_target_test_acc=(
            float(oracle_metrics["test/target_acc"]) if oracle_metrics else None
        ),
        oracle_best_epoch=_epoch_of(oracle_path) if oracle_path else None,
        checkpoint_path=best_path,
        validator_target_test_acc=validator_accuracy,
        validator_best_epoch={name: _epoch_of(path) for name, path in validator_paths.items()},
        test_images=_test_images(cli.datamodule),
    )


def _test(cli: TransferLabCLI, checkpoint_path: str) -> dict[str, float]:
    """Test metrics of one checkpoint (the last weights when there is none)."""
    per_loader = cli.trainer.test(
        cli.model,
        datamodule=cli.datamodule,
        ckpt_path=checkpoint_path or None,
        weights_only=True,
        verbose=False,
    )
    return {key: value for loader in per_loader for key, value in loader.items()}


def _test_images(data) -> dict[str, int]:
    """How many test images stand behind each domain's accuracy."""
    if not hasattr(data, "eval_loaders"):
        return {}
    return {domain: len(loader.dataset) for domain, loader in data.eval_loaders("test").items()}


def _epoch_of(checkpoint_path: str) -> int:
    stem = Path(checkpoint_path).stem  # best-epoch=7
    return int(stem.split("epoch=")[-1].split("-")[0]) if "epoch=" in stem else -1


def format_table(results: list[RunResult], validators: tuple[str, ...] = ()) -> str:
    """A markdown table, one row per run; a column per label-free validator asked for (the
    target test accuracy of the checkpoint it chose, and its epoch; '–' under the oracle)."""
    extra = "".join(f" target test acc by {name.upper()} (epoch) |" for name in validators)
    lines = [
        "| method | task | target test acc | source test acc | selected by | epoch | fit s |"
        + extra,
        "|---|---|---|---|---|---|---|" + "---|" * len(validators),
    ]
    for r in results:
        chosen = "".join(
            f" {100 * r.validator_target_test_acc[name]:.2f} ({r.validator_best_epoch[name]}) |"
            if name in r.validator_target_test_acc
            else " – |"
            for name in validators
        )
        lines.append(
            f"| {r.label} | {r.source} → {r.target} | {100 * r.target_test_acc:.2f} | "
            f"{100 * r.source_test_acc:.2f} | {r.protocol} | {r.best_epoch} | "
            f"{r.fit_seconds:.0f} |{chosen}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[RunResult]:
    own, overrides = split_run_overrides(sys.argv[1:] if argv is None else argv)
    parser = command_parser("compare", __doc__)
    parser.add_argument("configs", nargs="+", help="experiment YAML files, run in order")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=str | None, help="also write the results here")
    parser.add_argument("--markdown", type=str | None, help="also write the table here")
    parser.add_argument(
        "--validators",
        nargs="+",
        default=[],
        choices=LABEL_FREE_VALIDATORS,
        help="also test the checkpoint each of these label-free validators would choose",
    )
    args = parse(parser, own)
    validators = tuple(args.validators)
    results = [
        run_config(config, args.seed, overrides, validators=validators) for config in args.configs
    ]
    table = format_table(results, validators)
    print("\n" + table)
    for path, text in ((args.markdown, table + "\n"), (args.json, to_json(results))):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
    written = [path for path in (args.json, args.markdown) if path]
    print(f"runs in {', '.join(sorted({_run_folder(r) for r in results}))}", end="")
    print(f"; table in {', '.join(written)}" if written else "")
    return results


def to_json(results: list[RunResult]) -> str:
    return json.dumps([asdict(r) for r in results], indent=2)


def _run_folder(result: RunResult) -> str:
    """The run's folder (``runs/<name>/version_<n>``), from its checkpoint's path."""
    path = Path(result.checkpoint_path)
    return str(path.parent.parent) if result.checkpoint_path else "(no checkpoint)"


if __name__ == "__main__":
    main()
