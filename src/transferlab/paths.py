"""Bottom-floor helpers every layer may need: where transferlab keeps its cache, and how
it writes a cache file safely.

It lives here, below data and backbones, so that neither has to import the other
just to find a file.
"""

from __future__ import annotations

from pathlib import Path


def default_cache_dir() -> Path:
    """Built datasets (MNIST-M) and converted weights (EfficientNet-Lite0)."""
    return Path.home() / ".cache" / "transferlab"


def save_atomically(payload: dict, path: Path) -> Path:
    """``torch.save`` to a temporary name, then rename: parallel processes (test workers,
    DDP ranks) that find the file never read half of it."""
    import os
    import uuid

    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    torch.save(payload, partial)
    partial.replace(path)
    return path
