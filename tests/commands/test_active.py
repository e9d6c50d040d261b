"""``transferlab-active``: its configs, and a loop that grows by the query size each round
and resumes after an interruption exactly as if it had not stopped."""

import json

import pytest
import yaml

from tests.conftest import CONFIGS, build_cli
from transferlab.commands.active import main, read_config

ACTIVE_CONFIGS = sorted((CONFIGS / "active").glob("*.yaml"))
SHORT = ["--trainer.max_epochs=1", "--trainer.limit_val_batches=2"]


@pytest.mark.parametrize("path", ACTIVE_CONFIGS, ids=lambda p: p.name)
def test_every_active_config_has_a_valid_loop_and_fit_part(path, tmp_path):
    active, fit = read_config(path)
    assert active["query_size"] > 0 and active["budget"] > 0
    fit_config = tmp_path / "fit.yaml"
    fit_config.write_text(yaml.safe_dump(fit))
    cli = build_cli(fit_config)
    assert hasattr(cli.datamodule, "training_pool")


def test_bad_active_sections_are_named(tmp_path):
    config = yaml.safe_load((CONFIGS / "active" / "mnist_entropy.yaml").read_text())
    config["active"]["strategy"] = "confidence"
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match="strategy='confidence'; choose from random"):
        read_config(tmp_path / "a.yaml")
    config["active"] = {"strategy": "entropy", "rounds": 3}
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match=r"unknown active keys \['rounds'\]"):
        read_config(tmp_path / "b.yaml")


def loop_config(tmp_path, name: str):
    config = yaml.safe_load((CONFIGS / "active" / "mnist_entropy.yaml").read_text())
    config["active"] |= {"output": str(tmp_path / name), "query_size": 7, "budget": 40}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_rounds_add_the_query_size_and_a_resumed_loop_matches_an_uninterrupted_one(tmp_path):
    straight = main(["-c", loop_config(tmp_path, "straight"), "--max_rounds=2", *SHORT])
    interrupted = loop_config(tmp_path, "interrupted")
    main(["-c", interrupted, "--max_rounds=1", *SHORT])  # stops after one round
    resumed = main(["-c", interrupted, "--max_rounds=1", *SHORT])
    assert [h["labels"] for h in straight.history] == [20, 27]
    assert len(straight.labeled) == 34 == len(set(straight.labeled))
    assert resumed.history == [
        {**h, "seconds": r["seconds"]}
        for h, r in zip(straight.history, resumed.history, strict=True)
    ]
    assert resumed.labeled == straight.labeled
    state = json.loads((tmp_path / "interrupted" / "state.json").read_text())
    assert state["round"] == 2 and (tmp_path / "interrupted" / "curve.png").is_file()
