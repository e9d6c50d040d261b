"""Bottom-floor constants every layer may need: where transferlab keeps its cache.

It lives here, below data and backbones, so that neither has to import the other
just to find a file.
"""

from __future__ import annotations

from pathlib import Path


def default_cache_dir() -> Path:
    """Built datasets (MNIST-M) and converted weights (EfficientNet-Lite0)."""
    return Path.home() / ".cache" / "transferlab"
