"""Semi-supervised methods against supervised-only with 3 labels per class.

Offline MNIST, seed 0, a reduced budget (5 epochs of 20 steps, 2 of them labeled-only
warm-up); checkpoints chosen on the labeled validation split, tested on the test split.
Each margin is below the smallest gain over supervised-only measured at seeds 0-2
(benchmarks/results/learning_tests.md; supervised-only 74.0 ± 3.1): self-training +0.8,
co-training +2.4, label propagation +16.1, FixMatch +2.5. Mean teacher's gains are +1.6,
+1.0 and -1.4 -- no effect at this budget -- so its test claims only that it learns.
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


# below the smallest gain over supervised-only at seeds 0-2 (the module docstring)
MARGIN = {"self_training": 0.005, "co_training": 0.01, "label_propagation": 0.1, "fixmatch": 0.02}


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
    ],
)
def test_beats_supervised_only_with_few_labels(method, extra, supervised_only):
    result = run_config(config(f"{method}/mnist_10_labels.yaml"), overrides=[*SHORT, *extra])
    assert result.protocol == supervised_only.protocol == "source_val_acc"
    assert result.target_test_acc > supervised_only.target_test_acc + MARGIN[method]


@pytest.mark.slow
def test_mean_teacher_learns_from_three_labels_per_class():
    """71.3-76.8% at seeds 0-2 (chance: 10%); not a gain over supervised-only here."""
    extra = ["--model.init_args.rampup_epochs=2"]
    result = run_config(config("mean_teacher/mnist_10_labels.yaml"), overrides=[*SHORT, *extra])
    assert result.protocol == "source_val_acc"
    assert result.target_test_acc > 0.5
