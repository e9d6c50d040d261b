"""TF-IDF + logistic regression and SetFit on our exact text splits, as benchmark kinds."""

import json

import pytest
import yaml

from tests.conftest import ROOT
from transferlab.commands.bench.command import main

# a guess between the two classes scores 0.5 on any split; SetFit on 8 Amazon reviews per
# class, seeds 0-2 of the benchmark: 0.697, 0.729, 0.729
SETFIT_FLOOR = 0.6


def test_tfidf_fits_the_few_labeled_texts_and_beats_chance_on_the_test_split(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {
        "title": "tiny",
        "seeds": [0],
        "overrides": ["--data.init_args.max_length=16", "--data.init_args.split_seed={seed}"],
        "tasks": {"amazon, 64/class": ["--data.init_args.domain=amazon"]},
        "rows": [
            {
                "label": "TF-IDF",
                "config": str(ROOT / "configs/fine_tuning/sentiment_movies_8_labels.yaml"),
                "kind": "peer_tfidf_logreg",
                "overrides": ["--data.init_args.labels_per_class=64"],
            }
        ],
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(spec))
    main(["run", str(tmp_path / "tiny.yaml")])
    main(["render", str(tmp_path / "tiny.yaml")])
    run = json.loads((tmp_path / "benchmarks/results/tiny.json").read_text())["runs"][0]
    assert run["labeled_texts"] == 128 and run["protocol"] == "none"
    assert run["target_test_acc"] > 0.55  # two balanced-ish classes; 3 seeds: 0.66-0.72
    assert "| amazon, 64/class | TF-IDF |" in (tmp_path / "benchmarks/results/tiny.md").read_text()


@pytest.mark.slow
def test_setfit_trains_on_the_same_few_labeled_texts(tmp_path, monkeypatch):
    """Skipped unless ``make peers`` installed setfit."""
    pytest.importorskip("setfit")
    monkeypatch.chdir(tmp_path)
    spec = {
        "title": "tiny",
        "seeds": [0],
        "overrides": ["--data.init_args.split_seed={seed}"],
        "tasks": {"amazon, 8/class": ["--data.init_args.domain=amazon"]},
        "rows": [
            {
                "label": "SetFit",
                "config": str(ROOT / "configs/fine_tuning/sentiment_movies_8_labels.yaml"),
                "kind": "peer_setfit",
            }
        ],
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(spec))
    main(["run", str(tmp_path / "tiny.yaml")])
    run = json.loads(next((tmp_path / "runs/bench/tiny").glob("*.json")).read_text())
    assert run["labeled_texts"] == 16 and run["protocol"] == "none"
    assert run["target_test_acc"] > SETFIT_FLOOR
