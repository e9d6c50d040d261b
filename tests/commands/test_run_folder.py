"""Every run in one folder: config, checkpoints, logs and plots under
<default_root_dir>/<run_name>/version_<n>/, a summary at the end of fit, and the saved
config good for ``transferlab test``."""

from pathlib import Path

from tests.conftest import config
from transferlab.commands.cli import TransferLabCLI, use_wandb_offline_without_key

SHORT = (
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=2",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
    "--trainer.callbacks=[{class_path: transferlab.callbacks.FeatureTSNE, "
    "init_args: {samples_per_domain: 40}}]",
)


def test_empty_wandb_mode_means_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    use_wandb_offline_without_key()
    import os

    assert os.environ["WANDB_MODE"] == "offline"


def test_default_root_dir_holds_every_output_and_the_saved_config_tests(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("WANDB_MODE", "")  # set but empty: must still run offline
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    root = tmp_path / "elsewhere"
    fitted = TransferLabCLI(
        args=[
            "fit",
            "-c",
            config("source_only/mnist_to_mnistm.yaml"),
            f"--trainer.default_root_dir={root}",
            "--trainer.enable_progress_bar=false",
            *SHORT,
        ]
    )
    fitted.trainer.loggers[0].experiment.finish()
    run = root / "SourceOnly_mnist_to_mnistm" / "version_0"
    assert (run / "config.yaml").is_file()
    best = next((run / "checkpoints").glob("best-*.ckpt"))
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert (run / "metrics.csv").is_file()
    assert list((run / "wandb").glob("offline-run-*"))
    assert list(run.rglob("tsne_after.png"))
    assert not Path("runs").exists()  # nothing written to the default place
    printed = capsys.readouterr().out
    assert f"best checkpoint: {best}" in printed
    assert f"transferlab test -c {run / 'config.yaml'} --ckpt_path {best}" in printed

    tested = TransferLabCLI(args=["test", "-c", str(run / "config.yaml"), f"--ckpt_path={best}"])
    tested.trainer.loggers[0].experiment.finish()
    assert "test/target_acc" in tested.trainer.callback_metrics
    assert (root / "SourceOnly_mnist_to_mnistm" / "version_1" / "config.yaml").is_file()
