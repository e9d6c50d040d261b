"""The line between a callback that is part of a method and one that only watches it."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import DeviceStatsMonitor, LearningRateMonitor, ProgressBar
from lightning.pytorch.strategies import FSDPStrategy, ModelParallelStrategy
from lightning.pytorch.utilities import rank_zero_info

# strategies that shard the weights over devices: the model runs only inside their forward
SHARDED = (FSDPStrategy, ModelParallelStrategy)


class WatchOnly:
    """Mark of a callback that only watches a run: it draws pictures or logs diagnostics,
    and changes no weight, no schedule and no reported metric.

    A benchmark run leaves these out (they cost time, write files and may draw from the
    random stream); every callback without the mark (gradual unfreezing, pruning, early
    stopping, a test-time correction) is part of what the config trains and always runs.
    """

    def cannot_watch(self, trainer: L.Trainer) -> bool:
        """True, said once, where the run shards the model's weights over devices (FSDP).

        A sharded model is meant to run inside the strategy's own forward only. A watcher
        that runs its layers itself (features for a t-SNE, samples, explanations,
        pseudo-labels) runs wrapped layers outside it: before the first step, FSDP then
        takes a wrapped layer for a root of its own and refuses the run's real root later
        (most likely what stopped DANN under ``configs/trainer/fsdp.yaml`` on a GPU, with
        "Non-root FSDP instance's `_is_root` should not have been set yet"); later in the
        run, only rank 0 would run it, on weights the other ranks hold parts of. Watchers
        therefore skip rather than risk either.
        """
        if not isinstance(trainer.strategy, SHARDED):
            return False
        if not getattr(self, "_said_sharded", False):
            rank_zero_info(
                f"{type(self).__name__} skipped: {type(trainer.strategy).__name__} shards "
                "the model's weights, which then run only inside its forward"
            )
            self._said_sharded = True
        return True


# Lightning's own watchers, which need the logger or the progress bar a benchmark run
# switches off
LIGHTNING_WATCHERS = (LearningRateMonitor, DeviceStatsMonitor, ProgressBar)


def without_watchers(callbacks: list[L.Callback]) -> list[L.Callback]:
    """``callbacks`` less the ones that only watch: what a measured run keeps."""
    return [c for c in callbacks if not isinstance(c, (WatchOnly, *LIGHTNING_WATCHERS))]
