"""The generative kinds end to end on a tiny spec: a held classifier, a VAE and a conditional
GAN scored by it, linear probes of a random and of the VAE's encoder over their own seeds,
the tables and the sample pictures."""

import pytest
import yaml

from tests.bench.tiny import TINY_TESTS, run_and_render
from tests.conftest import ROOT
from transferlab.commands.bench.kinds.generative import model_lines

PROBE = str(ROOT / "configs/feature_extraction/mnist_10_labels.yaml")
SAMPLES = {"samples": 200}


def tiny_spec(folder):
    spec = {
        "title": "tiny generative",
        "caption": "held classifier {classifier_acc:.1f}%, real digits {real_fid:.1f}.",
        "kind": "generative",
        "seeds": [0],
        "threads": 1,
        "overrides": TINY_TESTS,
        "rows": [
            {
                "label": "held classifier",
                "config": str(ROOT / "configs/source_only/mnist_to_mnistm.yaml"),
                "kind": "held_classifier",
                "options": SAMPLES,
            },
            {"label": "VAE", "config": str(ROOT / "configs/vae/mnist.yaml"), "options": SAMPLES},
            {
                "label": "cGAN",
                "config": str(ROOT / "configs/conditional_gan/mnist.yaml"),
                "options": {**SAMPLES, "conditional": True},
            },
            {
                "label": "random init digit CNN",
                "config": PROBE,
                "kind": "linear_probe",
                "options": {"seeds": [0, 1]},
            },
            {
                "label": "VAE encoder",
                "config": PROBE,
                "kind": "linear_probe",
                "overrides": ["--model.init_args.weights={checkpoint:VAE}"],
                "options": {"seeds": [0, 1], "versus": "random init digit CNN"},
            },
        ],
    }
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_samples_are_scored_by_the_held_classifier_and_encoders_probed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tiny_spec(tmp_path)
    runs, table = run_and_render(path)
    held, vae, cgan, random, encoder = runs
    assert held["real_fid"] >= 0 and 0 <= held["source_test_acc"] <= 1
    for model in (vae, cgan):
        assert model["fid"] > held["real_fid"]  # a model one epoch old is far from real
        assert sum(model["histogram"]) == pytest.approx(1)
        assert model["class_share_min"] <= 0.1 <= model["class_share_max"]
    assert "test/nelbo" in vae["other_test_metrics"] and "asked_class_acc" not in vae
    assert 0 <= cgan["asked_class_acc"] <= 1
    for probe in (random, encoder):
        assert probe["probe_seeds"] == [0, 1] and len(probe["probe_runs"]) == 2
        assert all(0 <= acc <= 1 for acc in probe["probe_test_acc"])
        assert [run["seed"] for run in probe["probe_runs"]] == [0, 1]
    # the probe trains on the VAE's encoder, taken from the VAE run's checkpoint
    weights = [o for o in encoder["overrides"] if o.startswith("--model.init_args.weights=")]
    assert weights == [f"--model.init_args.weights={vae['checkpoint_path']}"]
    assert table.startswith(
        f"held classifier {100 * held['source_test_acc']:.1f}%, real digits {held['real_fid']:.1f}."
    )
    assert "| VAE | " in table and "−ELBO" in table and "| cGAN | " in table
    assert "mean ± std over seeds [0, 1]" in table
    assert "| random init digit CNN | " in table and "| – |" in table
    gain = 100 * (sum(encoder["probe_test_acc"]) - sum(random["probe_test_acc"])) / 2
    assert "| VAE encoder | " in table and f"| {gain:+.1f} |" in table
    for name in ("vae", "conditional_gan"):
        assert (tmp_path / f"benchmarks/results/tiny_samples_{name}.png").stat().st_size > 1000


def test_a_resumed_model_marks_its_fit_time_as_a_lower_bound():
    """A model stopped and resumed timed only its second part; its row says so."""
    model = {
        "label": "DCGAN",
        "fid": 30.0,
        "class_share_min": 0.05,
        "class_share_max": 0.2,
        "other_test_metrics": {"test/d_real_acc": 0.6, "test/d_fake_acc": 0.7},
        "fit_seconds": 40.0,
        "resumed_from": "runs/bench/tiny/last.ckpt",
    }
    assert "| 40 (resumed) |" in model_lines([model])[-1]
