"""The one parser every ``transferlab`` subcommand builds its options on.

``fit``/``validate``/``test`` are LightningCLI, whose parser is jsonargparse; the project's
own subcommands use the same library through :func:`command_parser`, so on every
subcommand ``-c FILE`` reads the options from YAML, ``--print_config`` shows the options a
run would use, and dotted overrides (``--active.budget=40``) change one key. A bad option
raises ``argparse.ArgumentError``, which the ``transferlab`` command reports in one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jsonargparse import ActionConfigFile, ArgumentParser, DefaultHelpFormatter, Namespace

# the sections of a ``transferlab fit`` config: options that start with one of these are
# overrides for the runs a subcommand starts (compare, active), not its own options
RUN_SECTIONS = (
    "trainer",
    "model",
    "data",
    "optimizer",
    "lr_scheduler",
    "seed_everything",
    "ckpt_path",
)


class ExamplesKeptFormatter(DefaultHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """jsonargparse's help, with the description (its examples) printed as written."""


def command_parser(subcommand: str, description: str | None) -> ArgumentParser:
    """A parser for ``transferlab <subcommand>`` with ``-c/--config`` and ``--print_config``."""
    parser = ArgumentParser(
        prog=f"transferlab {subcommand}",
        description=description,
        formatter_class=ExamplesKeptFormatter,
        exit_on_error=False,
    )
    parser.add_argument("-c", "--config", action=ActionConfigFile, help="options as YAML")
    return parser


def split_run_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the subcommand's own options, overrides for the runs it starts).

    ``--trainer.max_epochs=2`` and ``--trainer.max_epochs 2`` are both overrides."""
    own, runs = [], []
    arguments = iter(argv)
    for argument in arguments:
        name = argument[2:].split("=")[0].split(".")[0] if argument.startswith("--") else ""
        if name not in RUN_SECTIONS:
            own.append(argument)
            continue
        runs.append(argument)
        if "=" not in argument:
            value = next(arguments, None)
            if value is not None:
                runs.append(value)
    return own, runs


def parse(parser: ArgumentParser, argv: list[str] | None) -> Namespace:
    """``parser.parse_args``, with a missing ``-c`` file, or a bad option read from one,
    reported with the file's name (as ``ValueError``/``FileNotFoundError``, one line)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    files = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-c", "--config")]
    files += [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    for path in files:
        if not Path(path).is_file():
            raise FileNotFoundError(f"config {path} does not exist")
    try:
        return parser.parse_args(argv)
    except argparse.ArgumentError as error:
        if not files:
            raise
        raise ValueError(f"{', '.join(files)}: {error}") from None
