"""Each semi-supervised method beats supervised-only with 3 labels per class.

Offline MNIST, seed 0, a reduced budget (5 epochs of 20 steps, 2 of them labeled-only
warm-up: supervised-only reaches 72.1%, the weakest method here, mean teacher, 73.9%);
checkpoints chosen on the labeled validation split, tested on the test split.
(At 10 labels per class and this budget supervised-only already reaches ~93%, too close
to the ceiling for a robust test; the benchmark measures 10 and 25 at full budget.)
"""

import pytest

from tests.conftest import config
from transferlab.commands.compare import run_config

SHORT = [
    "--trainer.max_epochs=5",
    "--trainer.limit_train_batches=20",
    "--trainer.logger=false",
    "--trainer.callbacks=[]",
    "--data.init_args.labels_per_class=3",
]


@pytest.fixture(scope="module")
def supervised_only():
    return run_config(config("source_only/mnist_10_labels.yaml"), overrides=SHORT)


@pytest.mark.slow
@pytest.mark.parametrize(
    "method, extra",
    [
        (
            "self_training",
            ["--model.init_args.warmup_epochs=2", "--model.init_args.epochs_per_round=1"],
        ),
        ("co_training", ["--model.init_args.warmup_epochs=2"]),
        ("label_propagation", ["--model.init_args.warmup_epochs=2"]),
        ("fixmatch", []),
        ("mean_teacher", ["--model.init_args.rampup_epochs=2"]),
    ],
)
def test_beats_supervised_only_with_few_labels(method, extra, supervised_only):
    result = run_config(config(f"{method}/mnist_10_labels.yaml"), overrides=[*SHORT, *extra])
    assert result.protocol == supervised_only.protocol == "source_val_acc"
    assert result.target_test_acc > supervised_only.target_test_acc + 0.01
