"""Finished runs -> ``benchmarks/results/<spec>.json`` and ``.md``, and the README blocks.

Each cell is mean ± std over seeds; a row's difference to the spec's baseline is paired
by seed and marked "within noise" unless every seed agrees on its sign and the mean clears
the spread (see :func:`versus`); every row says how many seeds and test images stand
behind it and which commit measured it."""

from __future__ import annotations

import datetime
import json
import re
import statistics
from pathlib import Path

from transferlab.commands.bench.provenance import UNRECORDED, commit_of, short_commit
from transferlab.commands.bench.remeasure import replaced, replaced_note
from transferlab.commands.bench.runner import STORE, stored, strict, table_of
from transferlab.commands.bench.spec import DEFAULT_TASK, Spec, load_spec

RESULTS = Path("benchmarks/results")
BLOCK = re.compile(r"(<!-- results:(\w+) -->).*?(<!-- /results:\2 -->)", re.S)


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def cell(values: list[float | None], scale: float = 100) -> str:
    """Mean ± std of the values a row's runs have; where only some runs have one (records
    from before a column existed), how many seeds stand behind it."""
    found = [scale * v for v in values if v is not None]
    if not found:
        return "–"
    mean, std = mean_std(found)
    shown = f"{mean:.2f} ± {std:.2f}" if len(found) > 1 else f"{mean:.2f}"
    return shown if len(found) == len(values) else f"{shown} ({len(found)} of {len(values)} seeds)"


def grouped(spec: Spec, runs: list[dict]) -> list[tuple[str, str, list[dict]]]:
    """``(task, label, runs)`` in the spec's order, rows without runs left out."""
    groups = []
    for task in spec.shown_tasks:
        for row in spec.rows:
            mine = [r for r in runs if r["task"] == task and r["label"] == row.label]
            if mine:
                groups.append((task, row.label, sorted(mine, key=lambda r: r["seed"])))
    return groups


def paired(ours: list[float], theirs: list[float]) -> tuple[float, float, bool]:
    """Per-seed differences ``ours - theirs`` (same seed order): their mean, their std, and
    whether they are an effect -- every seed agrees on the sign and the mean clears the std.
    The one within-noise rule of every table, rendered here or by a script."""
    differences = [a - b for a, b in zip(ours, theirs, strict=True)]
    mean, spread = mean_std(differences)
    agree = min(differences) > 0 or max(differences) < 0
    return mean, spread, len(differences) > 1 and agree and abs(mean) > spread


def versus(mine: list[dict], base: list[dict] | None, key: str = "target_test_acc") -> str:
    """The difference to the baseline row in ``key`` (by default the target test accuracy of
    the checkpoint each row's own protocol chose), and whether it stands above seed noise.

    Runs of the same seeds are paired (the same data split, the same initialisation where
    the networks match): the cell is the mean ± std of the per-seed differences, and an
    effect only when every seed agrees on its sign and the mean clears the spread. One
    common seed gives that seed's difference, with no spread, and names the seed. Rows
    without common seeds compare means, against the larger standard deviation of the two;
    a side with one run has no spread, and the cell says that it compares means. Runs
    without ``key`` (records from before it was measured) are left out, and the cell says so.
    """
    if base is None:
        return "–"
    ours = {r["seed"]: 100 * r[key] for r in mine if r.get(key) is not None}
    theirs = {r["seed"]: 100 * r[key] for r in base if r.get(key) is not None}
    if not ours or not theirs:
        return "–"
    partial = len(ours) < len(mine) or len(theirs) < len(base)
    return compared(ours, theirs) + (" (only the seeds that have it)" if partial else "")


def compared(ours: dict[int, float], theirs: dict[int, float]) -> str:
    """``versus``'s cell for two rows' values by seed."""
    common = sorted(set(ours) & set(theirs))
    if len(common) > 1:
        mean, spread, effect = paired([ours[s] for s in common], [theirs[s] for s in common])
        return f"{mean:+.2f} ± {spread:.2f}" + ("" if effect else " (within noise)")
    if common:  # a row measured so far on one seed the baseline also has
        seed = common[0]
        return f"{ours[seed] - theirs[seed]:+.2f} (seed {seed} alone: no spread)"
    difference = mean_std(list(ours.values()))[0] - mean_std(list(theirs.values()))[0]
    if len(ours) < 2 or len(theirs) < 2:
        return f"{difference:+.2f} (means, one run on a side: no spread)"
    spread = max(mean_std(list(ours.values()))[1], mean_std(list(theirs.values()))[1])
    return f"{difference:+.2f}" + (" (within noise)" if abs(difference) <= spread else "")


