"""The ``throughput`` and ``gpu_presets`` kinds: samples/s of a config's training steps.

Both build the row's config as ``transferlab fit`` builds it, train a fixed number of
steps with validation off (they time the training loop, nothing else), and start the clock
once the warm-up steps are done (``torch.compile`` compiles, the allocator settles).

``throughput``: does Lightning's loop cost anything over a plain PyTorch loop running the
same ``training_step`` on the same batches with the same optimizer and scheduler? Each row
is one loop (its overrides switch loggers, progress bar and callbacks on or off; option
``loop: plain`` drives the module by hand instead). Each seed is one repeat: the runner
times every row of a seed before the next seed, so a drift in the machine's load hits all
loops, and a row's ratio is taken over the baseline row's rate of the same repeat.

``gpu_presets``: speed and memory of the trainer presets of ``configs/trainer/`` (a row
each) on workloads (a task each): samples/s, peak GPU memory and the last training loss
(finite: the preset really trains). It needs CUDA; the runner refuses it on a machine
without, and ``transferlab bench all`` skips it there.
"""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path

import lightning as L

from transferlab.commands.bench.render import commits
from transferlab.commands.bench.runner import KINDS
from transferlab.commands.bench.spec import Run, Spec

LOOPS = ("lightning", "plain")


class StepClock(L.Callback):
    """Wall time from the end of the warm-up steps to the end of the last step."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.stop = warmup, 0.0, 0.0

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.warmup:
            self.start = time.perf_counter()
        self.stop = time.perf_counter()


class LastLoss(StepClock):
    """A StepClock that also keeps the last training loss (read each step, which waits for
    the GPU: only the presets' timing pays for it)."""

    loss = math.nan

    def on_train_batch_end(self, trainer, module, outputs, *args) -> None:
        super().on_train_batch_end(trainer)
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None:
            self.loss = float(loss.detach().float())


def build(config: str, seed: int, steps: int, root: Path, overrides: list[str]):
    """The config as ``transferlab fit`` builds it, for ``steps`` training steps and no
    validation; ``overrides`` (the row's) switch loggers, presets or workloads."""
    from transferlab.commands.cli import TransferLabCLI

    return TransferLabCLI(
        args=[
            "-c",
            config,
            f"--seed_everything={seed}",
            f"--trainer.max_steps={steps}",
            "--trainer.max_epochs=-1",
            "--trainer.limit_val_batches=0",
            "--trainer.num_sanity_val_steps=0",
            f"--trainer.default_root_dir={root}",
            *overrides,
        ],
        run=False,
    )


def samples_per_step(cli) -> int:
    """A domain-adaptation step sees a source and a target batch."""
    return cli.datamodule.batch_size * 2


def lightning_rate(cli, steps: int, warmup: int, log_every_step: bool) -> float:
    """Samples/s of ``trainer.fit``; ``log_every_step`` files every training-step value
    with Lightning, as before ``MethodModule.log`` skipped those no logger writes."""
    if log_every_step:
        cli.model._step_value_goes_unseen = lambda options: False
    clock = StepClock(warmup)
    cli.trainer.callbacks.append(clock)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    for logger in cli.trainer.loggers:
        if hasattr(logger, "experiment") and hasattr(logger.experiment, "finish"):
            logger.experiment.finish()  # close a W&B run before the next loop starts one
    return (steps - warmup) * samples_per_step(cli) / (clock.stop - clock.start)


def plain_rate(cli, steps: int, warmup: int) -> float:
    """Samples/s of the same module, optimizer, scheduler and batches in a hand-written
    loop: no trainer, no logging, nothing but the step."""
    model, data = cli.model, cli.datamodule
    data.setup("fit")
    # no trainer to tell the schedules how far training is: hold them at mid-training (a
    # stand-in class, not a method of its own: family_base keeps it out of the registry)
    stand_in = f"PlainLoop{type(model).__name__}"
    model.__class__ = type(stand_in, (type(model),), {"progress": 0.5}, family_base=True)
    optimizer = model.make_optimizer(model.parameter_groups())
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
    return (steps - warmup) * samples_per_step(cli) / (time.perf_counter() - start)


def ratios(runs: list[dict], label: str, base: str) -> list[float]:
    """``label``'s rate over ``base``'s, per repeat (seed) both have."""
    rates = {(r["label"], r["seed"]): r["samples_per_second"] for r in runs}
    seeds = sorted(s for (lab, s) in rates if lab == label and (base, s) in rates)
    return [rates[label, s] / rates[base, s] for s in seeds]


def throughput_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    """Median samples/s per loop, and the median and range of its per-repeat ratio over
    the baseline loop; a row with a ``goal`` option gets a verdict line."""
    base = spec.baseline[0]
    rows = [row for row in spec.rows if any(r["label"] == row.label for r in runs)]
    threads = sorted({str((r.get("provenance") or {}).get("threads", "?")) for r in runs})
    lines = [
        *([spec.caption, ""] if spec.caption else []),
        f"{spec.title}, batch {'+'.join(2 * [str(runs[0]['batch_size'])])}, "
        f"{'/'.join(sorted({str(r['timed_steps']) for r in runs}))} timed steps, "
        f"{len({r['seed'] for r in runs})} interleaved repeats ({', '.join(threads)} CPU "
        f"threads); ratio = samples/s over the {base} loop's in the same repeat.",
        "",
        "| loop | samples/s (median) | ratio (median) | ratio (min – max) | commit |",
        "|---|---|---|---|---|",
    ]
    verdicts = []
    for row in rows:
        mine = [r for r in runs if r["label"] == row.label]
        rate = statistics.median(r["samples_per_second"] for r in mine)
        over = ratios(runs, row.label, base)
        ratio = f"{statistics.median(over):.3f}" if over else "–"
        spread = f"{min(over):.3f} – {max(over):.3f}" if over else "–"
        if row.label == base:
            ratio, spread = "1", "—"
        lines.append(f"| {row.label} | {rate:.0f} | {ratio} | {spread} | {commits(mine)} |")
        goal = row.options.get("goal")
        if goal is not None and over:
            reached = "reached" if statistics.median(over) >= goal else "**not reached**"
            verdicts.append(
                f"Goal ≥ {goal:.2f} with {row.label}: {reached} ({statistics.median(over):.3f})."
            )
    return "\n".join([*lines, *([""] if verdicts else []), *verdicts])


@KINDS.register(
    "throughput",
    table=throughput_table,
    options={
        "steps": 200,
        "warmup": 30,
        "loop": "lightning",  # or "plain": the same module in a hand-written loop
        "log_every_step": False,
        "goal": None,  # a least ratio over the baseline loop, judged under the table
    },
)
def throughput(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    options = run.options
    if options["loop"] not in LOOPS:
        raise ValueError(f"{spec.path}: row {run.row.label}: loop is one of {', '.join(LOOPS)}")
    steps, warmup = options["steps"], options["warmup"]
    cli = build(str(spec.root / run.row.config), run.seed, steps, folder, overrides)
    rate = (
        plain_rate(cli, steps, warmup)
        if options["loop"] == "plain"
        else lightning_rate(cli, steps, warmup, options["log_every_step"])
    )
    return {
        "samples_per_second": rate,
        "timed_steps": steps - warmup,
        "batch_size": cli.datamodule.batch_size,
    }


def presets_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    """Per workload (task) and preset (row): samples/s, its ratio to the baseline preset of
    the same workload and seed, peak GPU memory and the last loss; the median over seeds
    where a preset ran more than once. A preset without a record says "not measured"
    rather than leaving its row out."""
    base = spec.baseline[0] if spec.baseline else spec.rows[0].label
    first = runs[0]
    seeds = sorted({r["seed"] for r in runs})
    spread = (
        "no spread stands behind a ratio"
        if len(seeds) == 1
        else "each cell the median over them, the ratio the median of each seed's ratio"
    )
    lines = [
        *([spec.caption, ""] if spec.caption else []),
        f"{spec.title} on {', '.join(sorted({str(r['device']) for r in runs}))}, batch "
        f"{first['batch_size']} source + {first['batch_size']} target, "
        f"{first['timed_steps']} timed steps after {first['warmup_steps']} warm-up steps; "
        f"{len(seeds)} run{'s' if len(seeds) > 1 else ''} per preset (seed "
        f"{', '.join(map(str, seeds))}): {spread}.",
        "",
        f"| workload | preset | samples/s | vs {base} | peak GPU memory GiB | last loss | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for task in spec.tasks:
        for row in spec.rows:
            if row.tasks is not None and task not in row.tasks:
                continue
            mine = [r for r in runs if r["task"] == task and r["label"] == row.label]
            if not mine:
                lines.append(f"| {task} | {row.label} | not measured | – | – | – | – |")
                continue
            rate = statistics.median(r["samples_per_second"] for r in mine)
            speedups = ratios([r for r in runs if r["task"] == task], row.label, base)
            speedup = f"{statistics.median(speedups):.2f}x" if speedups else "–"
            memory = [r["peak_memory_gib"] for r in mine if r["peak_memory_gib"] is not None]
            loss = statistics.median(r["last_loss"] for r in mine)
            lines.append(
                f"| {task} | {row.label} | {rate:.0f} | {speedup} | "
                f"{f'{statistics.median(memory):.2f}' if memory else '–'} | {loss:.3f} | "
                f"{commits(mine)} |"
            )
    return "\n".join(lines)


@KINDS.register(
    "gpu_presets", table=presets_table, needs="cuda", options={"steps": 150, "warmup": 50}
)
def gpu_presets(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    import torch

    steps, warmup = run.options["steps"], run.options["warmup"]
    cli = build(str(spec.root / run.row.config), run.seed, steps, folder, overrides)
    clock = LastLoss(warmup)
    cli.trainer.callbacks.append(clock)
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return {
        "samples_per_second": (steps - warmup) * samples_per_step(cli) / (clock.stop - clock.start),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
        "last_loss": clock.loss,
        "device": torch.cuda.get_device_name() if cuda else "CPU",
        "batch_size": cli.datamodule.batch_size,
        "timed_steps": steps - warmup,
        "warmup_steps": warmup,
    }
