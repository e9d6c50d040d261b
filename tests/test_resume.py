"""Stop after epoch 1, resume from the checkpoint, and land where an unbroken run lands."""

import lightning as L
import pytest
import torch

from tests.conftest import build_cli, config

SHORT = (
    "--trainer.limit_train_batches=6",
    "--trainer.limit_val_batches=2",
    "--trainer.callbacks=[]",
    "--data.init_args.source=digits",
    "--data.init_args.target=mnist",
)


class Interrupt(L.Callback):
    """Stops a run after epoch ``after`` (the first by default), as a crash or a
    pre-emption would."""

    def __init__(self, after: int = 0) -> None:
        self.after = after

    def on_train_epoch_end(self, trainer, pl_module):
        trainer.should_stop = trainer.current_epoch == self.after


def _fit(root, ckpt_path=None, interrupt=False):
    cli = build_cli(
        config("dann/mnist_to_mnistm.yaml"),
        *SHORT,
        "--trainer.max_epochs=3",
        f"--trainer.default_root_dir={root}",
        f"--checkpoint.dirpath={root}/checkpoints",
    )
    if interrupt:
        cli.trainer.callbacks.append(Interrupt())
    cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=ckpt_path, weights_only=True)
    return cli


@pytest.mark.slow
def test_resumed_run_matches_uninterrupted_run(tmp_path):
    unbroken = _fit(tmp_path / "unbroken")
    interrupted = _fit(tmp_path / "interrupted", interrupt=True)
    assert interrupted.trainer.current_epoch == 1
    resumed = _fit(tmp_path / "resumed", ckpt_path=tmp_path / "interrupted/checkpoints/last.ckpt")
    assert resumed.trainer.global_step == unbroken.trainer.global_step
    for (name, a), (_, b) in zip(
        unbroken.model.state_dict().items(), resumed.model.state_dict().items(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-6), name
    lr = [
        opt.param_groups[0]["lr"]
        for opt in (unbroken.trainer.optimizers[0], resumed.trainer.optimizers[0])
    ]
    assert lr[0] == pytest.approx(lr[1])


@pytest.mark.slow
def test_a_gradual_run_resumed_after_its_unfreezing_epoch_trains_the_backbone(tmp_path):
    """The backbone joins at epoch 1; a run stopped after it resumes at epoch 2, where
    Lightning's own callback would leave the backbone frozen to the end."""

    def fit(root, ckpt_path=None, interrupt=False):
        cli = build_cli(
            config("fine_tuning/digits_to_mnist_gradual.yaml"),
            "--trainer.limit_train_batches=3",
            "--trainer.limit_val_batches=1",
            "--trainer.max_epochs=3",
            f"--trainer.default_root_dir={root}",
            f"--checkpoint.dirpath={root}/checkpoints",
        )
        if interrupt:
            cli.trainer.callbacks.append(Interrupt(after=1))
        cli.trainer.fit(
            cli.model, datamodule=cli.datamodule, ckpt_path=ckpt_path, weights_only=True
        )
        return cli

    unbroken = fit(tmp_path / "unbroken")
    interrupted = fit(tmp_path / "interrupted", interrupt=True)
    stopped = {k: v.clone() for k, v in interrupted.model.backbone.state_dict().items()}
    resumed = fit(tmp_path / "resumed", tmp_path / "interrupted/checkpoints/last.ckpt")
    assert resumed.trainer.global_step == unbroken.trainer.global_step
    final = resumed.model.state_dict()
    for name, weight in unbroken.model.state_dict().items():
        assert torch.allclose(weight, final[name], atol=1e-6), name
    moved = [
        n
        for n, w in resumed.model.backbone.state_dict().items()
        if "conv" in n and not torch.equal(w, stopped[n])
    ]
    assert moved  # the convolutions trained after the resume, not only the BatchNorm layers


def test_checkpoint_of_another_method_is_refused(tmp_path):
    source_only = build_cli(
        config("source_only/mnist_to_mnistm.yaml"),
        *SHORT,
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=1",
        f"--checkpoint.dirpath={tmp_path}",
    )
    source_only.trainer.fit(source_only.model, datamodule=source_only.datamodule)
    dann = build_cli(config("dann/mnist_to_mnistm.yaml"), *SHORT)
    with pytest.raises(ValueError, match="written by method SourceOnly, but this run is DANN"):
        dann.trainer.test(
            dann.model,
            datamodule=dann.datamodule,
            ckpt_path=tmp_path / "last.ckpt",
            weights_only=True,
        )
