"""Sample grids of a generative model while it trains (to disk and W&B)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import WandbLogger
from torchvision.utils import save_image

from transferlab.callbacks.watch import WatchOnly


class SampleGrid(WatchOnly, L.Callback):
    """Every ``every_n_epochs`` epochs (and after the last), ``<run>/samples/epoch_<n>.png``:
    ``rows`` x ``columns`` samples from the same noise each time (seeded), one class per
    column for a conditional model; for a model with ``interpolate`` (the VAE) also
    ``interpolation_<n>.png``, decoded points between the codes of validation images.

    Works with any module that has ``sample(count, labels)`` returning [-1, 1] images.
    """

    def __init__(self, every_n_epochs: int = 5, rows: int = 8, columns: int = 10, seed: int = 0):
        self.every_n_epochs, self.rows, self.columns, self.seed = (
            every_n_epochs,
            rows,
            columns,
            seed,
        )
        self.written: list[Path] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module) -> None:
        epoch = trainer.current_epoch + 1
        if (
            epoch % self.every_n_epochs and epoch != trainer.max_epochs
        ) or not trainer.is_global_zero:
            return
        if self.cannot_watch(trainer):
            return
        folder = Path(trainer.default_root_dir) / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        was_training = pl_module.training
        pl_module.eval()  # BatchNorm on running statistics; nothing learns from the samples
        try:
            state = torch.random.get_rng_state()
            torch.manual_seed(self.seed)
            count = self.rows * self.columns
            labels = torch.arange(count, device=pl_module.device) % self.columns
            images = pl_module.sample(count, labels % pl_module.num_classes)
            paths = [self._save(images, folder / f"epoch_{epoch}.png")]
            if hasattr(pl_module, "interpolate"):
                paths.append(
                    self._interpolation(trainer, pl_module, folder / f"interpolation_{epoch}.png")
                )
            torch.random.set_rng_state(state)
        finally:
            pl_module.train(was_training)
        self.written += paths
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(
                    key="samples", images=[str(p) for p in paths], step=trainer.global_step
                )

    def _save(self, images: torch.Tensor, path: Path) -> Path:
        save_image(images.cpu() * 0.5 + 0.5, path, nrow=self.columns, padding=1)
        return path

    def _interpolation(self, trainer, pl_module, path: Path) -> Path:
        validation = trainer.datamodule.splits["source"]["val"]
        lines = [
            pl_module.interpolate(
                validation[2 * i][0].to(pl_module.device),
                validation[2 * i + 1][0].to(pl_module.device),
                self.columns,
            )
            for i in range(self.rows)
        ]
        return self._save(torch.cat(lines), path)
