"""A Lightning callback that shows where the model looks while it trains.

Every ``every_n_epochs`` epochs it explains the same ``num_images`` validation images of
the chosen domain (the target by default: what adaptation should change) and writes
``explanations/epoch_<n>.png`` in the run folder, logging it to W&B when a W&B logger is
attached. Methods without a single classifier network (metric learning, episodic
meta-learning) are skipped with a warning.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_warn

from transferlab.callbacks.watch import WatchOnly
from transferlab.explain.attributions import EXPLAINERS
from transferlab.explain.grid import explain_networks, save_grid


class ExplanationGrid(WatchOnly, L.Callback):
    """Args:
    method: ``gradcam``, ``lime`` or ``shap``.
    every_n_epochs: how often.
    num_images: how many validation images (the first ones of the split, so the same
        images every time).
    domain: ``source`` or ``target`` validation split.
    layer: Grad-CAM layer name (default: the last spatial layer).
    """

    def __init__(
        self,
        method: str = "gradcam",
        every_n_epochs: int = 5,
        num_images: int = 8,
        domain: str = "target",
        layer: str | None = None,
    ) -> None:
        if method not in EXPLAINERS:
            raise ValueError(
                f"ExplanationGrid: method {method!r}; choose from {', '.join(EXPLAINERS.names())}"
            )
        if domain not in ("source", "target"):
            raise ValueError(f"ExplanationGrid: domain {domain!r}; choose source or target")
        self.method, self.every_n_epochs, self.num_images = method, every_n_epochs, num_images
        self.domain, self.layer = domain, layer
        self.written: list[Path] = []

    def fixed_images(self, trainer: L.Trainer) -> torch.Tensor | None:
        splits = getattr(trainer.datamodule, "splits", {})
        validation = splits.get(self.domain, {}).get("val")
        if validation is None:
            return None
        items = [validation[i] for i in range(min(self.num_images, len(validation)))]
        return torch.stack([item[0] if isinstance(item, tuple | list) else item for item in items])

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module) -> None:
        epoch = trainer.current_epoch + 1
        if epoch % self.every_n_epochs and epoch != trainer.max_epochs:
            return
        if not trainer.is_global_zero or self.cannot_watch(trainer):
            return
        network = pl_module.deployable_network()
        images = self.fixed_images(trainer)
        if network is None or images is None:
            rank_zero_warn(
                f"ExplanationGrid: {type(pl_module).__name__} has no classifier network "
                "or the data no validation split to explain; skipped"
            )
            return
        was_training = pl_module.training
        try:
            names = getattr(pl_module, "class_names", None) or [
                str(i) for i in range(pl_module.num_classes)
            ]
            rows = explain_networks(
                {type(pl_module).__name__: network},
                images.to(pl_module.device),
                self.method,
                names,
                self.layer,
            )
        finally:
            pl_module.train(was_training)
        spec = getattr(pl_module, "input_spec", None) or {"mean": [0.5] * 3, "std": [0.5] * 3}
        folder = Path(trainer.default_root_dir) / "explanations"
        path = save_grid(
            rows, images, spec, folder / f"epoch_{epoch}.png", f"{self.method}, epoch {epoch}"
        )
        self.written.append(path)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(
                    key=f"explanations/{self.method}", images=[str(path)], step=trainer.global_step
                )
