"""``transferlab explain``: overlays and scores for image files, the source-only model
beside another on the same images, and bad input refused before anything is written."""

import json

import pytest
from torchvision.utils import save_image

from tests.conftest import build_cli, config
from transferlab.commands.explain import main as explain


@pytest.fixture
def image_folder(digits, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(digits["calibration"][0][:4]):
        save_image(image * 0.5 + 0.5, folder / f"{i}.png")
    return folder


def test_overlays_and_scores_for_two_models_on_the_same_images(trained, image_folder, tmp_path):
    _, _, checkpoint = trained
    output = explain(
        [
            f"--ckpt={checkpoint}",
            "--compare",
            checkpoint,
            f"--images={image_folder}",
            "--method=gradcam",
            "--checks",
            f"--output={tmp_path / 'out'}",
        ]
    )
    record = json.loads((output / "explanations.json").read_text())
    assert (output / "explanations.png").stat().st_size > 10_000
    assert len(record["images"]) == 4 and len(record["models"]) == 2
    first = record["images"][0][record["models"][0]]
    assert first["predicted"] in [str(i) for i in range(10)] and 0 < first["probability"] <= 1
    checks = record["checks"][record["models"][0]]
    assert checks["randomization"]["passed"] and "deletion_attribution" in checks


def test_bad_input_is_named_and_nothing_is_written(trained, image_folder, tmp_path):
    _, _, checkpoint = trained
    output = tmp_path / "out"
    base = [f"--ckpt={checkpoint}", f"--output={output}"]
    with pytest.raises(FileNotFoundError, match="no image files found at"):
        explain([*base, f"--images={tmp_path / 'missing'}"])
    (image_folder / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"1 image file\(s\) cannot be read:\n.*broken.jpg"):
        explain([*base, f"--images={image_folder}"])
    (image_folder / "broken.jpg").unlink()
    with pytest.raises(ValueError, match=r"no spatial layer named 'head'; candidates: 0\.stem"):
        explain([*base, f"--images={image_folder}", "--layer=head"])
    with pytest.raises(ValueError, match=r"give --images or --texts \(one of them\)"):
        explain(base)
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nfine\n")
    with pytest.raises(ValueError, match="give --images or --texts"):
        explain([*base, f"--images={image_folder}", f"--texts={texts}"])
    with pytest.raises(ValueError, match="was not trained on text; use --images"):
        explain([*base, f"--texts={texts}"])
    with pytest.raises(ValueError, match="texts are explained with --method integrated_gradients"):
        explain([*base, f"--texts={texts}", "--method=gradcam"])
    with pytest.raises(ValueError, match="--method integrated_gradients explains texts"):
        explain([*base, f"--images={image_folder}", "--method=integrated_gradients"])
    triplet = build_cli(
        config("triplet/mnist_held_out_digits.yaml"),
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=1",
        "--trainer.limit_val_batches=1",
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
    )
    triplet.trainer.fit(triplet.model, datamodule=triplet.datamodule)
    with pytest.raises(ValueError, match="TripletNetwork does not classify"):
        explain(
            [
                f"--ckpt={triplet.trainer.checkpoint_callback.last_model_path}",
                f"--images={image_folder}",
                f"--output={output}",
            ]
        )
    assert not output.exists()
