"""Lightning callbacks that are transferlab's own."""

from transferlab.callbacks.checkpoint import SelectionCheckpoint
from transferlab.callbacks.feature_plot import FeatureTSNE
from transferlab.callbacks.label_shift import LabelShiftCorrection
from transferlab.callbacks.pruning import GlobalMagnitudePruning
from transferlab.callbacks.pseudo_labels import PseudoLabelQuality
from transferlab.callbacks.samples import SampleGrid
from transferlab.callbacks.unfreezing import GradualUnfreezing
from transferlab.callbacks.watch import WatchOnly, without_watchers

__all__ = [
    "SampleGrid",
    "FeatureTSNE",
    "GradualUnfreezing",
    "GlobalMagnitudePruning",
    "LabelShiftCorrection",
    "PseudoLabelQuality",
    "SelectionCheckpoint",
    "WatchOnly",
    "without_watchers",
]
