"""``transferlab``: the one command. Its subcommands, and how they are reached.

``fit``, ``validate`` and ``test`` are LightningCLI (:mod:`.cli`); the
project's own subcommands are registered in :data:`SUBCOMMANDS`, each a module with a
``main(argv)``. ``transferlab --help`` lists them all. Bad input from a user (a missing
file, a junk checkpoint, an unknown choice ...) ends as one line on stderr naming what is
wrong, exit code 2, no traceback (``TRANSFERLAB_TRACEBACK=1`` shows it). The old
``transferlab-*`` scripts are aliases that say which subcommand replaces them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings

from transferlab.registry import Registry

# LightningCLI's subcommands, with what each does here
LIGHTNING = {
    "fit": "train a method from a YAML config (-c configs/<method>/<task>.yaml)",
    "validate": "score a checkpoint on the validation split of the configured data",
    "test": "test a checkpoint on the configured data and write its report",
}
SUBCOMMANDS = Registry("subcommand")
SUBCOMMANDS.add(
    "compare",
    "transferlab.commands.compare",
    help="run configs with one seed and compare them on the target test split",
)
SUBCOMMANDS.add(
    "shift",
    "transferlab.commands.shift_report",
    help="do two domains differ, and how (MMD, classifier test, label shift)?",
)
SUBCOMMANDS.add(
    "export",
    "transferlab.commands.export",
    help="checkpoint -> ONNX / "
    "torch.export / network file, pruned or int8, with parity and latency",
)
SUBCOMMANDS.add(
    "active",
    "transferlab.commands.active",
    help="active learning: which images to label next, simulated or with a person (CSV)",
)
SUBCOMMANDS.add(
    "predict",
    "transferlab.commands.predict",
    help="classify image files (folders, files, globs) with a checkpoint into a CSV",
)
SUBCOMMANDS.add(
    "explain",
    "transferlab.commands.explain",
    help="where a classifier looks: Grad-CAM, LIME, SHAP heat maps, with honesty checks",
)
SUBCOMMANDS.add(
    "bench",
    "transferlab.commands.bench.command",
    help="run benchmark specs (benchmarks/specs/) and render their results tables",
)
# exceptions that mean bad input from the user, not a bug: reported in one line
USER_ERRORS = (
    ValueError,
    FileNotFoundError,
    NotADirectoryError,
    FileExistsError,
    argparse.ArgumentError,
)


def usage() -> str:
    width = max(map(len, [*LIGHTNING, *SUBCOMMANDS.names()]))
    lines = ["usage: transferlab <subcommand> [options]  (transferlab <subcommand> --help)", ""]
    lines += [f"  {name:<{width}}  {text}" for name, text in LIGHTNING.items()]
    lines += [f"  {e.name:<{width}}  {e.help}" for e in SUBCOMMANDS]
    lines += ["", "e.g. transferlab fit -c configs/dann/mnist_to_mnistm.yaml"]
    return "\n".join(lines)


def dispatch(argv: list[str]) -> None:
    """Run the subcommand ``argv`` names with the rest of ``argv``."""
    subcommand = argv[0] if argv else None
    if subcommand in (None, "-h", "--help"):
        print(usage())
        return
    if subcommand in SUBCOMMANDS:
        importlib.import_module(SUBCOMMANDS.get(subcommand)).main(argv[1:])
        return
    if subcommand not in LIGHTNING and not subcommand.startswith("-"):
        known = ", ".join([*LIGHTNING, *SUBCOMMANDS.names()])
        raise ValueError(f"unknown subcommand {subcommand!r}; choose from {known}")
    from transferlab.commands.cli import TransferLabCLI

    TransferLabCLI(args=argv)


# notices from dependencies that a user cannot act on: import-time warnings of torch,
# a deprecation inside Lightning, and Lightning's advertisement for another package
QUIET_LOGGERS = ("torch.utils._pytree", "torch.utils.cpp_extension")


def silence_dependency_noise() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)`")
    lightning = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    if not_an_advertisement not in lightning.filters:
        lightning.addFilter(not_an_advertisement)


def not_an_advertisement(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("💡 Tip:")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    silence_dependency_noise()
    try:
        dispatch(argv)
    except USER_ERRORS as error:
        if "transferlab.commands.cli" in sys.modules:  # a LightningCLI run: no folder left
            sys.modules["transferlab.commands.cli"].release_unused_run_dirs()
        if os.environ.get("TRANSFERLAB_TRACEBACK"):
            raise
        name = f"transferlab {argv[0]}" if argv else "transferlab"
        one_line = " ".join(str(error).split())
        print(f"{name}: error: {one_line}", file=sys.stderr)
        raise SystemExit(2) from None


def alias(subcommand: str):
    """The entry point of an old ``transferlab-<name>`` script: it says what replaces it."""

    def run() -> None:
        print(f"note: this script is now `transferlab {subcommand}`", file=sys.stderr)
        main([subcommand, *sys.argv[1:]])

    return run


compare, shift, export, active = (alias(n) for n in ("compare", "shift", "export", "active"))
