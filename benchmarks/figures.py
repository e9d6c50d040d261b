"""Pictures for the README: samples of the three offline digit domains.

python benchmarks/figures.py   # writes docs/mnistm_samples.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from transferlab.data.digits import load_mnist, load_mnist_m, load_uci_digits
from transferlab.evaluation.plots import image_grid

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    picks = torch.arange(0, 5000, 500)[:10] + 7  # one digit of each class
    mnist, _ = load_mnist()
    mnist_m, _ = load_mnist_m(seed=0)
    digits, digit_labels = load_uci_digits()
    uci = torch.stack([digits[(digit_labels == c).nonzero()[0, 0]] for c in range(10)])
    rows = [mnist[picks], mnist_m[picks], uci]
    images = np.concatenate([r.permute(0, 2, 3, 1).numpy() for r in rows])
    image_grid(
        images,
        rows=3,
        title="rows: MNIST, MNIST-M (seed 0), UCI Digits",
        path=ROOT / "docs" / "mnistm_samples.png",
    )


if __name__ == "__main__":
    main()
