"""The ``data_loading`` kind end to end on a tiny spec: a folder of real-photo JPEGs, the
config's image-folder loader timed per worker count beside its backbone's training step."""

import json

import yaml
from PIL import Image

from tests.conftest import ROOT
from transferlab.commands.bench.command import main


def test_the_loader_and_the_training_step_are_timed_and_compared(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "loading.yaml"
    spec = {
        "title": "loading",
        "kind": "data_loading",
        "seeds": [0],
        "options": {"images": 32, "workers": [0, 1], "loader_epochs": 1, "model_steps": 1},
        "rows": [
            {
                "label": "image folder",
                "config": str(ROOT / "configs/fine_tuning/office31_gpu.yaml"),
                "overrides": [
                    "--trainer.accelerator=cpu",
                    "--data.init_args.image_size=32",
                    "--data.init_args.batch_size=2",
                ],
            }
        ],
    }
    path.write_text(yaml.safe_dump(spec))
    main(["run", str(path)])
    main(["render", str(path)])
    folder = tmp_path / "runs/bench/loading/runs/image_folder__seed0/images"
    jpegs = sorted(folder.rglob("*.jpg"))
    assert len(jpegs) == 32 and {p.parent.parent.name for p in jpegs} == {"photo", "sketch"}
    assert Image.open(jpegs[0]).size == (320, 320)
    (run,) = json.loads((tmp_path / "benchmarks/results/loading.json").read_text())["runs"]
    assert run["backbone"] == "tf_efficientnet_lite0" and run["image_size"] == 32
    assert run["model_images_per_s"] > 0
    assert set(run["loader_images_per_s"]) == {"0", "1"}
    table = (tmp_path / "benchmarks/results/loading.md").read_text()
    assert "Image folder of 32 real-photo JPEGs (320 px)" in table and "batches of 2" in table
    for workers, rate in run["loader_images_per_s"].items():
        fed = "yes" if rate >= run["model_images_per_s"] else "no"
        ratio = rate / run["model_images_per_s"]
        assert f"| {workers} | {rate:.1f} | {ratio:.2f}× | {fed} |" in table
