"""Shared test helpers: every run is offline, quiet, and writes under a temporary folder."""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
from pathlib import Path

import pytest
import torch

from transferlab.commands.cli import NO_CALLBACKS, QUIET_TRAINER, TransferLabCLI

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
QUIET = QUIET_TRAINER

# One thread in every test process, however pytest is started (``make test``'s workers, a
# plain ``pytest``): a training run's numbers move with the thread count (float sums are
# split differently), so a learning test must see the same numbers from every entry point.
# The processes a test starts (the notebook's kernel, console-script runs, DDP ranks) too:
# two OpenMP threads spinning on a core another worker holds run several times slower.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


@functools.cache
def code_version() -> str:
    """A hash of the source and configs: a shared trained fixture never outlives the code
    that trained it (a serial run's shared folder persists between runs)."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "src").rglob("*.py"), *CONFIGS.rglob("*.yaml")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# Tests that train for real (more than one fast_dev_run step), or use a fixture that does:
# marked slow here, so that `make test-fast` (-m "not slow") trains nothing. `make test`
# runs them all. Where a test file marks its own, it says so itself.
TRAINS = (
    "tests/methods/generative/test_generative.py::test_a_short_conditional_gan_run",
    "tests/methods/generative/test_generative.py::test_a_short_vae_run",
    "tests/methods/generative/test_generative.py::test_every_encoder_and_discriminator_loads",
    "tests/methods/meta/test_inner_loop.py::test_meta_training_on_sinusoids",
    "tests/methods/meta/test_inner_loop.py::test_first_order_maml_also_learns",
    "tests/methods/meta/test_meta_methods.py::",
    "tests/methods/compression/test_qat.py::",
    "tests/methods/compression/test_distillation.py::",
    "tests/methods/adaptation/test_shot_and_weighting.py::",
    "tests/methods/adaptation/test_gradual_self_training.py::",
    "tests/methods/semi_supervised/test_semi_supervised_methods.py::",
    "tests/methods/self_supervised/",
    "tests/methods/metric/test_metric_methods.py::test_embedding_picture",
    "tests/methods/transfer/",
    "tests/methods/adaptation/test_adaptation_methods.py::",
    "tests/commands/",
    "tests/explain/test_explanations.py::test_the_callback",
    "tests/explain/test_explanations.py::test_deleting",
    "tests/test_shift.py::test_shift_report",
    "tests/test_shift.py::test_bbse_callback",
    "tests/callbacks/test_pruning.py::",
    "tests/evaluation/test_report.py::",
    "tests/deploy/",
    "tests/data/test_digits.py::test_mnist_m",
    "tests/data/test_target_labels.py::",
    "tests/data/test_semi_supervised_data.py::test_a_model_logs",
    "tests/test_validators.py::test_checkpoint_is_selected",
    "tests/test_docs.py::test_the_add_a_method_example",
    "tests/test_docs.py::test_the_site_builds",
    "tests/test_resume.py::",
    "tests/test_distributed.py::",
    "tests/methods/compression/",
)


# fixtures that train a model: every test that uses one trains too
TRAINING_FIXTURES = {
    "trained",
    "source_only_mnist_to_mnistm",
    "conditional_gan",
    "source_checkpoint",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith(TRAINS) or TRAINING_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.slow)


def checkout_runs() -> set[Path]:
    """What the checkout's runs/ holds, two levels deep (a run's folder and its versions),
    but the benchmark store."""
    runs = ROOT / "runs"
    found = [*runs.glob("*"), *runs.glob("*/*")]
    return {p for p in found if p.relative_to(runs).parts[0] != "bench"}


@pytest.fixture(scope="session", autouse=True)
def session_in_a_temporary_folder(tmp_path_factory):
    """Every run writes under a temporary folder: the session starts in one, so a module or
    session fixture, which starts before its test moves into the test's own folder, writes
    there too. A test that still writes into the checkout's runs/ fails here."""
    before, start = checkout_runs(), Path.cwd()
    os.chdir(tmp_path_factory.mktemp("session"))
    yield
    os.chdir(start)
    written = sorted(str(p.relative_to(ROOT)) for p in checkout_runs() - before)
    assert not written, f"tests wrote into the checkout: {written}"


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
        [sys.executable, "-m", "transferlab.commands", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_once_per_session(tmp_path_factory, name: str, config_path: str, overrides=()):
    """``run_config`` once for all pytest workers: the first trains under a file lock in
    their shared temporary folder and stores the result; the others read it back."""
    import dataclasses
    import json

    from filelock import FileLock

    from transferlab.commands.compare import RunResult, run_config

    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every xdist worker
    stored = shared / f"{name}-{code_version()}.json"
    with FileLock(str(stored) + ".lock"):
        if not stored.exists():
            result = run_config(
                config_path,
                overrides=[*overrides, f"--trainer.default_root_dir={shared / 'runs' / name}"],
            )
            stored.write_text(json.dumps(dataclasses.asdict(result)))
    return RunResult(**json.loads(stored.read_text()))


def baseline_budget(epochs: int) -> tuple[str, ...]:
    return (f"--trainer.max_epochs={epochs}", "--trainer.logger=false", NO_CALLBACKS)


@pytest.fixture(scope="session")
def source_only_mnist_to_mnistm(tmp_path_factory):
    """Source-only on MNIST -> MNIST-M, seed 0, 3 epochs: a baseline the adaptation runs
    must beat and the teacher the distillation run distils."""
    return run_once_per_session(
        tmp_path_factory,
        "source_only_3_epochs",
        config("source_only/mnist_to_mnistm.yaml"),
        baseline_budget(3),
    )


# MiniLM's text budget: one epoch of 30 steps of 16 texts of 32 tokens, so one checkpoint
# (the validation batches choose nothing and train nothing)
TEXT_BUDGET = (
    *QUIET,
    NO_CALLBACKS,
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=30",
    "--trainer.limit_val_batches=2",
    "--trainer.limit_test_batches=10",
    "--data.init_args.max_length=32",
    "--data.init_args.batch_size=16",
)


@pytest.fixture(scope="session")
def minilm_movies_to_amazon(tmp_path_factory):
    """MiniLM fine-tuned on movie reviews at the text budget, seed 0: the text model that
    is checked, shipped and explained, and the teacher the text student distils."""
    return run_once_per_session(
        tmp_path_factory,
        "minilm_movies_to_amazon",
        config("source_only/sentiment_movies_to_amazon.yaml"),
        TEXT_BUDGET,
    )


@pytest.fixture(scope="module")
def trained(source_only_mnist_to_mnistm):
    """``(network, info, checkpoint path)`` of the shared source-only run."""
    from transferlab.deploy.network import load_network

    path = source_only_mnist_to_mnistm.checkpoint_path
    network, info = load_network(path)
    return network, info, path


@pytest.fixture(scope="module")
def digits():
    """MNIST -> MNIST-M as in the configs: 500 source test images, 256 calibration ones."""
    from transferlab.data import DigitDomains

    data = DigitDomains(source="mnist", target="mnistm", batch_size=128, num_workers=0)
    data.setup("fit")
    test = list(data.eval_dataloader("source", "test"))[:4]
    calibration = list(itertools.islice(data.eval_dataloader("target", "train", False), 2))
    return {"test": test, "calibration": calibration, "images": torch.cat([b[0] for b in test])}
