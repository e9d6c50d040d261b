"""t-SNE of source and target features before and after training."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import WandbLogger

from transferlab.callbacks.watch import WatchOnly
from transferlab.evaluation.plots import tsne_domains_figure


class FeatureTSNE(WatchOnly, L.Callback):
    """Save (and log to W&B) a t-SNE of source vs target features at fit start and end.

    Uses the source validation split and the target test split, at most
    ``samples_per_domain`` images each. Target labels only colour the picture; they do not
    reach training or checkpoint selection (an unlabeled target is one colour). A
    metric-learning method is pictured by its embedding (``embed``): seen classes vs
    held-out classes.

    Args:
        samples_per_domain: images embedded per domain (t-SNE is quadratic in this).
        output_dir: where the PNGs go; default:
            ``<default_root_dir>/plots/<Method>_<source>_to_<target>[_oracle]/``.
    """

    def __init__(self, samples_per_domain: int = 500, output_dir: str | None = None) -> None:
        self.samples_per_domain, self.output_dir = samples_per_domain, output_dir
        self.saved: list[Path] = []

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._plot(trainer, pl_module, "before")

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._plot(trainer, pl_module, "after")

    @torch.no_grad()
    def _features(self, pl_module, loader) -> tuple[torch.Tensor, torch.Tensor]:
        features, labels, seen = [], [], 0
        represent = getattr(pl_module, "embed", pl_module.features)
        for batch in loader:  # an unlabeled target folder yields images only
            images, batch_labels = batch if isinstance(batch, list | tuple) else (batch, None)
            if batch_labels is None:
                batch_labels = torch.full((len(images),), -1)
            features.append(represent(images.to(pl_module.device)).float().cpu())
            labels.append(batch_labels)
            seen += len(images)
            if seen >= self.samples_per_domain:
                break
        n = self.samples_per_domain
        return torch.cat(features)[:n], torch.cat(labels)[:n]

    def _plot(self, trainer: L.Trainer, pl_module: L.LightningModule, when: str) -> None:
        if trainer.fast_dev_run or not trainer.is_global_zero or trainer.datamodule is None:
            return
        if self.cannot_watch(trainer):
            return
        datamodule = trainer.datamodule
        was_training = pl_module.training
        pl_module.eval()
        source = self._features(pl_module, datamodule.eval_loaders("val")["source"])
        target = self._features(pl_module, datamodule.eval_loaders("test")["target"])
        pl_module.train(was_training)
        run = f"{type(pl_module).__name__}_{datamodule.source}_to_{datamodule.target}"
        run += "_oracle" if datamodule.oracle else ""
        folder = Path(self.output_dir or Path(trainer.default_root_dir) / "plots" / run)
        path = tsne_domains_figure(
            source[0].numpy(),
            target[0].numpy(),
            source[1].numpy(),
            target[1].numpy(),
            title=f"{run.replace('_', ' ')} ({when} training)",
            path=folder / f"tsne_{when}.png",
        )
        self.saved.append(path)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key=f"tsne/{when}", images=[str(path)])
