"""The ``explanations`` kind end to end on a tiny spec: two trained models, each method's
maps checked for honesty, the table, and the Grad-CAM picture of both models."""

import yaml

from tests.bench.tiny import TINY_TESTS, run_and_render
from tests.conftest import ROOT


def test_explanations_are_checked_per_model_and_method_and_drawn(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {
        "title": "tiny explanations",
        "caption": "tiny",
        "kind": "explanations",
        "seeds": [0],
        "threads": 1,
        "overrides": TINY_TESTS,
        "options": {"images": 3, "shown": 2},
        "rows": [
            {
                "label": "source-only",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
            },
            {"label": "DANN", "config": str(ROOT / "configs/dann/mnist_to_mnistm.yaml")},
        ],
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    runs, table = run_and_render(path)
    assert [run["label"] for run in runs] == ["source-only", "DANN"]
    for run in runs:
        assert run["images"] == 3 and run["target"] == "mnistm"
        assert [m["method"] for m in run["methods"]] == ["gradcam", "lime", "shap"]
        for checked in run["methods"]:
            assert -1 <= checked["rank_correlation"] <= 1 and checked["seconds_per_image"] > 0
            assert checked["passed"] == (checked["rank_correlation"] < checked["threshold"])
            for curve in ("deletion", "insertion"):
                for order in ("attribution", "random"):
                    assert 0 <= checked[f"{curve}_{order}"] <= 1
    assert table.count("| source-only (") == 3 and table.count("| DANN (") == 3
    assert "| gradcam |" in table and "| shap |" in table
    assert (tmp_path / "benchmarks/results/tiny_gradcam.png").stat().st_size > 5000
