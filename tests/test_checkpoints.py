"""The one reader of checkpoints: every bad file is one error naming it, never PyTorch's
unpickler internals; weights load by prefix with the mismatching keys named."""

import pytest
import torch
from torch import nn

from transferlab import checkpoints


def test_missing_junk_and_truncated_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint .*nothing.ckpt does not exist"):
        checkpoints.read_checkpoint(tmp_path / "nothing.ckpt")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match=r"junk.ckpt cannot be read as a checkpoint"):
        checkpoints.read_checkpoint(junk)
    whole = tmp_path / "whole.ckpt"
    torch.save({"transferlab": {"method": "SourceOnly"}, "state_dict": {}}, whole)
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"truncated.ckpt cannot be read as a checkpoint"):
        checkpoints.read_checkpoint(truncated)
    assert checkpoints.written_by(whole) == "SourceOnly"


def test_a_file_transferlab_did_not_write_is_refused(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(ValueError, match="not a transferlab checkpoint"):
        checkpoints.read_checkpoint(foreign)
    with pytest.raises(ValueError, match="neither a transferlab checkpoint nor a network file"):
        checkpoints.written_by(foreign)


def test_weights_load_by_prefix_and_mismatches_are_named():
    state = {"head.weight": torch.ones(3, 4), "head.bias": torch.zeros(3), "backbone.x": 1}
    head = nn.Linear(4, 3)
    checkpoints.load_part(head, checkpoints.prefixed(state, "head"), "head")
    assert torch.equal(head.weight, torch.ones(3, 4))
    with pytest.raises(
        ValueError,
        match=r"bad head: missing \[\], unexpected \[\], other "
        r"shapes \['bias', 'weight'\]",
    ):
        checkpoints.load_part(nn.Linear(4, 5), checkpoints.prefixed(state, "head"), "bad head")


def test_a_method_of_another_family_is_pointed_to_the_weights_path(tmp_path):
    path = tmp_path / "vae.ckpt"
    torch.save({"transferlab": {"method": "VAE"}, "state_dict": {}}, path)
    problem = checkpoints.method_mismatch(path, "SourceOnly")
    assert "written by VAE, not by SourceOnly" in problem
    assert "--model.init_args.weights" in problem
    assert checkpoints.method_mismatch(path, "VAE") is None
