import pytest

from tests.conftest import build_cli, config
from transferlab.commands.compare import run_config

FAST = ("-c", config("trainer/fast_dev_run.yaml"))


def test_fast_dev_run():
    cli = build_cli(config("source_only/mnist_to_mnistm.yaml"), *FAST)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.trainer.state.finished


@pytest.mark.slow
def test_learns_the_source_and_the_oracle_learns_the_target(source_only_mnist_to_mnistm):
    """Three epochs: far above the 10% of chance. The plain run is the shared MNIST ->
    MNIST-M baseline; the oracle learns the UCI digits from their own labels."""
    plain = source_only_mnist_to_mnistm
    oracle = run_config(
        config("source_only/mnist_to_mnistm_oracle.yaml"),
        overrides=[
            "--trainer.max_epochs=3",
            "--trainer.logger=false",
            "--trainer.callbacks=[]",
            "--data.init_args.target=digits",
        ],
    )
    assert plain.protocol == "source_val_acc" and oracle.protocol == "oracle_target_val_acc"
    assert plain.source_test_acc > 0.9
    assert oracle.target_test_acc > 0.9


def test_compile_backbone_compiles_in_place_and_keeps_checkpoint_keys():
    cli = build_cli(
        config("source_only/mnist_to_mnistm.yaml"), "--model.init_args.compile_backbone=true"
    )
    keys = list(cli.model.state_dict())
    cli.model.trainer = cli.trainer
    cli.model.setup("fit")
    assert cli.model.backbone._compiled_call_impl is not None  # what nn.Module.compile sets
    assert list(cli.model.state_dict()) == keys  # no "_orig_mod." prefix in checkpoints


@pytest.mark.parametrize(("progress_bar", "steps"), [(False, [2, 4, 5]), (True, [1, 2, 3, 4, 5])])
def test_a_step_value_is_filed_only_where_it_can_be_seen(progress_bar, steps, monkeypatch):
    """Every second step reaches the logger, and the epoch's last the callbacks; the
    progress bar, where the run has one, shows every step's loss."""
    import lightning as L

    filed = []
    log = L.LightningModule.log

    def spy(self, name, *args, **kwargs):
        if name == "train/loss":
            filed.append(self.trainer.fit_loop.total_batch_idx + 1)
        return log(self, name, *args, **kwargs)

    monkeypatch.setattr(L.LightningModule, "log", spy)
    cli = build_cli(
        config("source_only/mnist_to_mnistm.yaml"),
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=5",
        "--trainer.limit_val_batches=0",
        "--trainer.log_every_n_steps=2",
        "--trainer.callbacks=[]",
        f"--trainer.enable_progress_bar={str(progress_bar).lower()}",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert filed == steps
