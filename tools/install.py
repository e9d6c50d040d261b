"""``pip install ARGS`` for the Makefile, done by uv where it can be.

pip installs one wheel after another: torch and its CUDA libraries alone are about 5 GB to
unpack, most of the two and a half minutes ``make install`` took on a 2-core machine. uv
(itself a pip package) resolves the same requirements and unpacks in parallel, in about a
fifth of that. It reads none of pip's settings, so the package indexes, find-links and
constraints pip is configured with (pip.conf, ``PIP_*`` variables) are handed to it, and
versions are chosen as pip chooses them: the best match across every index. Where uv cannot
be installed or fails, pip installs as before.

    python tools/install.py -e ".[dev,docs]"     # with the virtual environment's python
"""

from __future__ import annotations

import ast
import subprocess
import sys

# pip's setting -> uv's option; each value of a multi-valued setting is passed on its own
OPTIONS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraint",
    "no-index": "--no-index",
}
# the sections pip's install reads: a variable overrides the install section, which
# overrides the global one (pip has merged the user and site files into these already)
SCOPES = {"global": 0, "install": 1, ":env:": 2}
TRUE = {"1", "true", "yes", "on"}


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


def pip_settings(listing: str) -> dict[str, list[str]]:
    """``{setting: values}`` from ``pip config list``, whose lines read like
    ``global.find-links='a b'`` (the value as Python's ``repr``)."""
    ranked: dict[str, tuple[int, list[str]]] = {}
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        scope, _, name = key.rpartition(".")
        if scope not in SCOPES or name not in OPTIONS:
            continue
        values = str(ast.literal_eval(value)).split() if value else []
        if values and SCOPES[scope] >= ranked.get(name, (-1, []))[0]:
            ranked[name] = (SCOPES[scope], values)
    return {name: values for name, (_, values) in ranked.items()}


def uv_arguments(settings: dict[str, list[str]]) -> list[str]:
    arguments = ["--index-strategy", "unsafe-best-match"]  # pip's choice across indexes
    for name, values in settings.items():
        if name == "no-index":
            arguments += [OPTIONS[name]] if values[0].lower() in TRUE else []
            continue
        for value in values:
            arguments += [OPTIONS[name], value]
    return arguments


def main(requirements: list[str]) -> int:
    if pip("install", "-q", "uv").returncode == 0:
        try:
            arguments = uv_arguments(pip_settings(pip("config", "list").stdout))
        except (ValueError, SyntaxError) as error:  # a setting this script cannot read
            print(f"pip's settings unread ({error}); pip installs", file=sys.stderr)
        else:
            uv = [sys.executable, "-m", "uv", "pip", "install", "--python", sys.executable]
            if subprocess.run([*uv, *arguments, *requirements]).returncode == 0:
                return 0
            print("uv could not install; pip installs instead", file=sys.stderr)
    command = [sys.executable, "-m", "pip", "install", "--no-compile", *requirements]
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