def metric(run: dict, name: str) -> float | None:
    """A test metric of the run (``test/...``) or one of its fields (``select_score``)."""
    if name in run:
        return run[name]
    return run.get("other_test_metrics", {}).get(name)


# the target test accuracy of the checkpoint each row's protocol chose, and of the one target
# validation labels chose (``oracle``): the two selections every comparison reads
SELECTIONS = ("target_test_acc", "oracle_target_test_acc")


def gap_shares(spec: Spec, task: str, label: str, groups) -> dict[str, float]:
    """``label``'s share of the gap from ``spec.gap``'s low row to its high row (the high
    row's own accuracy), per protocol: both ``label`` and the low row selected label-free
    (``target_test_acc``), or both by target validation labels. Empty for the two ends
    themselves, and for a task without both ends or without a gap."""
    low, high = spec.gap
    runs = {g[1]: g[2] for g in groups if g[0] == task}
    if label in (low, high) or low not in runs or high not in runs or label not in runs:
        return {}
    # the seeds all three rows have, where there are any: a row not yet measured on every
    # seed is read against the same seeds' ends, not against ends averaged over others
    common = set.intersection(*({r["seed"] for r in runs[row]} for row in (label, low, high)))
    if common:
        runs = {row: [r for r in runs[row] if r["seed"] in common] for row in (label, low, high)}
    top = mean_std([r["target_test_acc"] for r in runs[high]])[0]
    shares = {}
    for key in SELECTIONS:
        ours = [r.get(key) for r in runs[label]]
        bottom = [r.get(key) for r in runs[low]]
        if None in ours or None in bottom:
            continue
        bottom_mean = mean_std(bottom)[0]
        if top > bottom_mean:
            shares[key] = (mean_std(ours)[0] - bottom_mean) / (top - bottom_mean)
    return shares


def gap_closed(spec: Spec, task: str, label: str, groups) -> str:
    """The table's cell: label-free share, then the oracle-selected one after a slash."""
    shares = gap_shares(spec, task, label, groups)
    return " / ".join(f"{100 * shares[key]:.0f}%" for key in SELECTIONS if key in shares) or "–"


def gap_goal_note(spec: Spec, groups) -> str:
    """The goal line of a spec with a ``gap_goal``: each row's share of the gap averaged
    over the spec's own tasks (the mean of the per-task shares, each task weighing the
    same, so a task with a small gap can weigh heavily), and whether the best row by the
    label-free share reaches the goal, or the ``gap_goal_row`` where the goal names one. It
    is judged only once every row it is about has a label-free share on every task."""
    if spec.gap_goal is None:
        return ""
    named = spec.gap_goal_row
    several = len(spec.tasks) > 1
    goal = (
        f"Goal: {named or 'the best row'} closes at least {100 * spec.gap_goal:.0f}% of the "
        f"gap{' on average' if several else ''}"
    )
    means, unjudged = {}, []
    for row in spec.rows:
        if row.label in spec.gap:
            continue
        per_task = [gap_shares(spec, task, row.label, groups) for task in spec.tasks]
        if not all("target_test_acc" in shares for shares in per_task):
            unjudged.append(row.label)  # a task without its runs, or without a gap
            continue
        means[row.label] = {
            key: statistics.fmean(shares[key] for shares in per_task)
            if all(key in shares for shares in per_task)
            else None
            for key in SELECTIONS
        }

    def shown(share: float | None) -> str:
        return "–" if share is None else f"{100 * share:.0f}%"

    protocols = SELECTIONS if spec.oracle else SELECTIONS[:1]
    over = f"the mean over the {len(spec.tasks)} tasks" if several else "its one task"
    listed = "; ".join(
        f"{label} {' / '.join(shown(m[key]) for key in protocols)}" for label, m in means.items()
    )
    line = (
        f"Share of the gap closed, {over} (label-free"
        f"{' / oracle-selected' if spec.oracle else ''}): {listed or 'no row yet'}. {goal}, "
    )
    about = [named] if named else [*means, *unjudged]  # the rows the verdict reads
    waiting = [label for label in about if label in unjudged]
    if waiting:
        return line + (
            f"label-free: not judged yet ({', '.join(waiting)}: no share on every task, "
            "a task lacking runs or a gap)."
        )
    best = max(about, key=lambda label: means[label]["target_test_acc"])
    share = means[best]["target_test_acc"]
    verdict = "reached" if share >= spec.gap_goal else "NOT reached"
    picked = f"the best of {len(about)} rows, picked on these test numbers"
    which = "the row the goal names" if named else picked
    return line + f"label-free: {verdict} ({best}, {shown(share)}; {which})."


