"""The line between a callback that is part of a method and one that only watches it."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import DeviceStatsMonitor, LearningRateMonitor, ProgressBar


class WatchOnly:
    """Mark of a callback that only watches a run: it draws pictures or logs diagnostics,
    and changes no weight, no schedule and no reported metric.

    A benchmark run leaves these out (they cost time, write files and may draw from the
    random stream); every callback without the mark (gradual unfreezing, pruning, early
    stopping, a test-time correction) is part of what the config trains and always runs.
    """


# Lightning's own watchers, which need the logger or the progress bar a benchmark run
# switches off
LIGHTNING_WATCHERS = (LearningRateMonitor, DeviceStatsMonitor, ProgressBar)


def without_watchers(callbacks: list[L.Callback]) -> list[L.Callback]:
    """``callbacks`` less the ones that only watch: what a measured run keeps."""
    return [c for c in callbacks if not isinstance(c, (WatchOnly, *LIGHTNING_WATCHERS))]
