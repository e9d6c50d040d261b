"""Samples/s of the DANN training loop: Lightning vs the same model in a plain PyTorch loop.

    python benchmarks/throughput.py [--steps 200] [--warmup 30] [--repeats 5]

Both loops run the identical ``DANN.training_step`` on identical batches from the same
DataLoaders, with the same optimizer and scheduler; Lightning adds its loop, logging
calls and hooks. The Lightning loop is timed bare (no logger, progress bar or callbacks),
with each default of ``transferlab fit`` added alone (CSV logger, offline W&B logger, rich
progress bar), and with all of them plus the config's callbacks: what a user runs; and
bare with every training-step value filed by Lightning, which ``MethodModule.log`` skips
on the steps no logger writes (what that saves). The
loops are interleaved, in a rotating order, so that a drift in the machine's load hits all
of them; each repeat's ratio is against the plain loop of the same repeat, and the table
gives the median and the range of those ratios. Validation is off in every loop (this
times the training loop). Writes ``benchmarks/results/throughput.{json,md}``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import lightning as L

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write  # noqa: E402

from transferlab.commands.cli import TransferLabCLI  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs/dann/mnist_to_mnistm.yaml")
NO_LOGGER = "--trainer.logger=false"
NO_BAR = "--trainer.enable_progress_bar=false"
NO_CALLBACKS = "--trainer.callbacks=[]"
NO_CHECKPOINT = "--trainer.enable_checkpointing=false"
CSV = (
    '--trainer.logger=[{"class_path": "lightning.pytorch.loggers.CSVLogger", '
    '"init_args": {"save_dir": "runs"}}]'
)
WANDB = (
    '--trainer.logger=[{"class_path": "lightning.pytorch.loggers.WandbLogger", '
    '"init_args": {"project": "transferlab", "save_dir": "runs"}}]'
)
# the bare loop with every training-step value filed by Lightning, as before
# MethodModule.log dropped the ones no logger writes
UNFILTERED = "Lightning, bare, every step's values logged"
# what each Lightning loop changes from the config; "plain" is the loop below
LOOPS = {
    "plain PyTorch": None,
    "Lightning, bare": [NO_LOGGER, NO_BAR, NO_CALLBACKS, NO_CHECKPOINT],
    UNFILTERED: [NO_LOGGER, NO_BAR, NO_CALLBACKS, NO_CHECKPOINT],
    "Lightning + CSV logger": [CSV, NO_BAR, NO_CALLBACKS, NO_CHECKPOINT],
    "Lightning + W&B logger (offline)": [WANDB, NO_BAR, NO_CALLBACKS, NO_CHECKPOINT],
    "Lightning + rich progress bar": [NO_LOGGER, NO_CALLBACKS, NO_CHECKPOINT],
    "Lightning, transferlab fit defaults": [],
}
DEFAULTS = "Lightning, transferlab fit defaults"


class StepClock(L.Callback):
    """Wall time from the end of the warm-up steps to the end of the last step."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.stop = warmup, 0.0, 0.0

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.warmup:
            self.start = time.perf_counter()
        self.stop = time.perf_counter()


def build(steps: int, seed: int, root: str, *changes: str):
    """DANN's config for ``steps`` training steps without validation; ``changes`` switch
    the loggers, the progress bar and the callbacks off or on."""
    return TransferLabCLI(
        args=[
            "-c",
            CONFIG,
            f"--seed_everything={seed}",
            f"--trainer.max_steps={steps}",
            "--trainer.max_epochs=-1",
            "--trainer.limit_val_batches=0",
            "--trainer.num_sanity_val_steps=0",
            f"--trainer.default_root_dir={root}",
            *changes,
        ],
        run=False,
    )


def lightning_samples_per_second(
    steps: int, warmup: int, seed: int, changes: list[str], unfiltered: bool = False
):
    with tempfile.TemporaryDirectory() as root:
        cli = build(steps, seed, root, *changes)
        if unfiltered:
            cli.model._step_value_goes_unseen = lambda options: False
        clock = StepClock(warmup)
        cli.trainer.callbacks.append(clock)
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)
        for logger in cli.trainer.loggers:
            if hasattr(logger, "experiment") and hasattr(logger.experiment, "finish"):
                logger.experiment.finish()  # close the W&B run before the folder goes
    batch = cli.datamodule.batch_size * 2
    return (steps - warmup) * batch / (clock.stop - clock.start)


def plain_samples_per_second(steps: int, warmup: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as root:
        cli = build(steps, seed, root, NO_LOGGER, NO_BAR, NO_CALLBACKS, NO_CHECKPOINT)
    model, data = cli.model, cli.datamodule
    data.setup("fit")
    model.__class__ = type("PlainLoopDANN", (type(model),), {"progress": 0.5})  # no trainer here
    optimizer = model.optimizer_factory(model.parameter_groups())
    scheduler = model.scheduler_factory(optimizer)
    scheduler.total_steps = steps
    model.log = lambda *a, **k: None  # noqa: E731  (no logger in a plain loop)
    model.log_dict = lambda *a, **k: None  # noqa: E731
    model.train()
    step, start = 0, 0.0
    while step < steps:
        for batch, _, _ in data.train_dataloader():
            loss = model.training_step(batch, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if step == warmup:
                start = time.perf_counter()
            if step == steps:
                break
    batch = data.batch_size * 2
    return (steps - warmup) * batch / (time.perf_counter() - start)


def table(payload: dict) -> str:
    args, rates = payload["args"], payload["samples_per_second"]
    lines = [
        f"DANN training loop, digit_cnn, batch 64+64, {args['steps'] - args['warmup']} timed "
        f"steps, {args['repeats']} interleaved repeats ({payload['machine']['cpu_threads']} CPU "
        "threads); ratio = samples/s over the plain loop's in the same repeat.",
        "",
        "| loop | samples/s (median) | ratio (median) | ratio (min – max) |",
        "|---|---|---|---|",
    ]
    for label, values in rates.items():
        ratios = payload["ratios"].get(label)
        spread = f"{min(ratios):.3f} – {max(ratios):.3f}" if ratios else "—"
        ratio = f"{statistics.median(ratios):.3f}" if ratios else "1"
        lines.append(f"| {label} | {statistics.median(values):.0f} | {ratio} | {spread} |")
    goal = statistics.median(payload["ratios"][DEFAULTS])
    verdict = "reached" if goal >= 0.95 else "**not reached**"
    lines += ["", f"Goal ≥ 0.95 with the `transferlab fit` defaults: {verdict} ({goal:.3f})."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {label: [] for label in LOOPS}
    labels = list(LOOPS)
    for repeat in range(args.repeats):
        order = labels[repeat % len(labels) :] + labels[: repeat % len(labels)]
        for label in order:
            changes = LOOPS[label]
            rate = (
                plain_samples_per_second(args.steps, args.warmup, repeat)
                if changes is None
                else lightning_samples_per_second(
                    args.steps, args.warmup, repeat, changes, label == UNFILTERED
                )
            )
            rates[label].append(rate)
            print(f"repeat {repeat}: {label}: {rate:.0f} samples/s", flush=True)
    plain = rates["plain PyTorch"]
    ratios = {
        label: [rate / base for rate, base in zip(values, plain, strict=True)]
        for label, values in rates.items()
        if label != "plain PyTorch"
    }
    payload = {
        "machine": machine(),
        "args": vars(args),
        "samples_per_second": rates,
        "ratios": ratios,
    }
    write("throughput", payload, table(payload))


if __name__ == "__main__":
    main()
