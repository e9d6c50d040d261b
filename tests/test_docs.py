"""The documentation: the site builds strictly (a broken link, a missing page or an include
of a missing results file fails), its worked example runs, and the README stays short with
every measured number inside a block generated from ``benchmarks/results/``."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, build_cli

# an accuracy, a ratio, a size, a time: a decimal number, a percentage or a multiple
MEASURED = re.compile(r"\d+\.\d+|\d+\s?%|\d+(\.\d+)?×|\d+\s?(ms|MB|min|s)\b")
GENERATED = re.compile(r"<!-- results:(\w+) -->.*?<!-- /results:\1 -->", re.S)


def test_the_site_builds_strictly(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "api" / "index.html").is_file()


def typed_numbers(text: str) -> list[str]:
    """Measured-looking numbers outside generated blocks, included results files, code
    blocks and inline code (commands and config values, not results)."""
    text = GENERATED.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r'--8<-- "[^"]*"', "", text)
    return [m.group(0) for m in MEASURED.finditer(text)]


def test_the_readme_is_short_and_types_no_result_by_hand():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for name in GENERATED.findall(readme):
        assert (ROOT / "benchmarks" / "results" / f"{name}.md").is_file(), name
    typed = typed_numbers(readme)
    assert not typed, f"numbers typed into README.md outside a generated block: {typed}"


WRITTEN_PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if "results" not in p.parts)


@pytest.mark.parametrize("page", WRITTEN_PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_no_docs_page_types_a_result_by_hand(page):
    """A result on a page is a table included from ``benchmarks/results/``, never typed."""
    typed = typed_numbers(page.read_text())
    assert not typed, f"numbers typed into {page.name} outside a generated table: {typed}"


def test_the_add_a_method_example_trains_and_rebuilds_from_its_checkpoint(monkeypatch):
    """docs/add-a-method.md, run as written (a few batches instead of two epochs)."""
    monkeypatch.syspath_prepend(str(ROOT / "docs" / "examples"))
    from transferlab.checkpoints import load_method

    cli = build_cli(
        ROOT / "docs" / "examples" / "my_method.yaml",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=2",
        "--trainer.callbacks=[]",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert "train/target_entropy" in cli.trainer.logged_metrics
    model, info = load_method(Path(cli.trainer.checkpoint_callback.last_model_path))
    assert info["method"] == type(model).__name__ == "TargetEntropy"


@pytest.mark.parametrize("page", sorted((ROOT / "docs").rglob("*.md")), ids=lambda p: p.name)
def test_every_page_is_in_the_navigation(page):
    relative = page.relative_to(ROOT / "docs").as_posix()
    if relative.startswith(("results/", "examples/")):
        return
    assert relative in (ROOT / "mkdocs.yml").read_text(), f"{relative} is not in mkdocs.yml nav"
