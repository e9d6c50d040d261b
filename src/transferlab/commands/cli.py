"""The ``transferlab`` command: LightningCLI over every method and DataModule.

transferlab fit -c configs/dann/mnist_to_mnistm.yaml
transferlab fit -c configs/dann/mnist_to_mnistm.yaml -c configs/trainer/gpu.yaml
transferlab test -c configs/dann/mnist_to_mnistm.yaml --ckpt_path runs/.../best.ckpt
"""

from __future__ import annotations

import os
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, ProgressBar, RichProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

import transferlab.backbones  # noqa: F401  (registers digit_cnn with timm)
from transferlab.methods import TransferModule

RUNS_DIR = "runs"


def use_wandb_offline_without_key() -> None:
    """Run W&B offline unless the user is logged in: never prompt, never block on a network."""
    netrc = Path.home() / ".netrc"
    logged_in = netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore")
    if not os.environ.get("WANDB_API_KEY") and not logged_in:
        os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")


# As class_path dicts, not instances: every parse builds fresh loggers, so two runs in one
# process never share a W&B run.
TRAINER_DEFAULTS = {
    "default_root_dir": RUNS_DIR,
    "logger": [
        {
            "class_path": "lightning.pytorch.loggers.WandbLogger",
            "init_args": {"project": "transferlab", "save_dir": RUNS_DIR},
        },
        {
            "class_path": "lightning.pytorch.loggers.CSVLogger",
            "init_args": {"save_dir": RUNS_DIR, "name": "csv"},
        },
    ],
}


class TransferLabCLI(LightningCLI):
    """LightningCLI with the project's conventions built in.

    * any :class:`TransferModule` subclass as ``model`` and any LightningDataModule with
      ``num_classes`` and ``oracle`` as ``data`` (``class_path`` in the YAML): the
      :class:`DomainDataModule` family, or ``EpisodicDigits`` for meta-learning;
    * ``data.num_classes`` and ``data.oracle`` linked into the model, so that the two can
      never disagree;
    * a ``checkpoint`` section (a real ``ModelCheckpoint``) that selects on
      ``val/select_score`` -- source validation accuracy unless the oracle is asked for;
    * checkpoints loaded with ``weights_only=True``; W&B offline when no key is set; a rich
      progress bar unless progress bars are switched off.
    """

    def __init__(self, *args, **kwargs) -> None:
        use_wandb_offline_without_key()
        kwargs.setdefault("model_class", TransferModule)
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("datamodule_class", L.LightningDataModule)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        kwargs.setdefault("trainer_defaults", TRAINER_DEFAULTS)
        kwargs.setdefault("auto_configure_optimizers", False)
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": "val/select_score",
                "checkpoint.mode": "max",
                "checkpoint.save_last": True,
                "checkpoint.filename": "best-{epoch}",
            }
        )
        parser.link_arguments(
            "data.num_classes", "model.init_args.num_classes", apply_on="instantiate"
        )
        parser.link_arguments("data.oracle", "model.init_args.oracle", apply_on="instantiate")

    def _prepare_subcommand_parser(
        self, klass, subcommand: str, **kwargs
    ) -> LightningArgumentParser:
        parser = super()._prepare_subcommand_parser(klass, subcommand, **kwargs)
        if "weights_only" in self._subcommand_method_arguments[subcommand]:
            parser.set_defaults(weights_only=True)
        return parser

    def _instantiate_trainer(self, config: dict, callbacks: list[Callback]):
        if config.get("enable_checkpointing") is False:  # the checkpoint section steps aside
            callbacks = [c for c in callbacks if not isinstance(c, ModelCheckpoint)]
        wants_bar = config.get("enable_progress_bar") is not False
        has_bar = any(
            isinstance(c, ProgressBar) for c in [*(config.get("callbacks") or []), *callbacks]
        )
        if wants_bar and not has_bar:
            callbacks = [*callbacks, RichProgressBar()]
        return super()._instantiate_trainer(config, callbacks)


def main() -> None:
    TransferLabCLI()


if __name__ == "__main__":
    main()
