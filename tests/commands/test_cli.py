"""The CLI: every YAML instantiates, and bad input gets an error that names the problem."""

import pytest
import torch
import yaml

from tests.conftest import CONFIGS, build_cli, config, run_transferlab
from tests.data.test_image_folders import make_domains

PRESET_FOLDERS = ("trainer", "data", "active")  # active/: tests/commands/test_active.py
# no LightningCLI runs: the metric_meta benchmark reads them (tests/bench/test_metric_meta.py)
NOT_CLI = {"maml/sinusoid.yaml", "maml/sinusoid_fomaml.yaml"}
EXPERIMENTS = sorted(
    p
    for p in CONFIGS.glob("*/*.yaml")
    if p.parent.name not in PRESET_FOLDERS and f"{p.parent.name}/{p.name}" not in NOT_CLI
)
TRAINER_PRESETS = sorted((CONFIGS / "trainer").glob("*.yaml"))
DATA_PRESETS = sorted((CONFIGS / "data").glob("*.yaml"))
NEEDS_CUDA = {"gpu.yaml", "fp16.yaml", "ddp.yaml", "fsdp.yaml"}


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_experiment_config_instantiates(experiment, tmp_path):
    overrides = ["--trainer.accelerator=cpu", "--trainer.precision=32-true"]
    if "office31" in experiment.name:  # needs the user's folders: give it a tiny one
        classes = ["cup", "pen"]
        root = make_domains(tmp_path / "office31", {"amazon": classes, "webcam": classes}, 2)
        overrides += [f"--data.init_args.root={root}", "--data.init_args.num_workers=0"]
    if "_vit_" in experiment.name:  # hub weights need a network: the same ViT, untrained
        overrides += ["--model.init_args.pretrained=false"]
    cli = build_cli(experiment, *overrides)
    assert cli.model.num_classes == cli.datamodule.num_classes
    assert cli.trainer.checkpoint_callback.monitor == "val/select_score"


@pytest.mark.parametrize("preset", TRAINER_PRESETS, ids=lambda p: p.name)
def test_every_trainer_preset_parses_and_cpu_ones_instantiate(preset, capsys):
    base = config("source_only/mnist_to_mnistm.yaml")
    if preset.name in NEEDS_CUDA and not torch.cuda.is_available():
        from transferlab.commands.cli import TransferLabCLI

        with pytest.raises(SystemExit) as exit_info:
            TransferLabCLI(args=["-c", base, "-c", str(preset), "--print_config"], run=False)
        assert exit_info.value.code == 0
        printed = capsys.readouterr().out
        assert "accelerator: gpu" in printed
        return
    cli = build_cli(base, "-c", str(preset))
    wanted = yaml.safe_load(preset.read_text())["trainer"]
    trainer = cli.trainer
    if "accelerator" in wanted:
        assert type(trainer.accelerator).__name__.lower().startswith(wanted["accelerator"])
    if "devices" in wanted and wanted["devices"] != -1:
        assert trainer.num_devices == wanted["devices"]
    if "strategy" in wanted:
        assert type(trainer.strategy).__name__.lower().startswith(wanted["strategy"])
    if "precision" in wanted:
        assert trainer.precision == wanted["precision"]
    if "fast_dev_run" in wanted:
        assert trainer.fast_dev_run == wanted["fast_dev_run"]


@pytest.mark.parametrize("preset", DATA_PRESETS, ids=lambda p: p.name)
def test_every_data_preset_swaps_the_domains_of_a_method_config(preset):
    import yaml

    wanted = yaml.safe_load(preset.read_text())
    cli = build_cli(config("dann/mnist_to_mnistm.yaml"), "--data", str(preset))
    cli.datamodule.setup("fit")
    assert wanted["class_path"].endswith(type(cli.datamodule).__name__)
    assert cli.model.num_classes == cli.datamodule.num_classes
    for role in ("source", "target"):
        if role in wanted["init_args"]:
            assert getattr(cli.datamodule, role) == wanted["init_args"][role]


