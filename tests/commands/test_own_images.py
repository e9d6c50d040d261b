"""A user's own folders end to end: labeled source, flat unlabeled target with a corrupt
file, fit, test without target labels, and predictions to CSV."""

import csv

import numpy as np
import pytest
from PIL import Image

from tests.conftest import build_cli, config
from transferlab.commands.predict import main as predict

CLASSES = ["cup", "pen"]


def make_user_folders(root, per_class: int = 12):
    """root/photo/<class>/*.png (labeled) and root/sketch/*.png (flat, unlabeled), where
    the class is the image's brightness, plus one file that is not an image."""
    rng = np.random.default_rng(0)
    for index, name in enumerate(CLASSES):
        (root / "photo" / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 40, (24, 24, 3)) + 160 * index
            Image.fromarray(pixels.astype(np.uint8)).save(root / "photo" / name / f"{i}.png")
    (root / "sketch").mkdir()
    for i in range(2 * per_class):
        pixels = rng.integers(0, 60, (24, 24, 3)) + 150 * (i % 2)
        Image.fromarray(pixels.astype(np.uint8)).save(root / "sketch" / f"s{i}.png")
    broken = root / "sketch" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    return broken


def folder_args(root, *extra):
    return (
        "--data=transferlab.data.ImageFolderDomains",
        f"--data.root={root}",
        "--data.source=photo",
        "--data.target=sketch",
        "--data.image_size=16",
        "--data.batch_size=4",
        "--data.num_workers=0",
        "--trainer.max_epochs=2",
        *extra,
    )


def test_a_corrupt_file_stops_the_run_before_training_and_is_named(tmp_path):
    broken = make_user_folders(tmp_path / "data")
    with pytest.raises(ValueError, match=rf"1 image file\(s\) cannot be read:\n.*{broken.name}"):
        build_cli(config("dann/mnist_to_mnistm.yaml"), *folder_args(tmp_path / "data"))


def test_flat_unlabeled_target_trains_tests_label_free_and_predicts_to_csv(tmp_path):
    make_user_folders(tmp_path / "data")
    with pytest.warns(UserWarning, match="skipping 1 unreadable"):
        cli = build_cli(
            config("dann/mnist_to_mnistm.yaml"),
            *folder_args(tmp_path / "data", "--data.skip_bad_images=true"),
        )
    assert cli.datamodule.target_has_labels is False
    assert cli.model.num_classes == 2
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    results = cli.trainer.test(cli.model, datamodule=cli.datamodule, ckpt_path="best")
    flat = {k: v for loader in results for k, v in loader.items()}
    assert "test/target_acc" not in flat and "test/target_im" in flat
    assert 0.0 <= flat["test/source_acc"] <= 1.0

    best = cli.trainer.checkpoint_callback.best_model_path
    output = predict(
        [
            f"--ckpt={best}",
            f"--images={tmp_path / 'data' / 'sketch'}",
            f"--output={tmp_path / 'predictions.csv'}",
            "--num_workers=0",
            f"--sort_into={tmp_path / 'sorted'}",
        ]
    )
    rows = list(csv.DictReader(output.open()))
    assert len(rows) == 24  # every readable image, the broken one left out
    assert {row["predicted_class"] for row in rows} <= set(CLASSES)
    assert all(0.0 <= float(row["probability"]) <= 1.0 for row in rows)
    assert len(list((tmp_path / "sorted").glob("*/*.png"))) == 24


def test_options_that_need_target_labels_are_refused_on_an_unlabeled_target(tmp_path):
    make_user_folders(tmp_path / "data")
    with pytest.raises(ValueError, match=r"has no labels.*\['target_labels_per_class'\]"):
        cli = build_cli(
            config("dann/mnist_to_mnistm.yaml"),
            *folder_args(
                tmp_path / "data",
                "--data.skip_bad_images=true",
                "--data.target_labels_per_class=2",
            ),
        )
        cli.datamodule.setup("fit")


def test_predict_refuses_a_missing_checkpoint_and_a_file_that_is_not_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.ckpt does not exist"):
        predict([f"--ckpt={tmp_path / 'nowhere.ckpt'}", f"--images={tmp_path}"])
    import torch

    torch.save({"state_dict": {}}, tmp_path / "other.ckpt")
    with pytest.raises(ValueError, match="not a transferlab checkpoint"):
        predict([f"--ckpt={tmp_path / 'other.ckpt'}", f"--images={tmp_path}"])