RESUMED = " (resumed)"
ORACLE_COLUMN = "target test acc (oracle-selected)"
ORACLE_NOTE = (
    " Oracle-selected: the checkpoint of the same run that target validation labels would "
    "have chosen (training never sees them)."
)


def fit_time(mine: list[dict]) -> str:
    """Mean fit seconds; a run resumed from its last checkpoint timed only what it ran
    after resuming, so such a row's mean is a lower bound and says so."""
    mean = mean_std([r["fit_seconds"] for r in mine])[0]
    return f"{mean:.0f}" + (RESUMED if any(r.get("resumed_from") for r in mine) else "")


def resumed_note(shown: list[dict]) -> str:
    """The sentence that explains the resumed mark, when a shown run carries it."""
    if not any(r.get("resumed_from") for r in shown):
        return ""
    return (
        f" 'fit s' marked{RESUMED}: a run of the row was stopped and resumed from its last "
        "checkpoint, and only the time after resuming is counted (a lower bound)."
    )


def commits(mine: list[dict]) -> str:
    found = [short_commit(c) for c in sorted({commit_of(r) for r in mine})]
    dirty = any((r.get("provenance") or {}).get("dirty") for r in mine)
    return ", ".join(found) + (" (dirty)" if dirty else "")


def table(spec: Spec, runs: list[dict]) -> str:
    has_task = spec.shown_tasks != [DEFAULT_TASK]
    heads = ["task" if has_task else "", "method", "target test acc", "selected by"]
    heads += [ORACLE_COLUMN] if spec.oracle else []
    heads += [f"by {v.upper()}" for v in spec.validators]
    heads += [column["title"] for column in spec.columns]
    # a second domain's accuracy; one-domain runs (semi-supervised) report theirs twice
    has_source = any(r.get("source_test_acc") not in (None, r["target_test_acc"]) for r in runs)
    heads += [
        "source test acc" if has_source else "",
        "vs baseline" if spec.baseline else "",
        "share of the gap closed" if spec.gap else "",
        "seeds",
        "test images",
        "fit s",
        "commit",
    ]
    heads = [h for h in heads if h]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    groups = grouped(spec, runs)
    for task, label, mine in groups:
        in_task = {g[1]: g[2] for g in groups if g[0] == task}
        baseline = next((b for b in spec.baseline if b in in_task), None)
        base = in_task.get(baseline)
        cells = [
            *([task] if has_task else []),
            label,
            cell([r["target_test_acc"] for r in mine]),
            ", ".join(sorted({r["protocol"] for r in mine})),
        ]
        if spec.oracle:
            cells.append(cell([r.get("oracle_target_test_acc") for r in mine]))
        for name in spec.validators:
            cells.append(cell([r.get("validator_target_test_acc", {}).get(name) for r in mine]))
        for column in spec.columns:
            cells.append(cell([metric(r, column["metric"]) for r in mine]))
        if has_source:
            cells.append(cell([r.get("source_test_acc") for r in mine]))
        if spec.baseline:
            cells.append("–" if label == baseline else versus(mine, base))
        if spec.gap:
            cells.append(gap_closed(spec, task, label, groups))
        images = mine[0].get("test_images", {}).get("target")
        cells += [
            str(len(mine)),
            str(images) if images else "–",
            fit_time(mine),
            commits(mine),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        "Target test accuracy in %, mean ± std over seeds, of the checkpoint chosen by the "
        "protocol in 'selected by' (without target labels unless it starts with oracle)."
    )
    if spec.oracle:
        note += ORACLE_NOTE
    if spec.gap:
        note += (
            f" 'share of the gap closed': of the gap from {spec.gap[0]} to {spec.gap[1]}, "
            "both rows selected label-free" + (" / both oracle-selected." if spec.oracle else ".")
        )
    if spec.baseline:
        note += (
            f" 'vs baseline': the difference to {' or '.join(spec.baseline)} (the first the "
            "task has), mean ± std over seeds of the same seed's pair of runs; 'within noise' "
            "unless every seed agrees on its sign and the mean is larger than the std."
        )
    note += resumed_note([r for _, _, mine in groups for r in mine])
    for shown, (lender, task) in spec.borrow.items():
        note += f" '{shown}': the runs of {lender}'s task '{task}', not run by this spec."
    gap_note = gap_goal_note(spec, groups)
    return "\n".join(
        [*([spec.caption, ""] if spec.caption else []), note, "", *lines]
        + (["", gap_note] if gap_note else [])
    )


