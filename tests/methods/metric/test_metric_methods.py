"""Metric-learning methods: each config trains, each mechanism holds."""

import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.losses.metric import batch_all_triplets, batch_hard_triplets, semi_hard_triplets

FAST = ("-c", config("trainer/fast_dev_run.yaml"))
METRIC = ["siamese", "triplet", "center_loss", "softmax_embedding"]


@pytest.mark.parametrize("method", METRIC)
def test_metric_learning_fast_dev_run_and_retrieval_metrics(method):
    cli = build_cli(config(f"{method}/mnist_held_out_digits.yaml"), *FAST)
    before = cli.model.backbone.stem[0].weight.clone()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert not torch.equal(before, cli.model.backbone.stem[0].weight)
    metrics = cli.trainer.test(cli.model, datamodule=cli.datamodule, verbose=False)
    flat = {k: v for loader in metrics for k, v in loader.items()}
    for name in ("acc", "map_at_r", "recall_at_4", "verification_auc"):
        assert 0.0 <= flat[f"test/target_{name}"] <= 1.0


@pytest.mark.parametrize("miner", ["all", "hard", "semihard"])
def test_every_triplet_miner_trains_on_valid_triplets(miner):
    """The miner of a training batch finds triplets (an empty one would give a loss of 0
    and train nothing), each an anchor, another image of its class, and one of another
    class; the step then changes the embedding."""
    cli = build_cli(
        config("triplet/mnist_held_out_digits.yaml"), *FAST, f"--model.init_args.miner={miner}"
    )
    mined = []
    original = cli.model.metric_loss

    def recording(embeddings, labels, features):
        loss = original(embeddings, labels, features)
        mined.append(len(labels))
        distances = torch.cdist(embeddings, embeddings).detach()
        triplets = {
            "all": lambda: batch_all_triplets(labels),
            "hard": lambda: batch_hard_triplets(distances, labels),
            "semihard": lambda: semi_hard_triplets(distances, labels, cli.model.hparams.margin),
        }[miner]()
        anchor, positive, negative = triplets
        assert len(anchor) > 0
        assert (labels[anchor] == labels[positive]).all() and (anchor != positive).all()
        assert (labels[anchor] != labels[negative]).all()
        assert loss > 0
        return loss

    cli.model.metric_loss = recording
    before = cli.model.embedding.weight.detach().clone()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert mined and not torch.equal(before, cli.model.embedding.weight)


def test_centres_learn_at_their_own_rate():
    cli = build_cli(config("center_loss/mnist_held_out_digits.yaml"), *FAST)
    groups = {g["name"]: g["lr"] for g in cli.model.configure_optimizers().param_groups}
    assert groups["centers"] == pytest.approx(5 * groups["head"])


def test_embedding_picture_of_seen_and_held_out_classes_is_saved(tmp_path):
    cli = build_cli(
        config("triplet/mnist_held_out_digits.yaml"),
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--trainer.enable_checkpointing=false",
        "--trainer.callbacks=[{class_path: transferlab.callbacks.FeatureTSNE, "
        f"init_args: {{samples_per_domain: 60, output_dir: {tmp_path}}}}}]",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert (tmp_path / "tsne_after.png").stat().st_size > 0


@pytest.mark.parametrize("method", ["softmax_embedding", "center_loss"])
def test_softmax_embeddings_stay_unnormalised_when_built_by_the_cli(method):
    """The CLI passes every inherited argument, so a ``setdefault`` in ``__init__`` would be
    overridden by the parent's ``normalize=True``."""
    cli = build_cli(config(f"{method}/mnist_held_out_digits.yaml"), *FAST)
    assert cli.model.hparams.normalize is False
    assert cli.model.embed(torch.rand(4, 3, 28, 28)).norm(dim=1).allclose(torch.ones(4)) is False
