"""The ``distillation_deploy`` kind: what a small distilled model costs and gains when it
is deployed -- test accuracy beside parameters, network file size and CPU latency.

Each run trains the row's config (the ``train`` kind), writes its selected checkpoint's
deployable network file, and times the network at its own input size (median ms per call,
``threads`` CPU threads, each batch size in ``batches``, timed for at least
``latency_seconds``). A distilled student also times its teacher's network, twice in turn
with itself, so its speed-up is a ratio measured under one load, not across two runs. A
run records how many cores other processes kept busy while it timed (``cpu_others``, from
``/proc/stat`` less its own CPU time) and is ``busy`` when that is above half a core; a
run without that measurement (an older record, a machine without ``/proc/stat``) is
``busy`` when its spec says ``busy: true``. The table then says to compare rows, not
absolutes.

The spec's first four rows are, in order, the teacher, the student trained from scratch,
the student distilled on the labeled images only, and the student distilled with the
unlabeled pool as well; under the table, each task that has all four gets a line on how
much of the scratch -> teacher gap the pooled student closes.

A text model is timed on the first texts of its target test split, tokenized as it was
trained (the encoder runs to the longest of them, as it does in use). ``accuracy`` names
the number the table shows: ``source_test_acc`` (few labels in one domain) or
``target_test_acc`` (a student that should serve another domain). ``goal_speedup`` and
``goal_points`` state a goal for the pooled student, judged in its line. A spec with
``oracle: true`` adds, beside it, the target test accuracy of the checkpoint that target
validation labels would have chosen in the same run.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from transferlab.commands.bench.render import (
    ORACLE_COLUMN,
    ORACLE_NOTE,
    cell,
    commits,
    fit_time,
    grouped,
    resumed_note,
)
from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec

ACCURACIES = ("source_test_acc", "target_test_acc")  # what the table's accuracy column shows


def latency_columns(runs: list[dict]) -> list[int]:
    """The batch sizes the runs were timed at."""
    own = "latency_ms_b"  # the run's own network; a student's teacher_latency_ms_b* are not
    found = {int(k.removeprefix(own)) for r in runs for k in r if k.startswith(own)}
    return sorted(found)


BUSY_CORES = 0.5  # other processes' load while timing that makes absolutes unreliable


def busy_jiffies() -> int | None:
    """The machine's CPU time spent working, in clock ticks (``None``: no ``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    return user + nice + system + irq + softirq + steal


def beside_others(measure):
    """``measure()``'s result, and how many cores other processes kept busy meanwhile
    (rounded to hundredths; ``None`` where it cannot be told)."""
    wall, own, machine = time.perf_counter(), time.process_time(), busy_jiffies()
    result = measure()
    after = busy_jiffies()
    if machine is None or after is None:
        return result, None
    others = (after - machine) / os.sysconf("SC_CLK_TCK") - (time.process_time() - own)
    return result, round(max(others, 0.0) / (time.perf_counter() - wall), 2)


def latency_sentence(spec: Spec, runs: list[dict]) -> str:
    threads = ", ".join(str(t) for t in sorted({r["latency_threads"] for r in runs}))
    unmeasured = any(r.get("cpu_others") is None for r in runs)
    busy = any(r.get("busy") for r in runs) or (unmeasured and spec.options.get("busy"))
    return (
        f"Latency: median ms per call on {threads} CPU thread(s), each model at its own "
        "input size"
        + (
            " (measured while other benchmarks shared the CPU: compare rows, not absolutes)."
            if busy
            else "."
        )
    )


def pool_note(labels: int | str, accuracy: list[float]) -> str:
    """How the pooled student compares with the others, in the order of the first four rows
    (teacher, scratch, labeled only, labeled + pool)."""
    teacher, scratch, labeled, pooled = accuracy
    gap = teacher - scratch
    verdict = (
        f"the pool closes {100 * (pooled - scratch) / gap:.0f}% of the scratch → teacher gap"
        if gap > 0
        else "the teacher is below the scratch student, so there is no gap to close"
    )
    task = labels if isinstance(labels, str) else f"{labels}/class"
    return (
        f"- {task}: distilled with the unlabeled pool {100 * pooled:.1f}% vs "
        f"labeled only {100 * labeled:.1f}% vs scratch {100 * scratch:.1f}% (teacher "
        f"{100 * teacher:.1f}%): {verdict}."
    )