def pair_lines(spec: Spec, groups) -> list[str]:
    """The spec's ``pairs``, per task that has both rows: the first row minus the second by
    the rule of 'vs baseline', for the checkpoints the rows' protocols chose and, in a
    spec with ``oracle``, for the oracle-selected ones, so a claim about two rows that are
    not a row and its baseline is read off the table too, under either protocol."""
    if not spec.pairs:
        return []
    named = dict(zip(SELECTIONS, ("as selected", "oracle-selected"), strict=True))
    keys = {key: named[key] for key in (SELECTIONS if spec.oracle else SELECTIONS[:1])}
    lines = [
        "Pairs, seed by seed (the first row minus the second, mean ± std of the same seed's "
        "differences, in points; 'within noise' unless every seed agrees on the sign and the "
        "mean is larger than the std):",
        "",  # a list starts after a blank line in Markdown
    ]
    for task in spec.shown_tasks:
        runs = {label: mine for t, label, mine in groups if t == task}
        where = "" if task == DEFAULT_TASK else f"{task}: "
        for first, second in spec.pairs:
            if first in runs and second in runs:
                cells = {
                    shown: versus(runs[first], runs[second], key) for key, shown in keys.items()
                }
                if set(cells.values()) != {"–"}:  # a kind whose runs have no such accuracy
                    listed = "; ".join(f"{cell} {shown}" for shown, cell in cells.items())
                    lines.append(f"- {where}{first} − {second}: {listed}")
    return lines if len(lines) > 2 else []


def render(spec: Spec, store: Path = STORE, results: Path = RESULTS) -> Path:
    """Write the spec's results JSON and table from its stored runs (runs measured before
    the store existed are kept from the results file, marked 'unrecorded'; a stored run
    that replaces the file's run of another commit is recorded under 'replaced')."""
    earlier, own = legacy_runs(spec, results), stored(spec, store)
    runs = {**earlier, **own}
    runs.update(borrowed_runs(spec, store, results))
    swaps = replaced(earlier, own, kept_replacements(spec, results))
    swaps = {key: pair for key, pair in swaps.items() if key in runs}
    ordered = [r for _, _, mine in grouped(spec, list(runs.values())) for r in mine]
    if not ordered:
        raise ValueError(f"{spec.name}: no finished runs; run `transferlab bench run {spec.name}`")
    results.mkdir(parents=True, exist_ok=True)
    payload = {
        "spec": spec.name,
        "title": spec.title,
        "spec_file": str(spec.path),
        "rendered": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commits": sorted({commit_of(r) for r in ordered}),
        "runs": ordered,
    } | ({"replaced": swaps} if swaps else {})
    (results / f"{spec.name}.json").write_text(
        json.dumps(strict(payload), indent=1, allow_nan=False) + "\n"
    )
    markdown = results / f"{spec.name}.md"
    own_table = table_of(spec.kind)
    text = own_table(spec, ordered, results) if own_table else table(spec, ordered)
    listed = pair_lines(spec, grouped(spec, ordered))
    if listed:  # under any kind's table, where its runs have a target test accuracy
        text += "\n\n" + "\n".join(listed)
    if spec.curve and any("curve" in run for run in ordered):
        text += "\n\n" + curve_table(spec, ordered, results / f"{spec.name}_curve.png")
    if swaps:
        text += "\n\n" + replaced_note(swaps)
    markdown.write_text(text + "\n")
    return markdown


def curve_points(spec: Spec, runs: list[dict]) -> dict[str, dict[str, list[float]]]:
    """Per row (``task: label``), per protocol, the mean over seeds of what it had selected
    by each epoch, in %."""
    from transferlab.commands.bench.curves import selected_by_epoch

    protocols = {"label-free": "select_score"}
    if spec.oracle:
        protocols["oracle"] = "target_val_acc"
    points = {}
    for task, label, mine in grouped(spec, runs):
        if not all(r.get("curve") for r in mine):  # measured before the spec had a curve
            continue
        name = label if task == DEFAULT_TASK else f"{task}: {label}"
        length = min(len(r["curve"]) for r in mine)
        points[name] = {}
        for protocol, score in protocols.items():
            picked = [selected_by_epoch(r["curve"][:length], score) for r in mine]
            if all(None not in p for p in picked):
                points[name][protocol] = [
                    100 * mean_std([p[i] for p in picked])[0] for i in range(length)
                ]
    return points


