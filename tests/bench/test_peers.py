"""The peer kinds run another library's DANN inside our run: the checkpoint holds the
peer's discriminator, and the run learns. Skipped unless ``make peers`` installed them."""

import pytest
import yaml

from tests.conftest import ROOT
from transferlab.checkpoints import load_file
from transferlab.commands.bench.runner import run_spec, stored
from transferlab.commands.bench.spec import load_spec

SHORT = [
    "--trainer.max_epochs=2",
    "--trainer.limit_train_batches=8",
    "--trainer.limit_val_batches=2",
    "--trainer.logger=false",
]
PEERS = {  # kind: (module, a parameter name only the peer's discriminator has)
    "peer_dann_dalib": ("dalib", "discriminator.domain_discriminator."),
    "peer_dann_pytorch_adapt": ("pytorch_adapt", "discriminator.net."),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", PEERS)
def test_a_peer_dann_trains_inside_our_run(kind, tmp_path, monkeypatch):
    module, parameter = PEERS[kind]
    pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    config = str(ROOT / "configs/dann/mnist_to_mnistm.yaml")
    spec = {
        "title": "peer",
        "seeds": [0],
        "overrides": SHORT,
        "rows": [{"label": "peer", "config": config, "kind": kind}],
    }
    (tmp_path / "peer.yaml").write_text(yaml.safe_dump(spec))
    run_spec(load_spec(str(tmp_path / "peer.yaml"), root=ROOT))
    result = stored(load_spec(str(tmp_path / "peer.yaml"), root=ROOT))["peer__seed0"]
    assert result["source_test_acc"] > 0.3  # it learns the source task (chance: 0.1)
    weights = load_file(result["checkpoint_path"], "checkpoint")["state_dict"]
    assert any(name.startswith(parameter) for name in weights), sorted(weights)[:8]
