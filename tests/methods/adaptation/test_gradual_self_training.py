"""Gradual self-training and its intermediate domains."""

import torch

from tests.conftest import build_cli, config
from transferlab.data import GradualDigits
from transferlab.methods import GradualSelfTraining


def test_intermediate_domains_move_from_source_to_target_style():
    data = GradualDigits(intermediate_steps=3, batch_size=8)
    data.setup("fit")
    source, _ = data._tensors["mnist"]
    target, _ = data._tensors["mnistm"]
    distances = [
        (data.blended(step).images.float() - target.float()).abs().mean().item()
        for step in range(1, 4)
    ]
    assert distances == sorted(distances, reverse=True)
    batch, _, _ = next(iter(data.train_dataloader()))
    assert {"source", "target", "step1", "step2", "step3"} <= set(batch)
    assert isinstance(batch["step2"], torch.Tensor)  # images only, no labels


def test_stage_schedule():
    model = GradualSelfTraining(source_epochs=3, epochs_per_stage=2)
    assert [model.stage(e) for e in range(9)] == [0, 0, 0, 1, 1, 2, 2, 3, 3]


def test_walk_trains_on_confident_pseudo_labels_of_a_frozen_teacher():
    cli = build_cli(
        config("gradual_self_training/mnist_to_mnistm.yaml"),
        "--model.init_args.source_epochs=1",
        "--model.init_args.epochs_per_stage=1",
        "--model.init_args.threshold=0.0",
        "--trainer.max_epochs=3",
        "--trainer.limit_train_batches=4",
        "--trainer.limit_val_batches=2",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.model._teacher_stage == 2
    teacher = cli.model._teacher[0]
    assert not any(p.requires_grad for p in teacher.parameters())
    assert "train/pseudo_label_share" in cli.trainer.logged_metrics
