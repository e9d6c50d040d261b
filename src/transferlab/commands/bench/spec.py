"""A benchmark spec: ``benchmarks/specs/<name>.yaml``.

    title: DANN on MNIST -> MNIST-M
    caption: what the table shows, printed above it
    seeds: [0, 1, 2]
    threads: 1                                  # CPU threads for every run (default: torch's)
    overrides: ["--trainer.max_epochs=10"]      # every run
    tasks:                                      # optional: a task adds its own overrides
      mnist → mnistm: ["--data", "configs/data/mnist_to_mnistm.yaml"]
    rows:
      - label: SourceOnly
        config: configs/source_only/mnist_to_mnistm.yaml
      - label: SHOT                              # {checkpoint:LABEL}: that row's checkpoint,
        config: configs/shot/digits_to_mnist.yaml  # same task and seed; {seed}: the run's
        overrides: ["--model.init_args.source_checkpoint={checkpoint:SourceOnly}"]
      - label: GradualSelfTraining
        config: configs/gradual_self_training/mnist_to_mnistm.yaml
        tasks: [mnist → mnistm]                 # only these tasks
        seeds: [0]                              # only these of the spec's seeds
        as_written: true                        # no spec or task overrides
      - label: DANN on AVX2 kernels, 1 thread
        config: configs/dann/mnist_to_mnistm.yaml
        threads: 1                              # this row's CPU threads
        env: {ATEN_CPU_CAPABILITY: avx2}        # run in a process started with these
      - label: DANN (dalib's)
        config: configs/dann/mnist_to_mnistm.yaml
        kind: peer_dann_dalib                   # measured by a plug-in, not the spec's kind
    baseline: SourceOnly                        # differences are reported against it (a
                                                # list: per task, the first row it has)
    oracle: true                                # also the target-label-selected checkpoint
    curve: true                                 # and the target test accuracy after every
                                                # epoch of every row (a learning curve)
    validators: [im, snd]                       # and each label-free validator's choice
    gap: [SourceOnly, oracle]                   # each row's share of the gap between two rows
    gap_goal: 0.3                               # and the best row's mean share over the
                                                # tasks, against this goal
    gap_goal_row: DANN                          # (or this row's, where the goal names one)
    pairs: [[JAN, DAN]]                         # more paired differences, listed under the
                                                # table (first row minus second, per task)
    columns:                                    # more test metrics of the same checkpoint
      - {title: BBSE re-weighted, metric: test/target_acc_bbse}   # or a run's field:
      - {title: labeled-val acc, metric: select_score}             # the selection score
    options: {threads: 2}                       # settings of the spec's kind (a row may
                                                # set its own under options: too)
    borrow:                                     # another spec's task, shown first, as its
      mnist → mnistm (the suite's runs):        # rows of this spec's labels; never run here
        {spec: domain_adaptation, task: mnist → mnistm}

Every row names a config file in ``configs/``: no run is defined inside a script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from transferlab.evaluation.selection import label_free_validators

SPECS = Path("benchmarks/specs")
CHECKPOINT_OF = re.compile(r"\{checkpoint:([^}]+)\}")
SPEC_KEYS = {"title", "caption", "seeds", "overrides", "tasks", "rows", "baseline"}
SPEC_KEYS |= {"oracle", "validators", "kind", "columns", "gap", "gap_goal", "gap_goal_row"}
SPEC_KEYS |= {"threads", "options"}
SPEC_KEYS |= {"curve"}
SPEC_KEYS |= {"borrow", "pairs"}
ROW_KEYS = {"label", "config", "overrides", "tasks", "as_written", "threads", "env", "kind"}
ROW_KEYS |= {"options", "seeds"}
DEFAULT_TASK = "-"


@dataclass(frozen=True, eq=False)
class Row:
    label: str
    config: str
    overrides: tuple[str, ...] = ()
    tasks: tuple[str, ...] | None = None
    as_written: bool = False
    threads: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    kind: str | None = None  # how this row is measured, if not as the spec's kind
    options: dict = field(default_factory=dict)  # its kind's settings, resolved
    seeds: tuple[int, ...] | None = None  # only these of the spec's seeds (a costly sweep)

    def needs(self) -> set[str]:
        """Labels of the rows whose checkpoints this row's overrides name."""
        return {m for o in self.overrides for m in CHECKPOINT_OF.findall(o)}


