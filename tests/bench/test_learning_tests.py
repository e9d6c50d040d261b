"""The ``learning_tests`` kind end to end on a tiny spec: the claims a test asserts with the
effect at every seed, and per task each metric per seed and the paired differences."""

import pytest
import yaml

from tests.bench.tiny import TINY, run_and_render
from tests.conftest import ROOT
from transferlab.commands.bench.kinds.learning_tests import learning_tests_table
from transferlab.commands.bench.spec import load_spec

CLAIM = {"test": "adaptation/test_adaptation_runs.py", "metric": "test/target_acc"}


def tiny_spec(folder, **options):
    spec = {
        "title": "tiny learning tests",
        "kind": "learning_tests",
        "seeds": [0, 1],
        "threads": 1,
        "tasks": {"adaptation": TINY},
        "rows": [
            {
                "label": "source_only",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
            },
            {"label": "dann", "config": str(ROOT / "configs/dann/mnist_to_mnistm.yaml")},
        ],
        "options": {
            "metrics": {"adaptation": ["test/target_acc", "test/source_acc"]},
            "pairs": [["dann", "source_only"]],
            "claims": [
                CLAIM | {"run": "dann", "baseline": "source_only", "margin": -100},
                CLAIM | {"run": "dann", "baseline": None, "margin": 101},
            ],
        }
        | options,
    }
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_claims_per_seed_tables_and_paired_differences(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path)
    runs, table = run_and_render(path)
    accuracy = {(r["label"], r["seed"]): r["target_test_acc"] for r in runs}
    assert all(0 <= a <= 1 for a in accuracy.values()) and len(accuracy) == 4
    effects = [100 * (accuracy[("dann", s)] - accuracy[("source_only", s)]) for s in (0, 1)]
    cells = ", ".join(f"{e:+.2f}" for e in effects)
    # a margin below every seed's effect holds; an accuracy above 101% cannot
    claim = f"| dann − source_only: test/target_acc > -100 | -100 | {cells} | {min(effects):+.2f} |"
    assert f"{claim} yes |" in table
    assert "| dann: test/target_acc > 101 | 101 | " in table and table.count("| **no** |") == 1
    assert "### adaptation (seeds 0, 1, one thread)" in table
    for label in ("source_only", "dann"):
        values = " | ".join(f"{100 * accuracy[(label, s)]:.2f}" for s in (0, 1))
        assert f"| {label} | test/target_acc | {values} | " in table
        assert f"| {label} | test/source_acc | " in table  # the task's second metric
    assert f"| dann − source_only | test/target_acc | {cells} | {min(effects):+.2f} |" in table


def test_a_pair_or_claim_naming_no_row_is_refused(tmp_path):
    path = tiny_spec(tmp_path, pairs=[["dan", "source_only"]])
    spec = load_spec(str(path), root=ROOT)
    with pytest.raises(ValueError, match=r"tiny.yaml: pairs or claims name no row: \['dan'\]"):
        learning_tests_table(spec, [], tmp_path)
