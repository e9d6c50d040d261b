"""``transferlab bench``: run, render, or do every benchmark spec.

    transferlab bench run domain_adaptation        # what is missing; resumes a stopped run
    transferlab bench run adaptation_suite --seeds 0 --workers 2
    transferlab bench render domain_adaptation     # results/<spec>.{json,md} + README blocks
    BENCH_OVERRIDES="--trainer.accelerator=gpu" transferlab bench run semi_supervised \
        --name semi_supervised_gpu                 # the same spec on a GPU, stored apart
    transferlab bench all [--dry-run]              # every spec in benchmarks/specs/ (one
                                                   # whose kind needs CUDA: skipped without)

A spec is ``benchmarks/specs/<name>.yaml`` (or a path to one): the configs it runs, the
overrides per row, the seeds, the selection protocols and the baseline. Finished runs are
kept in ``runs/bench/<spec>/``, one file each, with the commit, command, package versions,
threads, machine, wall time and date that produced them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from transferlab.commands.bench.render import fill_blocks, render
from transferlab.commands.bench.runner import (
    CAN_LOCK,
    STORE,
    missing,
    run_in_processes,
    run_spec,
    trained_as,
    unmet_needs,
)
from transferlab.commands.bench.spec import all_specs, load_spec
from transferlab.commands.options import command_parser, parse

ACTIONS = ("run", "render", "all")
PAGES_WITH_BLOCKS = ("README.md",)


def parser_for(action: str):
    parser = command_parser(f"bench {action}", __doc__)
    if action != "all":
        parser.add_argument("spec", help="a spec name in benchmarks/specs/ or a path")
        parser.add_argument(
            "--name",
            type=str | None,
            default=None,
            help="store and render under this name (e.g. the same spec on a GPU)",
        )
    if action in ("run", "all"):
        parser.add_argument(
            "--seeds",
            type=int,
            default=None,
            nargs="+",
            help="only these seeds (default: the spec's)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes side by side, each taking whole (seed, task) groups no other has",
        )
        parser.add_argument(
            "--only", type=str | None, default=None, help="one run, by its key (see --dry-run)"
        )
        parser.add_argument(
            "--dry-run",
            "--dry_run",
            dest="dry_run",
            action="store_true",
            help="list what would run, run nothing",
        )
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: transferlab bench run|render|all [options]  (transferlab bench run -h)")
        print("\n" + __doc__.strip())
        raise SystemExit(0)
    action, rest = argv[0], argv[1:]
    if action not in ACTIONS:
        raise ValueError(f"unknown bench action {action!r}; choose from {', '.join(ACTIONS)}")
    args = parse(parser_for(action), rest)
    specs = all_specs() if action == "all" else [load_spec(args.spec)]
    if getattr(args, "name", None):
        specs[0].name = args.name
    if action == "all":
        for spec in [s for s in specs if unmet_needs(s)]:  # e.g. a GPU benchmark on a CPU
            print(f"skipped {unmet_needs(spec)}")
        specs = [s for s in specs if not unmet_needs(s)]
    for spec in specs if action != "render" else []:
        run(spec, args, one=action == "run")
    if action != "run" and not getattr(args, "dry_run", False):
        for spec in specs:  # after every run: a spec that borrows sees its lender's last runs
            print(f"wrote {render(spec)}")
        for page in PAGES_WITH_BLOCKS:
            if Path(page).is_file():
                fill_blocks(Path(page))


def run(spec, args, one: bool = True) -> None:
    """What is left of ``spec``, listed or run; ``one``: the spec was named on its own, so a
    spec with nothing left says where its runs are (``all`` says it of no spec)."""
    if args.workers > 1 and args.only:
        raise ValueError("--only names one run: it runs in one process, not --workers")
    if args.workers > 1 and not CAN_LOCK:
        raise ValueError("--workers needs file locks (fcntl), which this system lacks")
    seeds = list(args.seeds) if args.seeds else None
    todo = missing(spec, seeds)
    total = len(spec.runs(seeds))
    again = f" (all stored; to measure again, move them into {STORE / spec.name}/superseded/)"
    print(
        f"{spec.name}: {len(todo)} of {total} runs to do"
        + (again if one and total and not todo else "")
    )
    if args.dry_run:
        for item in todo:
            twin = trained_as(spec, item)
            kept = f" (the run {twin}: kept from it, not trained again)" if twin else ""
            print(f"  {item.key}: {item.row.config} {' '.join(item.overrides)}{kept}")
        return
    if args.workers > 1:
        run_in_processes(spec, seeds, args.workers)
        return
    run_spec(spec, seeds, only=args.only)