def timing_inputs(info: dict, datamodule, batch: int):
    """What the network is timed on: ``batch`` random images of its input size, or the
    token ids of ``batch`` real target test texts."""
    import torch

    spec = info["input"]
    if "tokenizer" not in spec:
        side = spec["image_size"]
        return torch.randn(batch, 3, side, side)
    from transferlab.data.text import dataset_texts, tokenize

    # real texts, not random ids: the encoder runs as far as the longest text of the batch
    texts = dataset_texts(datamodule.splits["target"]["test"])
    texts = (texts * (batch // len(texts) + 1))[:batch]  # a batch of exactly ``batch``
    return tokenize(texts, spec["tokenizer"], int(spec["max_length"]))


def side_by_side(student: list[dict], batches: list[int]) -> bool:
    """Whether every student run timed its teacher in the same process, in turn with
    itself (so the ratio does not depend on how loaded the machine was between runs)."""
    return all(f"speedup_b{b}" in r for r in student for b in batches)


def speedups(teacher: list[dict], student: list[dict], batches: list[int]) -> dict[int, float]:
    """How many times faster the student answers than its teacher, per batch size: the
    median over seeds of each run's side-by-side ratio, or, for runs that did not time
    their teacher, the ratio of the two rows' median ms."""
    if side_by_side(student, batches):
        return {b: statistics.median(r[f"speedup_b{b}"] for r in student) for b in batches}

    def median_ms(runs: list[dict], batch: int) -> float:
        return statistics.median(r[f"latency_ms_b{batch}"] for r in runs)

    return {b: median_ms(teacher, b) / median_ms(student, b) for b in batches}


def speed_note(teacher: list[dict], student: list[dict], batches: list[int]) -> str:
    """How many times faster the pooled student answers than its teacher, and how that
    was measured."""
    ratios = speedups(teacher, student, batches)
    shown = [f"{ratio:.1f}x at batch {b}" for b, ratio in ratios.items()]
    how = (
        "each run timed its teacher in turn with itself; the median over seeds"
        if side_by_side(student, batches)
        else "the teacher's row's median ms over the student's"
    )
    return f" It answers faster than the teacher: {', '.join(shown)} ({how})." if shown else ""


def goal_note(options: dict, teacher: list[dict], pooled: list[dict], accuracy_of: str) -> str:
    """The verdict on ``goal_speedup`` and ``goal_points`` (set in the spec's options): the
    pooled student at least that many times faster than its teacher at every batch size
    (the ratios of :func:`speedups`, which the speed line before it says how were
    measured), and at most that many points of accuracy behind it (means over seeds)."""
    speedup, points = options.get("goal_speedup"), options.get("goal_points")
    if speedup is None or points is None:
        return ""
    ratios = speedups(teacher, pooled, latency_columns(teacher + pooled))
    behind = 100 * (
        statistics.fmean(r[accuracy_of] for r in teacher)
        - statistics.fmean(r[accuracy_of] for r in pooled)
    )
    slow = [f"below {speedup:g}x at batch {b}" for b, ratio in ratios.items() if ratio < speedup]
    verdict = "reached" if not slow and behind <= points else "NOT reached"
    distance = f"{abs(behind):.1f} points {'behind' if behind >= 0 else 'ahead'} on the means"
    return (
        f" Goal: at least {speedup:g}x faster than the teacher (as measured above) at every "
        "batch size, within "
        f"{points:g} points of its accuracy: {verdict} ({', '.join([*slow, distance])})."
    )


def deploy_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    batches = latency_columns(runs)
    accuracy_of = runs[0].get("accuracy_shown", "source_test_acc") if runs else "source_test_acc"
    first = "labels / class" if runs and runs[0].get("labels_per_class") else "task"
    heads = [first, "model", "seeds", "test acc"]
    heads += [ORACLE_COLUMN] if spec.oracle else []
    heads += ["parameters", "file MB"]
    heads += [f"ms, batch {b}" for b in batches] + ["fit s", "commit"]
    lines = [
        f"{spec.caption} {latency_sentence(spec, runs)}" + (ORACLE_NOTE if spec.oracle else ""),
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    groups, notes = grouped(spec, runs), []
    roles = [row.label for row in spec.rows[:4]]
    for task in spec.tasks:
        mine = {label: rows for t, label, rows in groups if t == task}
        for label, rows in mine.items():
            times = [
                f"{statistics.median(r[f'latency_ms_b{b}'] for r in rows):.{2 if b == 1 else 1}f}"
                for b in batches
            ]
            accuracy_cells = [cell([r[accuracy_of] for r in rows])]
            if spec.oracle:
                accuracy_cells.append(cell([r.get("oracle_target_test_acc") for r in rows]))
            cells = [
                str(rows[0]["labels_per_class"] or task),
                label,
                str(len(rows)),
                *accuracy_cells,
                f"{rows[0]['parameters']:,}",
                f"{rows[0]['file_mb']:.2f}",
                *times,
                fit_time(rows),
                commits(rows),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if len(roles) == 4 and set(roles) <= set(mine):
            accuracy = [statistics.fmean(r[accuracy_of] for r in mine[k]) for k in roles]
            notes.append(pool_note(mine[roles[0]][0]["labels_per_class"] or task, accuracy))
            notes[-1] += speed_note(mine[roles[0]], mine[roles[3]], batches)
            notes[-1] += goal_note(spec.options, mine[roles[0]], mine[roles[3]], accuracy_of)
    note = resumed_note(runs).strip()
    return "\n".join([*lines, "", *notes, *(["", note] if note else [])])


@KINDS.register(
    "distillation_deploy",
    table=deploy_table,
    options={
        "threads": 1,
        "batches": [1, 64],
        "latency_seconds": 1.0,
        "busy": False,
        "accuracy": "source_test_acc",
        "goal_speedup": None,  # with goal_points: the pooled student's goal (goal_note)
        "goal_points": None,
    },
)
def distillation_deploy(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """fit + test, then the selected network's size and latency, the way it would ship."""
    if run.options["accuracy"] not in ACCURACIES:
        raise ValueError(
            f"{spec.path}: options.accuracy is {run.options['accuracy']!r}; "
            f"use one of {', '.join(ACCURACIES)}"
        )
    if spec.oracle and run.options["accuracy"] != "target_test_acc":
        raise ValueError(
            f"{spec.path}: oracle: true adds a target column beside the accuracy shown; "
            "it needs options.accuracy: target_test_acc"
        )
    from transferlab.deploy.measure import file_megabytes, latency_ms
    from transferlab.deploy.network import load_network, save_network
    from transferlab.evaluation.model_size import count_parameters

    built = []
    result = train(spec, run, overrides, folder, prepare=built.append)
    network, info = load_network(result["checkpoint_path"])
    file = save_network(network, folder / "network.pt", info)
    threads, seconds = run.options["threads"], run.options["latency_seconds"]
    datamodule = built[0].datamodule

    def timed(net, net_info, batch: int) -> float:
        return latency_ms(net, timing_inputs(net_info, datamodule, batch), threads, seconds)

    # a student is timed beside its teacher, loaded before the load of others is measured
    teacher = getattr(built[0].model.hparams, "teacher", None)
    beside = load_network(teacher) if teacher and Path(teacher).is_file() else None

    def measure() -> dict:
        found = {f"latency_ms_b{b}": timed(network, info, b) for b in run.options["batches"]}
        if beside is not None:
            teacher_network, teacher_info = beside
            for b in run.options["batches"]:
                pairs = [
                    (timed(teacher_network, teacher_info, b), timed(network, info, b))
                    for _ in range(2)
                ]
                found[f"teacher_latency_ms_b{b}"] = statistics.fmean(t for t, _ in pairs)
                found[f"speedup_b{b}"] = sum(t for t, _ in pairs) / sum(s for _, s in pairs)
        return found

    latency, others = beside_others(measure)
    return result | {
        "labels_per_class": getattr(built[0].datamodule, "labels_per_class", None),
        "parameters": count_parameters(network),
        "file_mb": file_megabytes(file),
        **latency,
        "latency_threads": threads,
        "cpu_others": others,
        "busy": run.options["busy"] if others is None else others > BUSY_CORES,
        "accuracy_shown": run.options["accuracy"],
    }
