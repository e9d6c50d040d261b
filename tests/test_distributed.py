"""Scale presets: DDP runs with two CPU processes (gloo); FSDP needs CUDA."""

import pytest
import torch

from tests.conftest import config, run_transferlab


def _fit(*extra: str, watchers: bool = False):
    """One short DANN run; ``watchers`` keeps the config's t-SNE callback."""
    return run_transferlab(
        "fit",
        "-c",
        config("dann/mnist_to_mnistm.yaml"),
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=4",
        "--trainer.limit_val_batches=2",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        *([] if watchers else ["--trainer.callbacks=[]"]),
        *extra,
    )


@pytest.mark.slow
def test_ddp_with_two_cpu_processes():
    result = _fit("-c", config("trainer/ddp_cpu.yaml"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Initializing distributed: GLOBAL_RANK: 1, MEMBER: 2/2" in result.stderr + result.stdout


@pytest.mark.skipif(not torch.cuda.is_available(), reason="Lightning's FSDP needs CUDA")
def test_fsdp_on_gpus():
    """With the config's t-SNE callback, which runs the backbone outside the strategy's
    forward unless it steps aside for sharded models (tests/callbacks/test_watchers.py)."""
    fsdp = ("-c", config("trainer/fsdp.yaml"), "-c", config("trainer/bf16.yaml"))
    result = _fit(*fsdp, watchers=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FeatureTSNE skipped: FSDPStrategy shards" in result.stderr + result.stdout
