"""The ``data_loading`` kind: can the image-folder loader keep the model fed?

Each run writes an image folder of real photographs (random crops of the photos that
scikit-learn and scikit-image ship, saved as 320 px JPEGs, two domains x four classes),
builds the row's config on it (its data module and backbone, as ``transferlab fit`` would),
and measures on this machine: the images/s that the data module's training loader delivers
(JPEG decode + the training augmentation) for each number of loader workers, and the
images/s of the backbone's training step (forward + backward + SGD) on batches of the
same size. The loader keeps the model fed when its rate is above the step's.
"""

from __future__ import annotations

import time
from pathlib import Path

from transferlab.commands.bench.render import commits
from transferlab.commands.bench.runner import KINDS
from transferlab.commands.bench.spec import Run, Spec

CLASSES = ["a", "b", "c", "d"]
DOMAINS = ("photo", "sketch")


def photographs() -> list:
    """The colour photos that scikit-learn and scikit-image ship (HxWx3 uint8)."""
    from skimage import data as skdata
    from sklearn.datasets import load_sample_images

    photos = list(load_sample_images().images)
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        photos.append(getattr(skdata, name)())
    return [p[..., :3] for p in photos if p.ndim == 3]


def build_folder(root: Path, count: int, side: int = 320, seed: int = 0) -> None:
    """``count`` random crops of real photos as JPEGs, spread over 2 domains x 4 classes."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    photos = photographs()
    for i in range(count):
        photo = photos[i % len(photos)]
        top = rng.integers(0, photo.shape[0] - side // 2)
        left = rng.integers(0, photo.shape[1] - side // 2)
        crop = Image.fromarray(photo[top : top + side, left : left + side]).resize((side, side))
        folder = root / DOMAINS[i % 2] / CLASSES[(i // 2) % 4]
        folder.mkdir(parents=True, exist_ok=True)
        crop.save(folder / f"{i}.jpg", quality=90)


def loader_rate(data, workers: int, epochs: int) -> float:
    """Images/s of the training loader, after its workers have started (first batch)."""
    data.num_workers = workers
    loader = data.train_dataloader()
    seen, start = 0, None
    for _ in range(epochs):
        for batch, _, _ in loader:
            if start is None:
                start = time.perf_counter()  # the first batch pays for starting workers
                continue
            seen += len(batch["source"][0]) + len(batch["target"])
    return seen / (time.perf_counter() - start)


def model_rate(backbone, batch_size: int, image_size: int, steps: int) -> float:
    """Images/s of training steps of ``backbone`` with a linear head on random images."""
    import torch

    head = torch.nn.Linear(backbone.num_features, len(CLASSES))
    optimizer = torch.optim.SGD([*backbone.parameters(), *head.parameters()], lr=0.01)
    images = torch.randn(2 * batch_size, 3, image_size, image_size)  # source + target
    labels = torch.randint(0, len(CLASSES), (2 * batch_size,))
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()  # step 0 warms up allocator and kernels
        loss = torch.nn.functional.cross_entropy(head(backbone(images)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return steps * len(images) / (time.perf_counter() - start)


def loading_table(spec: Spec, runs: list[dict], figures: Path) -> str:
    """Per run: the model's rate in words, then one line per loader worker count."""
    lines = [*([spec.caption, ""] if spec.caption else [])]
    for run in runs:
        training = run["model_images_per_s"]
        lines += [
            f"Image folder of {run['images']} real-photo JPEGs (320 px), decoded, randomly "
            f"cropped to {run['image_size']} px; batches of {run['batch_size']} per domain. "
            f"Model: {run['backbone']} training step at {run['image_size']} px: "
            f"**{training:.1f} images/s** on this machine (seed {run['seed']}, commit "
            f"{commits([run])}).",
            "",
            "| loader workers | images/s delivered | loader / model rate | keeps the model fed |",
            "|---|---|---|---|",
        ]
        for workers, rate in run["loader_images_per_s"].items():
            fed = "yes" if rate >= training else "no"
            lines.append(f"| {workers} | {rate:.1f} | {rate / training:.2f}× | {fed} |")
        lines.append("")
    return "\n".join(lines).strip()


@KINDS.register(
    "data_loading",
    table=loading_table,
    options={"images": 384, "workers": [0, 1, 2], "loader_epochs": 2, "model_steps": 6},
)
def data_loading(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    from transferlab.commands.cli import TransferLabCLI

    options, images = run.options, folder / "images"
    build_folder(images, options["images"], seed=run.seed)
    cli = TransferLabCLI(
        args=[
            "-c",
            str(spec.root / run.row.config),
            f"--seed_everything={run.seed}",
            f"--trainer.default_root_dir={folder}",
            *overrides,
            f"--data.init_args.root={images}",
            f"--data.init_args.source={DOMAINS[0]}",
            f"--data.init_args.target={DOMAINS[1]}",
        ],
        run=False,
    )
    data = cli.datamodule
    data.setup("fit")
    rates = {str(w): loader_rate(data, w, options["loader_epochs"]) for w in options["workers"]}
    steps = options["model_steps"]
    training = model_rate(cli.model.backbone, data.batch_size, data.image_size, steps)
    return {
        "images": options["images"],
        "batch_size": data.batch_size,
        "image_size": data.image_size,
        "backbone": cli.model.hparams.backbone,
        "loader_images_per_s": rates,
        "model_images_per_s": training,
    }