def test_unknown_config_key_is_named(capsys):
    with pytest.raises(SystemExit):
        build_cli(config("dann/mnist_to_mnistm.yaml"), "--model.init_args.discriminator_widht=3")
    assert "discriminator_widht" in capsys.readouterr().err


def test_unknown_domain_is_named(capsys):
    with pytest.raises(SystemExit):
        build_cli(config("dann/mnist_to_mnistm.yaml"), "--data.init_args.target=svhn")
    err = capsys.readouterr().err
    assert "svhn" in err and "mnistm" in err


def test_num_classes_is_linked_from_the_data(tmp_path):
    root = make_domains(tmp_path, {"a": ["cup", "mug", "pen"], "b": ["cup", "mug", "pen"]}, 2)
    cli = build_cli(
        config("source_only/mnist_to_mnistm.yaml"),
        "--data=transferlab.data.ImageFolderDomains",
        f"--data.root={root}",
        "--data.source=a",
        "--data.target=b",
        "--data.image_size=28",
    )
    assert cli.model.num_classes == 3 and cli.model.head.out_features == 3


def test_class_count_mismatch_between_model_and_data_is_refused():
    import lightning as L

    from transferlab.data import DigitDomains
    from transferlab.methods import SourceOnly

    model = SourceOnly(num_classes=5)
    trainer = L.Trainer(fast_dev_run=True, logger=False, enable_progress_bar=False)
    with pytest.raises(ValueError, match="data has 10 classes but the model was built for 5"):
        trainer.fit(model, datamodule=DigitDomains(source="digits", target="mnist"))


def test_console_script_fits_a_config_end_to_end():
    result = run_transferlab(
        "fit", "-c", config("dann/mnist_to_mnistm.yaml"), "-c", config("trainer/fast_dev_run.yaml")
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_default_loggers_are_wandb_offline_and_csv(monkeypatch, tmp_path):
    """Without an API key W&B runs offline: no prompt, no network, files in the run folder."""
    import os
    from pathlib import Path

    from lightning.pytorch.loggers import CSVLogger, WandbLogger

    from transferlab.commands.cli import TransferLabCLI

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc login either
    cli = TransferLabCLI(
        args=[
            "-c",
            config("source_only/mnist_to_mnistm.yaml"),
            "--trainer.max_steps=2",
            "--trainer.limit_val_batches=1",
            "--trainer.callbacks=[]",
            "--trainer.enable_progress_bar=false",
        ],
        run=False,
    )
    assert os.environ["WANDB_MODE"] == "offline"
    wandb_logger, csv_logger = cli.trainer.loggers
    assert isinstance(wandb_logger, WandbLogger) and isinstance(csv_logger, CSVLogger)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    cli.trainer.loggers[0].experiment.finish()
    run = Path("runs/SourceOnly_mnist_to_mnistm/version_0")
    assert list((run / "wandb").glob("offline-run-*"))
    assert (run / "hparams.yaml").is_file()  # the CSV logger writes into the run folder


def test_checkpointing_can_be_switched_off():
    cli = build_cli(config("dann/mnist_to_mnistm.yaml"), "--trainer.enable_checkpointing=false")
    assert cli.trainer.checkpoint_callback is None


def test_a_model_checkpoint_in_the_config_does_not_take_over_the_selection():
    """A config that keeps every epoch's weights with its own ``ModelCheckpoint``: the
    run still tests and reports the checkpoint its selection protocol chose."""
    mine = {
        "class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
        "init_args": {"monitor": "val/source_acc", "save_top_k": -1},
    }
    cli = build_cli(config("dann/mnist_to_mnistm.yaml"), f"--trainer.callbacks=[{mine}]")
    checkpoints = cli.trainer.checkpoint_callbacks
    assert len(checkpoints) == 2 and checkpoints[1].monitor == "val/source_acc"
    assert cli.trainer.checkpoint_callback.monitor == "val/select_score"
    assert checkpoints[1].dirpath == checkpoints[0].dirpath == str(cli.run_dir / "checkpoints")