def curve_table(spec: Spec, runs: list[dict], plot: Path) -> str:
    """The learning curve: a plot, and the values at a few epochs as a table."""
    from transferlab.evaluation.plots import plot_lines

    points = curve_points(spec, runs)
    plot_lines(
        {
            f"{name} ({protocol})": values
            for name, by in points.items()
            for protocol, values in by.items()
        },
        plot,
        xlabel="epochs trained",
        ylabel="target test acc of the selected checkpoint (%)",
    )
    length = max(len(v) for by in points.values() for v in by.values())
    step = max(1, length // 6)
    shown = sorted({*range(step - 1, length, step), length - 1})
    heads = ["method", "selected by", *[f"after {e + 1}" for e in shown]]
    lines = [
        f"Learning curve ({plot.name}): target test accuracy (%, mean over seeds) of the "
        "checkpoint each protocol would have selected after that many epochs.",
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    for name, by in points.items():
        for protocol, values in by.items():
            cells = [f"{values[e]:.2f}" if e < len(values) else "–" for e in shown]
            lines.append(f"| {name} | {protocol} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def borrowed_runs(spec: Spec, store: Path, results: Path) -> dict[str, dict]:
    """The runs of the tasks ``spec`` borrows, as the lending spec keeps them, under the
    task name shown here; ``borrowed_from`` names the lender, whose provenance they keep.
    Only a lender's row with this spec's label *and* config is taken."""
    config_of = {row.label: row.config for row in spec.rows}
    found = {}
    for shown, (name, task) in spec.borrow.items():
        lender = load_spec(name, spec.root)
        lent = {**legacy_runs(lender, results), **stored(lender, store)}
        for key, run in lent.items():
            if run["task"] == task and config_of.get(run["label"]) == run.get("config"):
                found[f"{shown}/{key}"] = {**run, "task": shown, "borrowed_from": name}
    return found


def previous_results(spec: Spec, results: Path) -> dict | list | None:
    """The spec's results file as the last render (or an old script) wrote it."""
    path = results / f"{spec.name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def kept_replacements(spec: Spec, results: Path) -> dict:
    """The runs the previous results file records as replaced (see ``remeasure``)."""
    payload = previous_results(spec, results)
    return payload.get("replaced", {}) if isinstance(payload, dict) else {}


def legacy_runs(spec: Spec, results: Path) -> dict[str, dict]:
    payload = previous_results(spec, results)
    if payload is None:
        return {}
    runs = payload.get("runs", payload) if isinstance(payload, dict) else payload
    if not isinstance(runs, list):  # a script's own layout, not runs: nothing to keep
        return {}
    wanted = {
        (r.task, r.row.label, r.seed): r
        for r in spec.runs(sorted({run.get("seed", 0) for run in runs}))
    }
    # what the old file recorded about how it was measured, kept as each run's provenance
    recorded = (
        {k: v for k, v in payload.items() if k != "runs"} if isinstance(payload, dict) else {}
    )
    found = {}
    for run in runs:
        task = run.get("task", DEFAULT_TASK).replace(":", " → ")  # old scripts: source:target
        match = wanted.get((task, run.get("label"), run.get("seed", 0)))
        if match is None:
            continue
        record = {**run, "key": match.key, "task": task, "config": match.row.config}
        if "test_acc" in record:  # a one-domain script's name for it
            record["target_test_acc"] = record.pop("test_acc")
        if "provenance" not in record:  # measured by a script, before the spec existed
            as_run = {"config_as_run": run.get("config"), "overrides_as_run": run.get("overrides")}
            record["provenance"] = {"commit": UNRECORDED, **recorded, **as_run}
        found[match.key] = record
    return found


def fill_blocks(page: Path, results: Path = RESULTS) -> None:
    """Replace each ``<!-- results:NAME -->`` block of ``page`` with ``NAME.md``."""

    def table_of(match) -> str:
        result = results / f"{match.group(2)}.md"
        body = (
            result.read_text().strip()
            if result.is_file()
            else (f"_Not measured yet: no `{result}`._")
        )
        return f"{match.group(1)}\n{body}\n{match.group(3)}"

    page.write_text(BLOCK.sub(table_of, page.read_text()))
