"""The ``metric_meta`` kind end to end on a tiny spec: retrieval on held-out digits against a
baseline embedding with its verdict lines, a few-shot row on held-out classes, and the
sinusoid rows of ``maml_sinusoid`` read from their config -- one table, as the benchmark's."""

import pytest
import yaml

from tests.bench.tiny import TINY, run_and_render
from tests.conftest import ROOT
from transferlab.commands.bench.kinds.metric_meta import few_shot_table, sinusoid_settings
from transferlab.commands.bench.render import resumed_note

EPISODES = [
    "--data.init_args.train_episodes=8",
    "--data.init_args.val_episodes=2",
    "--data.init_args.test_episodes=10",
]


def tiny_sinusoid(folder, name, meta_steps=60):
    """The benchmark's sinusoid config, with fewer meta-training steps."""
    settings = yaml.safe_load((ROOT / "configs/maml" / name).read_text())
    path = folder / name
    path.write_text(yaml.safe_dump(settings | {"meta_steps": meta_steps}))
    return str(path)


def tiny_spec(folder):
    metric = ["metric"]
    spec = {
        "title": "tiny metric and meta",
        "kind": "metric_meta",
        "seeds": [0],
        "baseline": "Softmax embedding (baseline)",
        "tasks": {"metric": [], "5-way 1-shot": EPISODES, "sinusoid": []},
        "rows": [
            {
                "label": "Untrained digit CNN (random init)",
                "config": str(ROOT / "configs/softmax_embedding/mnist_held_out_digits.yaml"),
                "tasks": metric,
                "overrides": [*TINY, "--trainer.max_epochs=0"],
            },
            {
                "label": "Softmax embedding (baseline)",
                "config": str(ROOT / "configs/softmax_embedding/mnist_held_out_digits.yaml"),
                "tasks": metric,
                "overrides": TINY,
            },
            {
                "label": "Triplet (semi-hard)",
                "config": str(ROOT / "configs/triplet/mnist_held_out_digits.yaml"),
                "tasks": metric,
                "overrides": TINY,
            },
            {
                "label": "ProtoNet",
                "config": str(ROOT / "configs/protonet/digits_5way_1shot.yaml"),
                "tasks": ["5-way 1-shot"],
                "overrides": TINY,
            },
            {
                "label": "MAML (second order)",
                "config": tiny_sinusoid(folder, "sinusoid.yaml"),
                "kind": "maml_sinusoid",
                "tasks": ["sinusoid"],
            },
            {
                "label": "FOMAML (first order)",
                "config": tiny_sinusoid(folder, "sinusoid_fomaml.yaml"),
                "kind": "maml_sinusoid",
                "tasks": ["sinusoid"],
            },
        ],
    }
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_retrieval_few_shot_and_sinusoid_rows_make_one_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path)
    runs, table = run_and_render(path)
    assert "| method | P@1 | R@4 | MAP@R | verification AUC | seeds | fit s | commit |" in table
    assert "| Untrained digit CNN (random init) | " in table
    # the rows listed after the baseline get a verdict per seed-paired metric; rows before
    # it (the untrained network) are references
    assert table.count("- P@1: Triplet (semi-hard) ") == 1
    assert table.count("- MAP@R: Triplet (semi-hard) ") == 1
    assert table.count("- verification AUC: Triplet (semi-hard) ") == 1
    assert "- P@1: Untrained" not in table and "the softmax embedding" in table
    assert "| 5-way 1-shot | ProtoNet | " in table
    assert "held-out accuracy (± 95% CI over 10 episodes)" in table  # the run's test episodes
    assert "| sinusoid, 10-shot, 1 step | query MSE before adaptation |" in table
    assert "| FOMAML (first order) | " in table
    for run in runs:
        if run["task"] == "sinusoid":
            # one adaptation step from 10 points lowers the query error of new sinusoids
            assert 0 < run["post_adaptation_mse"] < run["pre_adaptation_mse"]
            assert run["settings"]["meta_steps"] == 60
        else:
            assert 0 <= run["target_test_acc"] <= 1
    retrieval = [r for r in runs if r["task"] == "metric"]
    assert all(0 <= r["other_test_metrics"]["test/target_map_at_r"] <= 1 for r in retrieval)
    (few_shot,) = [r for r in runs if r["task"] == "5-way 1-shot"]
    assert 0 < few_shot["other_test_metrics"]["test/target_acc_ci95"] < 0.5


def test_the_sinusoid_configs_hold_the_benchmark_settings_and_refuse_a_wrong_key(tmp_path):
    """configs/maml/sinusoid*.yaml are no LightningCLI configs: the kind reads them as
    ``meta_train_sinusoid``'s arguments, and names a key it does not know."""
    second = sinusoid_settings(ROOT / "configs/maml/sinusoid.yaml")
    first = sinusoid_settings(ROOT / "configs/maml/sinusoid_fomaml.yaml")
    assert second | {"first_order": True} == first and not second["first_order"]
    assert second["meta_steps"] == 2000 and second["outer_lr"] == 0.003
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump(second | {"meta_stepz": 3}))
    with pytest.raises(ValueError, match=r"wrong.yaml: unknown sinusoid settings \['meta_stepz'\]"):
        sinusoid_settings(wrong)


def test_a_resumed_run_marks_its_fit_time_as_a_lower_bound():
    """A run stopped and resumed timed only its second part: this kind's own table says so,
    as the common table does."""
    run = {
        "target_test_acc": 0.5,
        "other_test_metrics": {"test/target_acc_ci95": 0.05},
        "test_episodes": 10,
        "fit_seconds": 12.0,
    }
    whole = few_shot_table([("5-way 1-shot", "ProtoNet", [run])])[-1]
    resumed = run | {"resumed_from": "runs/bench/tiny/last.ckpt"}
    marked = few_shot_table([("5-way 1-shot", "ProtoNet", [resumed])])[-1]
    assert "| 12 |" in whole and "| 12 (resumed) |" in marked
    assert resumed_note([run]) == "" and "lower bound" in resumed_note([run, resumed])
