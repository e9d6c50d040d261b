"""Samples/s of the DANN training loop: Lightning vs the same model in a plain PyTorch loop.

    python benchmarks/throughput.py [--steps 150] [--warmup 20] [--repeats 3]

Both loops run the identical ``DANN.training_step`` on identical batches from the same
DataLoaders, with the same optimizer and scheduler; Lightning adds its loop, logging
calls and hooks. The ratio says what Lightning's convenience costs. Writes
``benchmarks/results/throughput.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import lightning as L

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, mean_std, write  # noqa: E402

from transferlab.commands.cli import TransferLabCLI  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs/dann/mnist_to_mnistm.yaml")


class StepClock(L.Callback):
    """Wall time from the end of the warm-up steps to the end of the last step."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.stop = warmup, 0.0, 0.0

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.warmup:
            self.start = time.perf_counter()
        self.stop = time.perf_counter()


def build(steps: int, seed: int, *extra: str):
    """DANN's config for ``steps`` training steps, nothing else (no validation, logging,
    checkpoints); ``extra`` arguments (presets, a workload) come after the config."""
    cli = TransferLabCLI(
        args=[
            "-c",
            CONFIG,
            *extra,
            f"--seed_everything={seed}",
            f"--trainer.max_steps={steps}",
            "--trainer.max_epochs=-1",
            "--trainer.logger=false",
            "--trainer.enable_progress_bar=false",
            "--trainer.callbacks=[]",
            "--trainer.limit_val_batches=0",
            "--trainer.enable_checkpointing=false",
            "--trainer.num_sanity_val_steps=0",
            "--trainer.enable_model_summary=false",
        ],
        run=False,
    )
    return cli


def lightning_samples_per_second(steps: int, warmup: int, seed: int) -> float:
    cli = build(steps, seed)
    clock = StepClock(warmup)
    cli.trainer.callbacks.append(clock)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    batch = cli.datamodule.batch_size * 2
    return (steps - warmup) * batch / (clock.stop - clock.start)


def plain_samples_per_second(steps: int, warmup: int, seed: int) -> float:
    cli = build(steps, seed)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lightning, plain = [], []
    for repeat in range(args.repeats):  # interleaved, so drifting machine load hits both
        plain.append(plain_samples_per_second(args.steps, args.warmup, repeat))
        lightning.append(lightning_samples_per_second(args.steps, args.warmup, repeat))
    light, bare = mean_std(lightning), mean_std(plain)
    ratio = light[0] / bare[0]
    table = "\n".join(
        [
            f"DANN training loop, digit_cnn, batch 64+64, {args.steps - args.warmup} timed steps, "
            f"{args.repeats} repeats ({machine()['cpu_threads']} CPU threads).",
            "",
            "| loop | samples/s |",
            "|---|---|",
            f"| plain PyTorch | {bare[0]:.0f} ± {bare[1]:.0f} |",
            f"| Lightning | {light[0]:.0f} ± {light[1]:.0f} |",
            f"| ratio Lightning / plain | {ratio:.3f} |",
        ]
    )
    write(
        "throughput",
        {
            "machine": machine(),
            "lightning": lightning,
            "plain": plain,
            "ratio": ratio,
            "args": vars(args),
        },
        table,
    )


if __name__ == "__main__":
    main()
