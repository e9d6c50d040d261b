"""Shared test helpers: every run is offline, quiet, and writes under a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from transferlab.commands.cli import TransferLabCLI

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
QUIET = ("--trainer.logger=false", "--trainer.enable_progress_bar=false")

if os.environ.get("PYTEST_XDIST_WORKER"):  # one worker per core: no thread oversubscription
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.chdir(tmp_path)


def build_cli(config: str | Path, *overrides: str) -> TransferLabCLI:
    """Parse and instantiate a config like ``transferlab fit -c`` would, without running."""
    return TransferLabCLI(args=["-c", str(config), *QUIET, *overrides], run=False)


def config(relative: str) -> str:
    return str(CONFIGS / relative)


def run_transferlab(*args: str, timeout: int = 400):
    """Run the ``transferlab`` command in a fresh process, as a user would."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "transferlab.commands.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