@dataclass(frozen=True)
class Run:
    """One (task, row, seed) of a spec: what the runner trains and stores."""

    task: str
    row: Row
    seed: int
    overrides: tuple[str, ...]

    @property
    def options(self) -> dict:
        """The settings of the kind that measures it."""
        return self.row.options

    @property
    def identity(self) -> tuple | None:
        """What decides the run's result. Two runs of a spec with the same identity train
        the same thing (a task override that the row sets back, for one), so the runner
        trains it once. None for a row that names another row's checkpoint: it trains on
        its own task's checkpoint, never the same as another task's run."""
        if self.row.needs():
            return None
        options = tuple(sorted((k, repr(v)) for k, v in self.options.items()))
        environment = tuple(sorted(self.row.env.items()))
        shape = (self.row.kind, self.row.threads, options, environment)
        return (self.row.config, effective(self.overrides), self.seed, shape)

    @property
    def key(self) -> str:
        slug = f"{self.row.label}__seed{self.seed}"
        if self.task != DEFAULT_TASK:
            slug = f"{self.task}__{slug}"
        return re.sub(r"[^A-Za-z0-9_.+-]+", "_", slug.replace("→", "to"))


SCALAR_SETTING = re.compile(r"(--\w+(?:\.\w+)+)=[\w.+-]*")  # --trainer.max_epochs=20


def effective(overrides: tuple[str, ...]) -> tuple[str, ...]:
    """The overrides less each scalar setting of a dotted key that a later one sets again
    (the command line's last value wins). Everything else keeps its place: ``--config``
    files apply one after another, and a class or dict value may merge with a later one."""
    keys = [m.group(1) if (m := SCALAR_SETTING.fullmatch(o)) else None for o in overrides]
    return tuple(
        o for i, o in enumerate(overrides) if keys[i] is None or keys[i] not in keys[i + 1 :]
    )


@dataclass
class Spec:
    name: str
    path: Path
    root: Path  # configs are relative to it
    title: str
    rows: list[Row]
    seeds: list[int]
    caption: str = ""
    overrides: list[str] = field(default_factory=list)
    tasks: dict[str, list[str]] = field(default_factory=lambda: {DEFAULT_TASK: []})
    baseline: tuple[str, ...] = ()
    oracle: bool = False
    curve: bool = False  # record each epoch's target test accuracy (``bench.curves``)
    validators: tuple[str, ...] = ()
    kind: str = "train"
    columns: list[dict[str, str]] = field(default_factory=list)  # title, metric
    gap: tuple[str, str] | None = None  # (low, high) row labels
    gap_goal: float | None = None  # the share of the gap the best row should close on average
    gap_goal_row: str | None = None  # the row the goal is about, where not the best one
    threads: int | None = None
    options: dict = field(default_factory=dict)  # settings of the kind, for every row
    borrow: dict[str, tuple[str, str]] = field(default_factory=dict)  # task: (spec, its task)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (row, row it is read against)

    @property
    def shown_tasks(self) -> list[str]:
        """The table's tasks in order: the borrowed ones (measured by another spec, the
        reference this spec's own tasks are read against), then its own."""
        return [*self.borrow, *self.tasks]

    def runs(self, seeds: list[int] | None = None) -> list[Run]:
        """Every run, seed-major (a complete one-seed table exists early), rows in order
        within a task so a ``{checkpoint:LABEL}`` row comes after the row it names."""
        runs = []
        for seed in seeds if seeds is not None else self.seeds:
            for task, task_overrides in self.tasks.items():
                for row in self.rows:
                    if row.tasks is not None and task not in row.tasks:
                        continue
                    if row.seeds is not None and seed not in row.seeds:
                        continue
                    shared = [] if row.as_written else [*self.overrides, *task_overrides]
                    runs.append(Run(task, row, seed, (*shared, *row.overrides)))
        return runs


def spec_path(name_or_path: str, root: Path = Path(".")) -> Path:
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = root / SPECS / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (root / SPECS).glob("*.yaml")))
        raise FileNotFoundError(f"no benchmark spec {path}; specs: {known}")
    return path


