"""Lightning callbacks that are transferlab's own."""

from transferlab.callbacks.feature_plot import FeatureTSNE

__all__ = ["FeatureTSNE"]
