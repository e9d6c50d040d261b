"""LightningCLI over every method and DataModule: ``transferlab fit|validate|test``
(the ``transferlab`` command itself, with its other subcommands, is :mod:`.entry`).

transferlab fit -c configs/dann/mnist_to_mnistm.yaml
transferlab fit -c configs/dann/mnist_to_mnistm.yaml -c configs/trainer/gpu.yaml
transferlab test -c runs/DANN_mnist_to_mnistm/version_0/config.yaml --ckpt_path runs/.../best.ckpt
transferlab predict --ckpt runs/.../best.ckpt --images photos/ --output predictions.csv
transferlab explain --ckpt runs/.../best.ckpt --images photos/ --method gradcam

Every run gets its own folder, ``<default_root_dir>/<run_name>/version_<n>/``, holding its
resolved ``config.yaml``, ``checkpoints/``, the CSV and W&B logs and the plots; ``fit`` ends
by printing where the best checkpoint is, what it scored and the commands to use next.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, ProgressBar, RichProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

import transferlab.backbones  # noqa: F401  (registers digit_cnn with timm)
from transferlab.callbacks import SelectionCheckpoint
from transferlab.checkpoints import method_mismatch
from transferlab.commands.test_report import write_test_report
from transferlab.methods import MethodModule

RUNS_DIR = "runs"
# the `transferlab` command and run_config hand LightningCLI their arguments explicitly,
# which is how it is meant to be called here, not from inside someone's Python session
warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
# the overrides of a run nobody watches (tests, benchmarks, active-learning rounds): no
# loggers and no progress bar; add NO_CALLBACKS to drop the config's callbacks too
QUIET_TRAINER = ("--trainer.logger=false", "--trainer.enable_progress_bar=false")
NO_CALLBACKS = "--trainer.callbacks=[]"


def use_wandb_offline_without_key() -> None:
    """Run W&B offline unless the user is logged in: never prompt, never block on a network.

    ``WANDB_MODE`` set but empty counts as unset (W&B itself rejects the empty string).
    """
    if not os.environ.get("WANDB_MODE"):
        os.environ.pop("WANDB_MODE", None)
    netrc = Path.home() / ".netrc"
    logged_in = netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore")
    if not os.environ.get("WANDB_API_KEY") and not logged_in:
        os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")


def default_run_name(config) -> str:
    """``<Method>_<source>_to_<target>``, or the method alone for other data; a domain given
    as a file (a text CSV) is named by its stem, so the folder stays under the runs root,
    and ``topics:italian`` as ``topics-italian`` (a colon is no part of a portable path)."""
    method = str(config.model.class_path).rsplit(".", 1)[-1]
    data = config.data.init_args if "init_args" in config.data else {}
    source, target = data.get("source"), data.get("target")
    if not (source and target):
        return method
    source, target = (Path(str(name)).stem.replace(":", "-") for name in (source, target))
    return f"{method}_{source}_to_{target}"


# the run folders this process claimed, so that a refused run can take its folder back
CLAIMED: list[Path] = []


def claim_run_dir(root: Path, name: str) -> Path:
    """The next free ``root/name/version_<n>``, created at once so no other run takes it."""
    parent = root / name
    missing = [p for p in (parent, *parent.parents) if not p.exists()]
    parent.mkdir(parents=True, exist_ok=True)
    taken = [int(p.name[8:]) for p in parent.glob("version_*") if p.name[8:].isdigit()]
    version = max(taken, default=-1) + 1
    while True:
        try:
            (parent / f"version_{version}").mkdir()
            CLAIMED.extend([parent / f"version_{version}", *missing])
            return parent / f"version_{version}"
        except FileExistsError:
            version += 1


def release_unused_run_dirs() -> None:
    """Remove the folders this process claimed for runs that were refused before they wrote
    anything but their config (a bad data folder, a class mismatch ...): a refusal leaves
    no trace."""
    for folder in CLAIMED:
        files = [f for f in folder.rglob("*") if f.is_file()] if folder.is_dir() else []
        if all(f.name == "config.yaml" for f in files):
            shutil.rmtree(folder, ignore_errors=True)
    CLAIMED.clear()


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

    * any method (a :class:`MethodModule` subclass) as ``model`` and any LightningDataModule
      with ``num_classes`` and ``oracle`` as ``data`` (``class_path`` in the YAML): the
      :class:`DomainDataModule` family, or ``EpisodicDigits`` for meta-learning;
    * ``data.num_classes`` and ``data.oracle`` linked into the model, so that the two can
      never disagree;
    * a ``checkpoint`` section (a ``ModelCheckpoint`` whose ``last.ckpt`` is always the
      final epoch) that selects on ``val/select_score`` -- source validation accuracy
      unless the oracle is asked for;
    * checkpoints loaded with ``weights_only=True``; W&B offline when no key is set; a rich
      progress bar unless progress bars are switched off.
    """

    def __init__(self, *args, **kwargs) -> None:
        use_wandb_offline_without_key()
        kwargs.setdefault("model_class", MethodModule)
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("datamodule_class", L.LightningDataModule)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        kwargs.setdefault("trainer_defaults", TRAINER_DEFAULTS)
        kwargs.setdefault("auto_configure_optimizers", False)
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument(
            "--run_name",
            type=str | None,
            default=None,
            help="folder of this run under trainer.default_root_dir "
            "(default: <Method>_<source>_to_<target>)",
        )
        parser.add_lightning_class_args(SelectionCheckpoint, "checkpoint")
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

    def parse_arguments(self, parser: LightningArgumentParser, args) -> None:
        """Refuse a ``--ckpt_path`` of another method before Lightning would silently swap
        the configured model for the checkpoint's (it rebuilds the model from the saved
        hyper-parameters)."""
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        if not subcommand:
            return
        ckpt_path = self.config[subcommand].get("ckpt_path")
        model = self.config[subcommand].get("model")
        if ckpt_path and Path(ckpt_path).is_file() and model and model.get("class_path"):
            problem = method_mismatch(ckpt_path, model.class_path.rsplit(".", 1)[-1])
            if problem:
                raise ValueError(f"--ckpt_path {problem}")

    def before_instantiate_classes(self) -> None:
        """Give the run its own folder and point the loggers into it."""
        config = self.config[self.subcommand] if self.subcommand else self.config
        root = Path(config.trainer.default_root_dir or RUNS_DIR)
        self.run_dir = claim_run_dir(root, config.get("run_name") or default_run_name(config))
        loggers = config.trainer.logger
        for logger in loggers if isinstance(loggers, list) else []:
            kind = str(logger.class_path).rsplit(".", 1)[-1]
            if kind == "WandbLogger":
                logger.init_args.save_dir = str(self.run_dir)
                logger.init_args.name = logger.init_args.get("name") or "/".join(
                    self.run_dir.parts[-2:]
                )
            elif kind == "CSVLogger":
                logger.init_args.save_dir = str(self.run_dir)
                logger.init_args.name, logger.init_args.version = "", ""

    def _instantiate_trainer(self, config: dict, callbacks: list[Callback]):
        """The run's folder, its selection checkpoint, and a progress bar, around the
        config's own callbacks.

        The run's checkpoint (the ``checkpoint`` section) goes before the config's
        callbacks: Lightning tests and reports the first ``ModelCheckpoint`` as "best", so a
        ``ModelCheckpoint`` the config adds (to keep more files) must not take over the
        selection and its protocol."""
        listed = config.get("callbacks") or []
        listed = listed if isinstance(listed, list) else [listed]
        config = {**config, "default_root_dir": str(self.run_dir), "callbacks": listed}
        for callback in [*callbacks, *listed]:
            if isinstance(callback, ModelCheckpoint) and callback.dirpath is None:
                callback.dirpath = str(self.run_dir / "checkpoints")
        if config.get("enable_checkpointing") is False:  # the checkpoint section steps aside
            callbacks = [c for c in callbacks if not isinstance(c, ModelCheckpoint)]
        wants_bar = config.get("enable_progress_bar") is not False
        has_bar = any(
            isinstance(c, ProgressBar) for c in [*(config.get("callbacks") or []), *callbacks]
        )
        if wants_bar and not has_bar:
            callbacks = [*callbacks, RichProgressBar()]
        config["callbacks"] = [*callbacks, *listed]
        return super()._instantiate_trainer(config, [])

    def after_fit(self) -> None:
        """Say where the run's outputs are and what to run next."""
        checkpoint = self.trainer.checkpoint_callback
        lines = [f"run folder: {self.run_dir}"]
        if checkpoint is not None and checkpoint.best_model_path:
            best = checkpoint.best_model_path
            on_text = "tokenizer" in (getattr(self.model, "input_spec", None) or {})
            inputs = "--texts <file.csv>" if on_text else "--images <folder or glob>"
            lines += [
                f"best checkpoint: {best}",
                f"selected by {checkpoint.monitor} = {float(checkpoint.best_model_score):.4f} "
                f"(protocol: {getattr(self.model, 'selection_protocol', 'n/a')})",
                "next:",
                f"  transferlab test -c {self.run_dir / 'config.yaml'} --ckpt_path {best}",
                f"  transferlab predict --ckpt {best} {inputs} --output predictions.csv",
            ]
        if self.trainer.is_global_zero:
            print("\n".join(lines))

    def after_test(self) -> None:
        """Write the test report (confusion matrices, per-class scores, calibration,
        Grad-CAM) beside the checkpoint."""
        if self.trainer.is_global_zero:
            write_test_report(
                self.trainer,
                self.model,
                self.datamodule,
                self.config["test"].get("ckpt_path"),
                self.run_dir,
            )
