"""Pictures a person would rather look at than read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402


def tsne_domains_figure(
    source: np.ndarray,
    target: np.ndarray,
    source_labels: np.ndarray,
    target_labels: np.ndarray,
    title: str,
    path: str | Path,
    seed: int = 0,
) -> Path:
    """Embed source and target features jointly with t-SNE; colour by domain and by class.

    Aligned features show the two domains interleaved (left) while the classes stay in
    separate clusters (right); unaligned ones show two separate clouds on the left.
    """
    joint = np.concatenate([source, target])
    perplexity = min(30.0, (len(joint) - 1) / 3)
    embedded = TSNE(perplexity=perplexity, init="pca", random_state=seed).fit_transform(joint)
    src, tgt = embedded[: len(source)], embedded[len(source) :]
    figure, (by_domain, by_class) = plt.subplots(1, 2, figsize=(11, 5))
    by_domain.scatter(*src.T, s=6, alpha=0.6, label="source", c="tab:blue")
    by_domain.scatter(*tgt.T, s=6, alpha=0.6, label="target", c="tab:red")
    by_domain.set_title("by domain")
    by_domain.legend(markerscale=3)
    by_class.scatter(*src.T, s=6, alpha=0.6, c=source_labels, cmap="tab10", marker="o")
    by_class.scatter(*tgt.T, s=10, alpha=0.6, c=target_labels, cmap="tab10", marker="x")
    by_class.set_title("by class (o source, x target)")
    for axis in (by_domain, by_class):
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(title)
    return save_figure(figure, path, dpi=110)


def image_grid(images: np.ndarray, rows: int, title: str, path: str | Path) -> Path:
    """Save a grid of HxWx3 uint8 images (e.g. samples of a domain) as a PNG."""
    cols = int(np.ceil(len(images) / rows))
    figure, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + 0.4))
    for axis, image in zip(np.ravel(axes), images, strict=False):
        axis.imshow(image)
    for axis in np.ravel(axes):
        axis.axis("off")
    figure.suptitle(title)
    return save_figure(figure, path, dpi=110)


def save_learning_curves(curves: dict[str, list[tuple[int, float]]], path: str | Path) -> Path:
    """Test accuracy against the number of labels, one line per strategy (active learning)."""
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for label, points in curves.items():
        labels, accuracy = zip(*sorted(points), strict=True)
        axis.plot(labels, accuracy, "o-", markersize=3, label=label)
    axis.set_xlabel("labeled images")
    axis.set_ylabel("test accuracy (%)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return save_figure(figure, path, dpi=120)


def save_figure(figure, path: str | Path, dpi: int) -> Path:
    """Lay out, write (creating the folder) and close ``figure``."""
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path
