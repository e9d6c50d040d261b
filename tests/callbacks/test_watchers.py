"""Watchers that run the model themselves step aside where FSDP shards its weights.

On an H200, DANN under ``configs/trainer/fsdp.yaml`` stopped with FSDP's "Non-root FSDP
instance's `_is_root` should not have been set yet": a wrapped layer had run before the
root it belongs to. The config's t-SNE callback does that at fit start (it runs the
backbone itself, outside the strategy's forward): the likely cause, read from the message
and the code. Lightning's FSDP needs CUDA, so these tests hand each watcher a trainer whose
strategy is FSDP and a model that fails if anything runs it.
"""

from types import SimpleNamespace

import pytest
from lightning.pytorch.strategies import FSDPStrategy, SingleDeviceStrategy

from transferlab.callbacks import FeatureTSNE, PseudoLabelQuality, SampleGrid
from transferlab.explain.callback import ExplanationGrid


class Untouchable:
    """A model that fails the test if a watcher runs it."""

    training = True

    def __getattr__(self, name):
        raise AssertionError(f"the watcher ran the model ({name})")


def trainer(strategy, tmp_path):
    return SimpleNamespace(
        strategy=strategy,
        fast_dev_run=False,
        is_global_zero=True,
        datamodule=SimpleNamespace(source="mnist", target="mnistm", oracle=False),
        current_epoch=0,
        max_epochs=1,
        default_root_dir=str(tmp_path),
    )


WATCHERS = {
    "t-SNE at fit start": lambda t: FeatureTSNE().on_fit_start(t, Untouchable()),
    "t-SNE at fit end": lambda t: FeatureTSNE().on_fit_end(t, Untouchable()),
    "sample grid": lambda t: SampleGrid(every_n_epochs=1).on_train_epoch_end(t, Untouchable()),
    "explanations": lambda t: ExplanationGrid(every_n_epochs=1).on_train_epoch_end(
        t, Untouchable()
    ),
    "pseudo-labels": lambda t: PseudoLabelQuality().on_train_epoch_end(t, Untouchable()),
}


@pytest.mark.parametrize("watch", WATCHERS.values(), ids=WATCHERS.keys())
def test_a_watcher_leaves_a_sharded_model_alone(watch, tmp_path):
    watch(trainer(FSDPStrategy(), tmp_path))  # would raise had it touched the model


@pytest.mark.parametrize("watch", WATCHERS.values(), ids=WATCHERS.keys())
def test_the_same_watcher_runs_the_model_on_one_device(watch, tmp_path):
    """The check, not the fake trainer, is what keeps the watcher away from the model."""
    with pytest.raises(AssertionError, match="the watcher ran the model"):
        watch(trainer(SingleDeviceStrategy("cpu"), tmp_path))


def test_a_watcher_says_once_that_it_skips(tmp_path, monkeypatch):
    said = []
    monkeypatch.setattr("transferlab.callbacks.watch.rank_zero_info", said.append)
    watcher, sharded = FeatureTSNE(), trainer(FSDPStrategy(), tmp_path)
    watcher.on_fit_start(sharded, Untouchable())
    watcher.on_fit_end(sharded, Untouchable())
    assert said == [
        "FeatureTSNE skipped: FSDPStrategy shards the model's weights, which then run only "
        "inside its forward"
    ]
