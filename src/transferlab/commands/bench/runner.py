"""Run what a spec lists and is not yet stored: each finished run is written at once to
``runs/bench/<spec>/<run>.json``, so a stopped benchmark resumes where it was, and
processes that run one spec side by side (``--workers``, or a second ``bench run`` started
by hand) share one store with nothing to merge, each taking what no other has taken. The
run files are not git-ignored (their training folders are): committed, they carry a
measurement longer than one machine's lease to the next machine, which resumes it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from itertools import groupby
from pathlib import Path

import torch

from transferlab.commands.bench.provenance import BENCH_WORKERS, provenance
from transferlab.commands.bench.spec import CHECKPOINT_OF, Run, Spec
from transferlab.commands.cli import QUIET_TRAINER
from transferlab.registry import Registry

try:
    import fcntl
except ImportError:  # not a POSIX system: one process a spec (``--workers`` refuses)
    fcntl = None
CAN_LOCK = fcntl is not None

STORE = Path("runs/bench")
# extra arguments for every run, e.g. BENCH_OVERRIDES="--trainer.accelerator=gpu";
# recorded in each run's provenance, since they are part of its protocol
BENCH_OVERRIDES = "BENCH_OVERRIDES"
# set for a run its process starts apart (a row's ``env``): the parent holds its group
PARENT_HOLDS_GROUP = "TRANSFERLAB_BENCH_PARENT_HOLDS_GROUP"

KINDS = Registry("benchmark kind", filled_by="transferlab.commands.bench.kinds")
"""How a spec's runs are measured: ``train`` (fit + test, the default); special
measurements (latency, compression rows, another library's DANN) register here as plug-ins."""


@KINDS.register("train")
def train(spec: Spec, run: Run, overrides: list[str], folder: Path, prepare=None) -> dict:
    """fit + test the row's config as ``transferlab compare`` does, less the callbacks that
    only watch (pictures, diagnostics: ``WatchOnly``); the config's other callbacks are part
    of its method (gradual unfreezing, pruning) and train. A run stopped part-way (killed,
    or the machine went away) resumes from its ``last.ckpt``. ``prepare`` changes the built
    run before it trains (the peer kinds swap in another library's parts). With the spec's
    ``curve``, the result also holds every epoch's scores, whatever kind trained it (ours or
    a peer's)."""
    from transferlab.callbacks import without_watchers
    from transferlab.commands.bench.curves import EpochTestAccuracy
    from transferlab.commands.compare import run_config

    stopped = sorted(folder.rglob("last.ckpt"), key=lambda p: p.stat().st_mtime)
    recorder = EpochTestAccuracy() if spec.curve else None

    def prepared(cli) -> None:
        cli.trainer.callbacks[:] = without_watchers(cli.trainer.callbacks)
        if recorder is not None:
            cli.trainer.callbacks.append(recorder)
        if prepare is not None:
            prepare(cli)

    result = run_config(
        str(spec.root / run.row.config),
        seed=run.seed,
        overrides=[
            *QUIET_TRAINER,
            f"--trainer.default_root_dir={folder}",
            *overrides,
        ],
        oracle_selection=spec.oracle,
        validators=spec.validators,
        resume_from=str(stopped[-1]) if stopped else None,
        prepare=prepared,
    )
    curve = {"curve": recorder.curve} if recorder is not None else {}
    return asdict(result) | {"resumed_from": str(stopped[-1]) if stopped else None} | curve


def stored(spec: Spec, store: Path = STORE) -> dict[str, dict]:
    """The finished runs of ``spec`` by key."""
    folder = store / spec.name
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def done_here(spec: Spec, store: Path = STORE) -> dict[str, dict]:
    """The stored runs that need not run again on this machine: all of them, but a run
    whose checkpoint a run still to do names (``{checkpoint:LABEL}``) and whose checkpoint
    file is not here (its record came from another machine) is measured again first."""
    done, runs = stored(spec, store), spec.runs()
    key_of = {(run.seed, run.task, run.row.label): run.key for run in runs}
    for run in runs:
        if run.key in done:
            continue
        for label in run.row.needs():
            upstream = done.get(key_of.get((run.seed, run.task, label)), {})
            if upstream and not Path(upstream.get("checkpoint_path") or "").is_file():
                del done[upstream["key"]]
    return done


def groups_of(runs: list[Run]) -> list[list[Run]]:
    """``runs`` in whole (seed, task) groups, the unit one process takes: a row that needs
    another row's checkpoint runs in the same process after it."""
    return [list(g) for _, g in groupby(runs, key=lambda r: (r.seed, r.task))]


@contextmanager
def claimed(folder: Path, group: list[Run]):
    """Whether this process holds ``group``: an exclusive lock on its file in ``folder``,
    held until the group is done. Processes running one spec side by side each take the
    groups no other holds, so however many start, and whatever part of the spec is already
    stored, each does its own share of what is left; the system drops a lock when its
    process ends, so a killed worker holds nothing when the spec is run again."""
    if fcntl is None:
        yield True
        return
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]", "_", f"{group[0].seed}__{group[0].task}")  # tasks may hold "/"
    with open(folder / f"{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            mine = True
        except BlockingIOError:
            mine = False
        yield mine


def table_of(kind: str):
    """The table function ``kind`` renders its records with, or None for the common table
    of trained runs (or for a kind that is not registered)."""
    return getattr(KINDS.entry(kind), "table", None) if kind in KINDS else None


def unmet_needs(spec: Spec) -> str | None:
    """Why this machine cannot measure ``spec`` (a kind registered with ``needs="cuda"``,
    on a machine without CUDA), in one line; None when it can."""
    kinds = sorted({row.kind or spec.kind for row in spec.rows})
    cuda = [kind for kind in kinds if KINDS.entry(kind).meta.get("needs") == "cuda"]
    if cuda and not torch.cuda.is_available():
        return f"{spec.name}: kind {cuda[0]} needs CUDA, and this machine has none"
    return None


def missing(spec: Spec, seeds: list[int] | None = None, store: Path = STORE) -> list[Run]:
    done = done_here(spec, store)
    return [run for run in spec.runs(seeds) if run.key not in done]


def run_spec(
    spec: Spec,
    seeds: list[int] | None = None,
    max_runs: int | None = None,
    store: Path = STORE,
    only: str | None = None,
) -> list[str]:
    """Run the missing runs that no other process has taken (at most ``max_runs``; ``only``
    one run by its key); returns their keys. A row with ``env`` runs in a process of its
    own, started with it."""
    code = provenance(spec.root)  # the code this process imported, not what is on disk later
    runs, finished = spec.runs(seeds), []
    done = done_here(spec, store)
    if unmet_needs(spec) and any(run.key not in done for run in runs):
        raise ValueError(unmet_needs(spec))
    for group in groups_of(runs):
        if max_runs is not None and len(finished) >= max_runs:
            break
        if all(run.key in done for run in group):
            continue
        if only and only not in {run.key for run in group}:
            continue
        held = only and os.environ.get(PARENT_HOLDS_GROUP)
        claim = nullcontext(True) if held else claimed(store / spec.name / "claims", group)
        with claim as mine:
            if not mine:
                print(f"{spec.name}: seed {group[0].seed}, {group[0].task}: another process has it")
                continue
            left = None if max_runs is None else max_runs - len(finished)
            finished += run_group(spec, group, runs, code, left, store, only)
    return finished


def run_group(
    spec: Spec,
    group: list[Run],
    runs: list[Run],
    code: dict,
    max_runs: int | None,
    store: Path,
    only: str | None,
) -> list[str]:
    """Run what is missing of one (seed, task) group of ``runs``, in order; returns the
    keys run."""
    extra = shlex.split(os.environ.get(BENCH_OVERRIDES, ""))
    default_threads = torch.get_num_threads()
    finished, keys = [], [run.key for run in runs]
    for run in group:
        done = done_here(spec, store)  # read before each run: other processes add theirs
        if run.key in done or (only and run.key != only):
            continue
        if max_runs is not None and len(finished) >= max_runs:
            break
        twin = trained_twin(spec, run, done)
        if twin is not None:  # the same command trained under another key: not again
            trained = twin.get("same_run_as", twin["key"])
            record = {**twin, "key": run.key, "label": run.row.label, "task": run.task}
            write_run(store / spec.name / f"{run.key}.json", record | {"same_run_as": trained})
            finished.append(run.key)
            print(f"{spec.name}: {run.key} is the run {trained}: kept, not trained again")
            continue
        if run.row.env and not only:
            run_in_its_environment(spec, run)
            finished.append(run.key)
            continue
        number = keys.index(run.key) + 1
        print(f"{spec.name}: {run.key} ({number} of {len(runs)}) ...", flush=True)
        torch.set_num_threads(run.row.threads or spec.threads or default_threads)
        checkpoints = {  # runs that trained nothing to keep (a timing) have no checkpoint
            d["label"]: d["checkpoint_path"]
            for d in done.values()
            if d["task"] == run.task and d["seed"] == run.seed and d.get("checkpoint_path")
        }
        overrides = [with_checkpoints(o, checkpoints, run) for o in run.overrides] + extra
        start = time.perf_counter()
        measure = KINDS.get(run.row.kind or spec.kind)
        result = measure(spec, run, overrides, store / spec.name / "runs" / run.key)
        record = {
            "key": run.key,
            "label": run.row.label,
            "task": run.task,
            "seed": run.seed,
            "config": run.row.config,
            "overrides": overrides,
            **result,
            "wall_seconds": round(time.perf_counter() - start, 1),
            "provenance": code | provenance(spec.root, code=False) | {"bench_overrides": extra},
        }
        write_run(store / spec.name / f"{run.key}.json", record)
        finished.append(run.key)
        print(f"{spec.name}: {run.key} done ({record['wall_seconds']:.0f} s)", flush=True)
    torch.set_num_threads(default_threads)
    return finished


def twins(spec: Spec, run: Run) -> list[str]:
    """The keys of the runs of ``spec``'s other tasks whose identity (config, effective
    overrides, seed, how it is measured) is ``run``'s, in run order. Two rows of one task
    are never twins: a row that repeats another is there to measure the repeat."""
    if run.identity is None:
        return []
    return [o.key for o in spec.runs() if o.task != run.task and o.identity == run.identity]


def trained_as(spec: Spec, run: Run) -> str | None:
    """The key of the earlier twin that trains for ``run`` (see ``twins``), or None."""
    keys = [o.key for o in spec.runs()]
    before = set(keys[: keys.index(run.key)])
    return next((key for key in twins(spec, run) if key in before), None)


def trained_twin(spec: Spec, run: Run, done: dict[str, dict]) -> dict | None:
    """A finished twin of ``run`` (see ``twins``), or None."""
    return next((done[key] for key in twins(spec, run) if key in done), None)


def bench_run_command(spec: Spec, *options: str) -> list[str]:
    """``transferlab bench run`` of this spec (under its name) in a new process."""
    command = [sys.executable, "-m", "transferlab.commands", "bench", "run", str(spec.path)]
    return [*command, "--name", spec.name, *options]


def run_in_its_environment(spec: Spec, run: Run) -> None:
    """Variables such as ``ATEN_CPU_CAPABILITY`` act when torch is imported: the run gets a
    process of its own, started with the row's ``env``."""
    command = bench_run_command(spec, "--only", run.key, "--seeds", str(run.seed))
    env = os.environ | run.row.env | {PARENT_HOLDS_GROUP: "1"}
    if subprocess.run(command, env=env).returncode != 0:
        raise RuntimeError(f"{run.key} failed in its own process; run again to resume")


def with_checkpoints(override: str, checkpoints: dict[str, str], run: Run) -> str:
    def path_of(match) -> str:
        label = match.group(1)
        if label not in checkpoints:
            raise ValueError(f"{run.key} needs the checkpoint of {label}, which has not run")
        return checkpoints[label]

    # {seed}: the run's seed, e.g. a fresh draw of the few labeled examples per seed
    return CHECKPOINT_OF.sub(path_of, override).replace("{seed}", str(run.seed))


def write_run(path: Path, record: dict) -> None:
    """Written whole or not at all: a run killed while writing leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(strict(record), indent=1, allow_nan=False))
    partial.replace(path)


def strict(value):
    """``value`` with every NaN or infinity as None: results files are strict JSON."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    return value


def run_in_processes(spec: Spec, seeds: list[int] | None, workers: int) -> None:
    """Run ``spec`` in ``workers`` processes sharing the store (see ``claimed``); wait for
    all. Each process gets its share of the CPU cores as its default thread count (unless
    ``OMP_NUM_THREADS`` says otherwise): more threads than cores slow every run down."""
    seed_args = ["--seeds", *map(str, seeds)] if seeds else []
    share = str(max(1, (os.cpu_count() or 1) // workers))
    threads = os.environ.get("OMP_NUM_THREADS", share)
    env = os.environ | {"OMP_NUM_THREADS": threads, BENCH_WORKERS: str(workers)}
    processes = [
        subprocess.Popen(bench_run_command(spec, *seed_args), env=env) for _ in range(workers)
    ]
    failed = [p.args for p in processes if p.wait() != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {workers} workers failed; run again to resume")
