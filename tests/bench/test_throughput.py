"""The ``throughput`` and ``gpu_presets`` kinds end to end on tiny specs: Lightning's loop
against a plain loop over repeats, the trainer presets' timing (on the CPU here), and a
CUDA kind refused in one line, or skipped by ``bench all``, on a machine without CUDA."""

import dataclasses
import json
import math

import pytest
import torch
import yaml

from tests.conftest import ROOT
from transferlab.commands.bench.command import main
from transferlab.commands.bench.runner import KINDS
from transferlab.commands.bench.spec import load_spec

DANN = str(ROOT / "configs/dann/mnist_to_mnistm.yaml")
BARE = [
    "--trainer.logger=false",
    "--trainer.enable_progress_bar=false",
    "--trainer.callbacks=[]",
    "--trainer.enable_checkpointing=false",
]


def write(folder, name, spec):
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return path


def results(folder, name):
    table = (folder / f"benchmarks/results/{name}.md").read_text()
    return table, json.loads((folder / f"benchmarks/results/{name}.json").read_text())["runs"]


def test_lightning_and_a_plain_loop_are_timed_per_repeat_and_compared(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(
        tmp_path,
        "loops",
        {
            "title": "DANN training loop, digit_cnn",
            "kind": "throughput",
            "seeds": [0, 1],
            "options": {"steps": 4, "warmup": 1},
            "baseline": "plain",
            "rows": [
                {"label": "plain", "config": DANN, "overrides": BARE, "options": {"loop": "plain"}},
                {"label": "bare", "config": DANN, "overrides": BARE, "options": {"goal": 0.01}},
                {
                    "label": "every step logged",
                    "config": DANN,
                    "overrides": BARE,
                    "options": {"log_every_step": True},
                },
            ],
        },
    )
    main(["run", str(path)])
    main(["render", str(path)])
    table, runs = results(tmp_path, "loops")
    assert [(r["label"], r["seed"]) for r in runs] == [
        (label, seed) for label in ("plain", "bare", "every step logged") for seed in (0, 1)
    ]
    assert all(r["samples_per_second"] > 0 and r["timed_steps"] == 3 for r in runs)
    assert "batch 64+64, 3 timed steps, 2 interleaved repeats" in table
    assert "| plain | " in table and " | 1 | — |" in table  # the baseline's own ratio
    rates = {(r["label"], r["seed"]): r["samples_per_second"] for r in runs}
    ratios = sorted(rates["bare", s] / rates["plain", s] for s in (0, 1))
    assert f"| {ratios[0]:.3f} – {ratios[1]:.3f} |" in table  # per repeat, over the plain loop
    assert "Goal ≥ 0.01 with bare: reached" in table


def test_an_unknown_loop_is_refused_naming_the_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(
        tmp_path,
        "loops",
        {
            "title": "loops",
            "kind": "throughput",
            "seeds": [0],
            "options": {"steps": 2, "warmup": 1},
            "rows": [{"label": "by hand", "config": DANN, "options": {"loop": "by hand"}}],
        },
    )
    with pytest.raises(ValueError, match="row by hand: loop is one of lightning, plain"):
        main(["run", str(path)])


def presets_spec(folder, kind):
    return write(
        folder,
        "presets",
        {
            "title": "DANN training steps",
            "kind": kind,
            "seeds": [0],
            "overrides": BARE,
            "options": {"steps": 3, "warmup": 1},
            "tasks": {"digit_cnn 28 px": []},
            "baseline": "fp32",
            "rows": [
                {
                    "label": "fp32",
                    "config": DANN,
                    "overrides": [f"--config={ROOT / 'configs/trainer/cpu.yaml'}"],
                },
                {
                    "label": "bf16-mixed",
                    "config": DANN,
                    "overrides": [
                        f"--config={ROOT / 'configs/trainer/cpu.yaml'}",
                        "--trainer.precision=bf16-mixed",
                    ],
                },
            ],
        },
    )


def test_the_presets_timing_measures_and_renders_on_any_device(tmp_path, monkeypatch):
    """The gpu_presets measurement without its CUDA requirement, on the CPU presets."""
    monkeypatch.chdir(tmp_path)
    entry = KINDS.entry("gpu_presets")
    if "presets_anywhere" not in KINDS:
        KINDS.add("presets_anywhere", entry.target, table=entry.table, options=entry.options)
    main(["run", str(presets_spec(tmp_path, "presets_anywhere"))])
    main(["render", str(tmp_path / "presets.yaml")])
    table, runs = results(tmp_path, "presets")
    assert [r["label"] for r in runs] == ["fp32", "bf16-mixed"]
    for run in runs:
        assert run["samples_per_second"] > 0 and math.isfinite(run["last_loss"])
    assert "2 timed steps after 1 warm-up steps" in table
    assert "| digit_cnn 28 px | fp32 |" in table and "| 1.00x |" in table
    speedup = runs[1]["samples_per_second"] / runs[0]["samples_per_second"]
    assert f"| digit_cnn 28 px | bf16-mixed | {runs[1]['samples_per_second']:.0f} | " in table
    assert f"| {speedup:.2f}x |" in table


def preset_record(label: str, seed: int, rate: float) -> dict:
    """What a gpu_presets run records, as the table reads it."""
    return {
        "task": "digit_cnn 28 px",
        "label": label,
        "seed": seed,
        "device": "CPU",
        "batch_size": 64,
        "timed_steps": 2,
        "warmup_steps": 1,
        "samples_per_second": rate,
        "peak_memory_gib": None,
        "last_loss": 1.0,
        "provenance": {"commit": "0123456789", "dirty": False},
    }


def test_a_preset_without_a_record_says_not_measured(tmp_path):
    """A preset that failed or was not run keeps its row, marked, rather than vanishing."""
    spec = load_spec(str(presets_spec(tmp_path, "gpu_presets")))
    table = KINDS.entry("gpu_presets").table(spec, [preset_record("fp32", 0, 100.0)], tmp_path)
    assert "| digit_cnn 28 px | fp32 | 100 | 1.00x | – | 1.000 | 0123456 |" in table
    assert "| digit_cnn 28 px | bf16-mixed | not measured | – | – | – | – |" in table
    assert "1 run per preset (seed 0): no spread stands behind a ratio" in table


def test_presets_over_seeds_pair_each_seed_with_its_own_baseline(tmp_path):
    """Medians over seeds, each ratio over the same seed's baseline; a preset limited to
    other workloads has no row here, rather than a false 'not measured'."""
    spec = load_spec(str(presets_spec(tmp_path, "gpu_presets")))
    runs = [
        preset_record("fp32", 0, 100.0),
        preset_record("bf16-mixed", 0, 300.0),
        preset_record("fp32", 1, 200.0),
        preset_record("bf16-mixed", 1, 200.0),
    ]
    table = KINDS.entry("gpu_presets").table(spec, runs, tmp_path)
    assert "| digit_cnn 28 px | fp32 | 150 | 1.00x |" in table
    # per seed 3.00x and 1.00x, median 2.00x (medians of the rates would say 1.67x)
    assert "| digit_cnn 28 px | bf16-mixed | 250 | 2.00x |" in table
    assert "2 runs per preset (seed 0, 1): each cell the median over them" in table
    spec.rows[1] = dataclasses.replace(spec.rows[1], tasks=("another workload",))
    table = KINDS.entry("gpu_presets").table(spec, runs[:1], tmp_path)
    assert "bf16-mixed" not in table.split("|---|")[-1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_a_cuda_kind_is_refused_in_one_line_and_skipped_by_bench_all(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "benchmarks/specs").mkdir(parents=True)
    path = presets_spec(tmp_path / "benchmarks/specs", "gpu_presets")
    with pytest.raises(ValueError, match="presets: kind gpu_presets needs CUDA"):
        main(["run", str(path)])
    main(["all"])
    assert "skipped presets: kind gpu_presets needs CUDA" in capsys.readouterr().out
    assert not (tmp_path / "runs").exists() and not (tmp_path / "benchmarks/results").exists()
