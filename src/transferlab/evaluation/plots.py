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


def plot_lines(lines: dict[str, list[float]], path: str | Path, xlabel: str, ylabel: str) -> Path:
    """One line per name over 1, 2, ... (a learning curve by epoch); '(oracle)' dashed."""
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, values in lines.items():
        style = "--" if "(oracle)" in name else "-"
        axis.plot(range(1, len(values) + 1), values, style, marker="o", markersize=2, label=name)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    return save_figure(figure, path, dpi=120)


def save_figure(figure, path: str | Path, dpi: int) -> Path:
    """Lay out, write (creating the folder) and close ``figure``."""
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path


def save_explanation_grid(
    images: np.ndarray, rows: list[dict], path: str | Path, title: str = ""
) -> Path:
    """Each image beside its heat maps: ``images`` are ``(N, H, W, 3)`` in [0, 1];
    ``rows`` are the models explained, each ``{"name", "maps": (N, H, W), "captions": [N]}``
    (e.g. the source-only and the adapted model on the same target images)."""
    count = len(images)
    figure, axes = plt.subplots(
        len(rows) + 1, count, figsize=(1.6 * count, 1.75 * (len(rows) + 1)), squeeze=False
    )
    for column, image in enumerate(images):
        axes[0, column].imshow(image)
    axes[0, 0].set_ylabel("image", fontsize=7)
    for row, explained in enumerate(rows, start=1):
        axes[row, 0].set_ylabel(explained["name"], fontsize=7)
        for column, image in enumerate(images):
            heat = explained["maps"][column]
            span = float(np.abs(heat).max()) or 1.0
            axes[row, column].imshow(image.mean(axis=2), cmap="gray")
            axes[row, column].imshow(heat / span, cmap="jet", alpha=0.5, vmin=-1, vmax=1)
            axes[row, column].set_title(explained["captions"][column], fontsize=6)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    if title:
        figure.suptitle(title, fontsize=8)
    return save_figure(figure, path, dpi=120)


def save_confusion_matrix(matrix: np.ndarray, classes: list[str], title: str, path) -> Path:
    """Rows: true class; columns: predicted class; counts written in the cells."""
    size = max(3.0, 0.45 * len(classes) + 1.5)
    figure, axis = plt.subplots(figsize=(size, size))
    axis.imshow(matrix, cmap="Blues")
    for (row, column), value in np.ndenumerate(matrix):
        color = "white" if value > matrix.max() / 2 else "black"
        axis.text(column, row, str(int(value)), ha="center", va="center", fontsize=6, color=color)
    axis.set_xticks(range(len(classes)), classes, fontsize=7, rotation=90)
    axis.set_yticks(range(len(classes)), classes, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title, fontsize=9)
    return save_figure(figure, path, dpi=120)


def save_reliability_diagram(
    confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray, ece: float, title: str, path
) -> Path:
    """Accuracy against confidence per confidence bin; the gap to the diagonal is what the
    expected calibration error averages (weighted by the share of images in each bin)."""
    bins = len(counts)
    centers = (np.arange(bins) + 0.5) / bins
    figure, axis = plt.subplots(figsize=(3.6, 3.4))
    filled = counts > 0
    axis.bar(centers[filled], accuracy[filled], width=1 / bins, edgecolor="black", label="accuracy")
    axis.bar(
        centers[filled],
        confidence[filled] - accuracy[filled],
        bottom=accuracy[filled],
        width=1 / bins,
        color="red",
        alpha=0.3,
        label="gap",
    )
    axis.plot([0, 1], [0, 1], "k--", linewidth=1)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("confidence")
    axis.set_ylabel("accuracy")
    axis.set_title(f"{title}: ECE {ece:.3f}", fontsize=9)
    axis.legend(fontsize=7, loc="upper left")
    return save_figure(figure, path, dpi=120)