def load_spec(name_or_path: str, root: Path = Path(".")) -> Spec:
    """Read and check a spec; every mistake is one line naming the file and the key."""
    path = spec_path(name_or_path, root)
    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a spec is a mapping with title, seeds and rows")
    unknown = set(raw) - SPEC_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(SPEC_KEYS)}")
    for key in ("title", "seeds", "rows"):
        if not raw.get(key):
            raise ValueError(f"{path}: '{key}' is missing or empty")
    rows = [read_row(path, root, entry) for entry in raw["rows"]]
    labels = [row.label for row in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{path}: row labels repeat: {labels}")
    for row in rows:
        later = row.needs() - set(labels[: labels.index(row.label)])
        if later:
            raise ValueError(
                f"{path}: row {row.label} needs the checkpoint of {sorted(later)}, "
                "which must be an earlier row"
            )
    kind = raw.get("kind", "train")
    options = read_options(path, "", kind, raw.get("options"))
    rows = [  # each row's options: its kind's defaults, the spec's (rows of the spec's
        # kind: the spec's options are its kind's settings), then its own
        replace(
            row,
            options=read_options(
                path,
                f"row {row.label}: ",
                row.kind or kind,
                (options if (row.kind or kind) == kind else {}) | row.options,
            ),
        )
        for row in rows
    ]
    baseline = raw.get("baseline") or ()
    baseline = (baseline,) if isinstance(baseline, str) else tuple(baseline)
    if not set(baseline) <= set(labels):
        raise ValueError(f"{path}: baseline {list(baseline)} is not a row; rows: {labels}")
    return Spec(
        name=path.stem,
        path=path,
        root=root,
        title=raw["title"],
        caption=raw.get("caption", "").strip(),
        rows=rows,
        seeds=[int(s) for s in raw["seeds"]],
        overrides=[str(o) for o in raw.get("overrides") or []],
        tasks={k: [str(o) for o in v or []] for k, v in (raw.get("tasks") or {}).items()}
        or {DEFAULT_TASK: []},
        baseline=baseline,
        oracle=bool(raw.get("oracle", False)),
        curve=bool(raw.get("curve", False)),
        validators=label_free_validators(tuple(raw.get("validators") or ())),
        kind=kind,
        columns=read_columns(path, raw.get("columns") or []),
        gap=read_gap(path, raw.get("gap"), labels),
        gap_goal=read_gap_goal(path, raw, kind),
        gap_goal_row=read_gap_goal_row(path, raw, labels),
        pairs=read_pairs(path, raw.get("pairs") or [], labels),
        threads=raw.get("threads"),
        options=options,
        borrow=read_borrow(path, root, raw.get("borrow"), raw.get("tasks") or {}, kind),
    )


def read_borrow(path: Path, root: Path, borrow, own_tasks, kind: str) -> dict[str, tuple[str, str]]:
    """``{task shown here: (spec, its task)}``: the lender and its task must exist, both
    specs' tables must be the trained-run table, and the name shown must be new here."""
    if borrow is None:
        return {}
    if not isinstance(borrow, dict):
        raise ValueError(f"{path}: borrow maps a task name to {{spec: NAME, task: TASK}}")
    found = {}
    for shown, source in borrow.items():
        where = f"{path}: borrow {shown!r}"
        if not isinstance(source, dict) or set(source) != {"spec", "task"}:
            raise ValueError(f"{where} takes {{spec: NAME, task: TASK}}")
        if shown in own_tasks or shown == DEFAULT_TASK:
            raise ValueError(f"{where} is named like one of its own tasks")
        try:  # read, not loaded: a lender's own borrow is not followed
            lender = spec_path(str(source["spec"]), root)
            raw = yaml.safe_load(lender.read_text())
        except (OSError, yaml.YAMLError) as error:
            raise ValueError(f"{where}: {error}") from None
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: {lender} is not a spec")
        if lender.resolve() == path.resolve():
            raise ValueError(f"{where}: its own tasks are in its table already")
        tasks = list(raw.get("tasks") or [DEFAULT_TASK])
        if source["task"] not in tasks:
            raise ValueError(
                f"{where}: spec {lender.stem} has no task {source['task']!r}; its tasks: {tasks}"
            )
        from transferlab.commands.bench.runner import table_of  # it imports this module

        for name in (kind, raw.get("kind", "train")):
            if table_of(name):
                raise ValueError(f"{where}: kind {name} renders its own table; borrow needs train")
        found[str(shown)] = (lender.stem, str(source["task"]))
    return found


def read_options(path: Path, where: str, kind: str, options) -> dict:
    """A kind's settings: its declared defaults, overridden by the spec's and the row's."""
    from transferlab.commands.bench.runner import KINDS

    if kind not in KINDS:
        raise ValueError(f"{path}: {where}unknown kind {kind!r}; known: {list(KINDS.names())}")
    declared = KINDS.entry(kind).meta.get("options", {})
    options = options or {}
    if not isinstance(options, dict):
        raise ValueError(f"{path}: {where}options is a mapping of {kind}'s settings")
    unknown = set(options) - set(declared)
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ValueError(
            f"{path}: {where}unknown options {sorted(unknown)} of kind {kind}; known: {known}"
        )
    return dict(declared) | options


def read_gap(path: Path, gap, labels: list[str]) -> tuple[str, str] | None:
    if gap is None:
        return None
    if not isinstance(gap, list) or len(gap) != 2 or not set(gap) <= set(labels):
        raise ValueError(f"{path}: gap is [low row, high row], two of {labels}; got {gap!r}")
    return gap[0], gap[1]


def read_pairs(path: Path, pairs, labels: list[str]) -> list[tuple[str, str]]:
    """``[[row, row], ...]``: two different rows each, the first read against the second."""
    shape = f"{path}: pairs is a list of [row, other row] lists, e.g. [[JAN, DAN]]"
    if not isinstance(pairs, list):
        raise ValueError(f"{shape}; got {pairs!r}")
    for pair in pairs:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(r, str) for r in pair)
        ):
            raise ValueError(f"{shape}; got {pair!r}")
        if pair[0] == pair[1]:
            raise ValueError(f"{path}: pairs {pair} names one row twice; name two different rows")
        unknown = [row for row in pair if row not in labels]
        if unknown:
            raise ValueError(
                f"{path}: pairs names {unknown[0]!r}, which is not a row; rows: {labels}"
            )
    return [(first, second) for first, second in pairs]


