"""Knowledge distillation: a frozen teacher in eval mode, out of the optimizer and the
student's checkpoint; hints by layer name; clear errors for bad teachers."""

import statistics

import lightning as L
import pytest
import torch

from tests.conftest import TEXT_BUDGET, build_cli, config
from transferlab.data.datasets import dataset_labels
from transferlab.data.sentiment import load_sentiment_domain
from transferlab.methods import KnowledgeDistillation

SHORT = (
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=4",
    "--trainer.limit_val_batches=2",
)


@pytest.fixture(scope="module")
def teacher_checkpoint(tmp_path_factory):
    """A briefly trained digit CNN on MNIST: the teacher of these tests."""
    folder = tmp_path_factory.mktemp("teacher")
    cli = build_cli(
        config("source_only/mnist_to_mnistm.yaml"),
        *SHORT,
        "--trainer.callbacks=[]",
        f"--checkpoint.dirpath={folder}",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return cli.trainer.checkpoint_callback.best_model_path


def student(teacher: str, *overrides: str):
    return build_cli(
        config("distillation/mnistm_unlabeled_transfer.yaml"),
        *SHORT,
        "--trainer.callbacks=[]",
        f"--model.init_args.teacher={teacher}",
        *overrides,
    )


def test_teacher_stays_frozen_in_eval_mode_and_out_of_the_checkpoint(teacher_checkpoint):
    cli = student(teacher_checkpoint, "--model.init_args.transfer_set=both")
    model = cli.model
    teacher = model.teacher
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    probe = torch.randn(8, 3, 28, 28)
    seen = []

    class Watch(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, *args):
            seen.append(
                (teacher.training, torch.equal(teacher(probe), teacher(probe)), pl_module.training)
            )

    cli.trainer.callbacks.append(Watch())
    cli.trainer.fit(model, datamodule=cli.datamodule)
    assert seen and all(not t and same and s for t, same, s in seen)
    for name, tensor in teacher.state_dict().items():
        assert torch.equal(before[name], tensor), name  # weights and BatchNorm statistics
    optimizer_params = {id(p) for g in cli.trainer.optimizers[0].param_groups for p in g["params"]}
    assert not optimizer_params & {id(p) for p in teacher.parameters()}
    assert not any(p.requires_grad for p in teacher.parameters())
    saved = torch.load(
        cli.trainer.checkpoint_callback.best_model_path, map_location="cpu", weights_only=True
    )
    assert not any(key.startswith("teacher") for key in saved["state_dict"])
    assert saved["hyper_parameters"]["teacher"] == teacher_checkpoint


def test_hints_regress_student_layers_onto_teacher_layers_and_hooks_go_away(teacher_checkpoint):
    cli = student(
        teacher_checkpoint,
        '--model.init_args.hint_layers={"backbone.block1": "backbone.block1"}',
    )
    model = cli.model
    assert model.hint_regressors["backbone/block1"].in_features == 64
    cli.trainer.fit(model, datamodule=cli.datamodule)
    assert "train/hint_loss" in cli.trainer.callback_metrics
    assert (
        not model.backbone.block1._forward_hooks
        and not model.teacher.backbone.block1._forward_hooks
    )


def test_bad_teachers_and_hint_layers_are_named(teacher_checkpoint, tmp_path):
    # the CLI reports the method's own error inside its validation message
    with pytest.raises((FileNotFoundError, ValueError), match="nowhere.ckpt does not exist"):
        student(str(tmp_path / "nowhere.ckpt"))
    torch.save({"state_dict": {}}, tmp_path / "foreign.ckpt")
    with pytest.raises(ValueError, match="not a transferlab checkpoint"):
        student(str(tmp_path / "foreign.ckpt"))
    with pytest.raises(ValueError, match="predicts 10 classes but the student is built for 4"):
        KnowledgeDistillation(teacher=teacher_checkpoint, num_classes=4)
    with pytest.raises(ValueError, match=r"no layer 'backbone.nope'; its layers: .*backbone.stem"):
        student(teacher_checkpoint, '--model.init_args.hint_layers={"backbone.nope": "head"}')
    with pytest.raises(ValueError, match="needs a teacher"):
        cli = build_cli(config("distillation/mnistm_unlabeled_transfer.yaml"), *SHORT)
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)


