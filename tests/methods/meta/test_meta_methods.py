"""Meta-learning methods: each config trains, each mechanism holds."""

import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.methods.meta.protonet import prototype_logits

FAST = ("-c", config("trainer/fast_dev_run.yaml"))


def test_prototype_logits_are_negative_squared_distances_to_class_means():
    support = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])
    labels = torch.tensor([0, 0, 1])
    query = torch.tensor([[1.0, 1.0]])
    logits = prototype_logits(support, labels, query, ways=2)  # prototypes (1,0), (0,4)
    assert logits.tolist() == [[-1.0, -10.0]]


@pytest.mark.parametrize(
    "name",
    ["protonet/digits_5way_1shot", "maml/digits_5way_1shot", "maml/digits_5way_5shot_fomaml"],
)
def test_meta_learning_fast_dev_run_updates_the_initialisation(name):
    cli = build_cli(config(f"{name}.yaml"), *FAST)
    before = cli.model.backbone.stem[0].weight.clone()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert not torch.equal(before, cli.model.backbone.stem[0].weight)


def test_maml_normalises_every_task_with_its_own_batch_statistics():
    cli = build_cli(config("maml/digits_5way_1shot.yaml"), *FAST)
    norms = [m for m in cli.model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(m.running_mean is None for m in norms)


def test_support_set_baseline_learns_each_task_from_scratch_and_refuses_meta_training():
    cli = build_cli(
        config("support_set_baseline/digits_5way_5shot.yaml"),
        "--data.init_args.test_episodes=8",
        "--data.init_args.val_episodes=4",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)  # max_epochs: 0, nothing to learn
    result = cli.trainer.test(cli.model, datamodule=cli.datamodule, verbose=False)
    assert result[1]["test/target_acc"] > 0.4  # 5-way chance is 0.2
    with pytest.raises(RuntimeError, match="max_epochs=0"):
        build_cli(
            config("support_set_baseline/digits_5way_5shot.yaml"),
            "--trainer.max_epochs=1",
            "--trainer.limit_train_batches=1",
        ).trainer.fit(cli.model, datamodule=cli.datamodule)