def read_gap_goal(path: Path, raw: dict, kind: str) -> float | None:
    from transferlab.commands.bench.runner import table_of

    goal = raw.get("gap_goal")
    if goal is None:
        return None
    if raw.get("gap") is None:
        raise ValueError(f"{path}: gap_goal needs gap: [low row, high row]")
    if table_of(kind) is not None:
        raise ValueError(f"{path}: gap_goal is judged by the trained-run table, not {kind}'s")
    if isinstance(goal, bool) or not isinstance(goal, int | float):
        raise ValueError(f"{path}: gap_goal is a share of the spec's gap, e.g. 0.3; got {goal!r}")
    if not 0 < goal <= 1:
        raise ValueError(f"{path}: gap_goal is a share between 0 and 1; got {goal!r}")
    return float(goal)


def read_gap_goal_row(path: Path, raw: dict, labels: list[str]) -> str | None:
    row = raw.get("gap_goal_row")
    if row is None:
        return None
    if raw.get("gap_goal") is None:
        raise ValueError(f"{path}: gap_goal_row names the row a gap_goal is about; add gap_goal")
    between = [label for label in labels if label not in (raw.get("gap") or [])]
    if row not in between:
        raise ValueError(f"{path}: gap_goal_row is one of {between}; got {row!r}")
    return row


def read_columns(path: Path, columns: list) -> list[dict[str, str]]:
    for column in columns:
        if not isinstance(column, dict) or set(column) != {"title", "metric"}:
            raise ValueError(
                f"{path}: a column is {{title: ..., metric: test/...}}, got {column!r}"
            )
    return columns


def read_row(path: Path, root: Path, entry) -> Row:
    if not isinstance(entry, dict) or not {"label", "config"} <= set(entry):
        raise ValueError(f"{path}: every row needs a label and a config, got {entry!r}")
    unknown = set(entry) - ROW_KEYS
    if unknown:
        raise ValueError(
            f"{path}: row {entry['label']}: unknown keys {sorted(unknown)}; "
            f"known: {sorted(ROW_KEYS)}"
        )
    if not (root / entry["config"]).is_file():
        raise FileNotFoundError(f"{path}: row {entry['label']}: no config {entry['config']}")
    tasks, seeds = entry.get("tasks"), entry.get("seeds")
    return Row(
        label=str(entry["label"]),
        config=str(entry["config"]),
        overrides=tuple(str(o) for o in entry.get("overrides") or ()),
        tasks=tuple(tasks) if tasks is not None else None,
        as_written=bool(entry.get("as_written", False)),
        threads=entry.get("threads"),
        env={str(k): str(v) for k, v in (entry.get("env") or {}).items()},
        kind=entry.get("kind"),
        options=dict(entry.get("options") or {}),
        seeds=tuple(int(s) for s in seeds) if seeds is not None else None,
    )


def all_specs(root: Path = Path(".")) -> list[Spec]:
    return [load_spec(str(p), root) for p in sorted((root / SPECS).glob("*.yaml"))]