@pytest.mark.slow
def test_a_distilled_student_beats_the_same_student_trained_from_scratch(
    source_only_mnist_to_mnistm,
):
    """A digit CNN teacher (3 epochs of source-only on MNIST), Hinton et al.'s 784-800-800
    MLP student: soft targets lift the student above its from-scratch twin at the same seed
    and budget (MNIST test split). At this budget the gain is small: +1.2, +0.4 and +0.5
    points at seeds 0-2 (benchmarks/results/learning_tests.md; one test image is 0.2
    points), so the claim is only that it is above, not by how much; the benchmark's full
    budget measures the size of the gain."""
    from transferlab.commands.compare import run_config

    teacher = source_only_mnist_to_mnistm
    budget = ["--trainer.logger=false", "--trainer.callbacks=[]", "--trainer.max_epochs=4"]
    scratch = run_config(config("distillation/mnist_mlp_scratch.yaml"), overrides=budget)
    distilled = run_config(
        config("distillation/mnist_mlp_student.yaml"),
        overrides=[
            *budget,
            f"--model.init_args.teacher={teacher.checkpoint_path}",
            "--model.init_args.temperature=4",
            "--model.init_args.alpha=0.5",
        ],
    )
    assert teacher.source_test_acc > scratch.source_test_acc
    assert distilled.source_test_acc > scratch.source_test_acc


@pytest.mark.slow
def test_a_student_that_never_saw_a_3_recognises_most_3s(source_only_mnist_to_mnistm):
    """Hinton et al.'s dark knowledge: every 3 is left out of the transfer set; the soft
    targets alone teach the student what a 3 looks like, and raising the bias of class 3
    (chosen on validation images) brings most test 3s back."""
    from transferlab.evaluation.class_bias import (
        collect_logits,
        per_class_accuracy,
        raise_class_bias,
        tune_class_bias,
    )

    cli = build_cli(
        config("distillation/mnist_mlp_student.yaml"),
        "--trainer.max_epochs=4",
        "--trainer.callbacks=[]",
        f"--model.init_args.teacher={source_only_mnist_to_mnistm.checkpoint_path}",
        '--data.init_args.omit_source_classes=["3"]',
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    data, three = cli.datamodule, 3
    assert three not in dataset_labels(data.splits["source"]["train"]).tolist()
    val_logits, val_labels = collect_logits(cli.model, data.eval_dataloader("source", "val"))
    test_logits, test_labels = collect_logits(cli.model, data.eval_dataloader("source", "test"))
    bias = tune_class_bias(val_logits, val_labels, three)
    before = per_class_accuracy(test_logits, test_labels, three)
    after = per_class_accuracy(raise_class_bias(test_logits, three, bias), test_labels, three)
    print(f"test 3s right: {before:.3f} before, {after:.3f} after a bias of +{bias}")
    assert after > 0.6 and after > before


def test_a_teacher_of_another_resolution_sees_the_batch_resized_to_it(teacher_checkpoint):
    model = student(teacher_checkpoint, "--model.init_args.teacher_image_size=40").model
    sizes = []
    model.teacher.register_forward_pre_hook(lambda module, args: sizes.append(args[0].shape))
    images = torch.randn(4, 3, 28, 28)
    loss = model._distill(images, torch.tensor([0, 1, 2, 3]))
    assert sizes == [torch.Size([4, 3, 40, 40])] and loss.isfinite()


def test_a_one_layer_minilm_student_learns_sentiment_from_a_text_teacher(
    minilm_movies_to_amazon, tmp_path
):
    """Text through the same method: the student is MiniLM's first layer (a layer-dropped
    start), it learns from a fine-tuned MiniLM teacher's soft targets on labeled movie
    reviews and unlabeled Amazon reviews, and is the smaller and faster network.

    Measured at the text budget, seeds 0-2 (teacher and student): the student scores
    0.762, 0.738, 0.762 on the movie test split (chance 0.5; untrained 0.49, 0.46, 0.56)
    and 0.694, 0.731, 0.713 on Amazon, where the majority class scores 0.617."""
    from transferlab.commands.compare import run_config

    teacher = minilm_movies_to_amazon.checkpoint_path
    distill = [*TEXT_BUDGET, f"--model.init_args.teacher={teacher}"]
    cli = build_cli(config("distillation/sentiment_minilm_l1_student.yaml"), *distill)
    student, teacher_model = cli.model, cli.model.teacher
    assert len(student.backbone.encoder.encoder.layer) == 1
    assert len(teacher_model.backbone.encoder.encoder.layer) == 6
    result = run_config(
        config("distillation/sentiment_minilm_l1_student.yaml"),
        overrides=[*distill, f"--trainer.default_root_dir={tmp_path}"],
    )
    assert result.source_test_acc > 0.65  # lowest of three seeds 0.738
    majority = statistics.fmean(load_sentiment_domain("amazon")[1])
    assert result.target_test_acc > majority + 0.04  # lowest of three seeds: majority + 0.077
    assert all(not p.requires_grad for p in teacher_model.parameters())
    ids = cli.datamodule.tokenize(["a lovely, warm film", "broken on arrival"])
    with torch.no_grad():
        assert student.eval()(ids).shape == teacher_model(ids).shape == (2, 2)
    count = lambda model: sum(p.numel() for p in model.backbone.parameters())  # noqa: E731
    assert count(student) < 0.65 * count(teacher_model)
