"""The ``active_learning`` kinds: a run is one whole ``transferlab active`` loop, the table
its learning curve in labels; the full-pool table also checks its goals."""

import math

import yaml

from tests.bench.tiny import TINY_TESTS, run_and_render
from tests.conftest import ROOT
from transferlab.commands.bench.kinds.active_learning import full_table, labels_to_reach
from transferlab.commands.bench.spec import load_spec


def test_loops_run_and_render_a_learning_curve_table_with_the_run_without_queries(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    loop = str(ROOT / "configs/active/mnist_entropy.yaml")
    spec = {
        "title": "tiny loops",
        "caption": "two strategies, two rounds",
        "kind": "active_learning",
        "seeds": [0],
        "overrides": TINY_TESTS,
        # the loops' settings, not train's; each round scores 300 random pool images
        "options": {"budget": 30, "query_size": 10, "score_subset": 300},
        "rows": [
            {"label": "random", "config": loop, "options": {"strategy": "random"}},
            {"label": "margin", "config": loop, "options": {"strategy": "margin"}},
            {
                "label": "no queries",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
                "kind": "train",
            },
        ],
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert load_spec(str(path), root=ROOT).rows[2].options == {}
    runs, table = run_and_render(path)
    loops = {run["label"]: run for run in runs if "history" in run}
    assert set(loops) == {"random", "margin"}
    for label, run in loops.items():
        settings = run["active"]  # the row's strategy, the spec's budget and query size
        assert (settings["strategy"], settings["budget"], settings["query_size"]) == (label, 30, 10)
        assert [h["labels"] for h in run["history"]] == [20, 30]
        assert all(0 < h["test_acc"] <= 1 and h["seconds"] > 0 for h in run["history"])
        assert len(set(run["history"][0]["queried"])) == 10
        assert run["provenance"]["commit"] != "unrecorded"
    assert "| strategy | seeds | @20 | @30 | labels for 90% | area under curve |" in table
    assert "| random | 1 |" in table and "| margin | 1 |" in table
    assert "10 labels per round up to 30, each round scoring a fresh random 300 " in table
    assert "no queries (`" in table and "% target test accuracy (seeds [0]" in table
    assert (tmp_path / "benchmarks/results/tiny_curves.png").is_file()


def loop(task: str, label: str, seed: int, accuracies: list[float]) -> dict:
    history = [
        {"labels": 20 + 10 * i, "test_acc": a, "seconds": 2.0} for i, a in enumerate(accuracies)
    ]
    return {"task": task, "label": label, "seed": seed, "history": history}


def test_the_full_pool_table_takes_medians_over_seeds_and_checks_its_goals(tmp_path):
    """Labels to reach an accuracy: the median over seeds, a seed that never got there
    counting as infinitely many; the goals are said met or not on the domain measured."""
    spec = load_spec("active_learning_full", root=ROOT)
    assert spec.rows[0].options == {
        "strategy": "random",
        "budget": 300,
        "query_size": 10,
        "score_subset": 10_000,
    }
    assert labels_to_reach(loop("mnist", "x", 0, [0.5, 0.91])["history"], 0.9) == 30
    assert labels_to_reach(loop("mnist", "x", 0, [0.5, 0.8])["history"], 0.9) == math.inf
    runs = [
        loop("mnist", "random", 0, [0.5, 0.6, 0.7, 0.8]),  # never at 90%
        loop("mnist", "margin", 0, [0.5, 0.91, 0.96, 0.97]),  # 30 labels
        loop("mnist", "margin", 1, [0.5, 0.8, 0.92, 0.95]),  # 40 labels
        loop("mnist", "margin", 2, [0.5, 0.6, 0.7, 0.8]),  # never
        loop("mnist", "core_set", 0, [0.4, 0.5, 0.6]),  # stopped a round early
    ]
    table = full_table(spec, runs, tmp_path)
    rows = [line for line in table.splitlines() if line.startswith("| mnist |")]
    assert [row.split(" | ")[1:10] for row in rows] == [
        ["random", "1", "50.0", "60.0", "70.0", "80.0", "not within 50", "not within 50", "65.0"],
        ["margin", "3", "50.0", "77.0", "86.0", "90.7", "40", "50", "75.9"],
        ["core_set", "1", "40.0", "50.0", "60.0", "–", "not within 40", "not within 40", "50.0"],
    ]
    assert "best strategy to 90%: **margin**, 40 labels; random: not within 50" in table
    assert "(goal: ≤ 120 and random ≥ 1.5× as many: met)" in table
    assert "area under the curve: 50.0 vs 65.0 (goal core-set ≥ random: NOT met)" in table
    assert (tmp_path / "active_learning_full_mnist_curves.png").is_file()
