import pytest
import torch

from tests.conftest import build_cli, config
from transferlab.methods import FineTuning


def test_backbone_learns_at_a_lower_rate_than_the_head():
    cli = build_cli(config("fine_tuning/digits_to_mnist.yaml"))
    cli.trainer.strategy.connect(cli.model)  # configure_optimizers needs no training here
    optimizer = cli.model.configure_optimizers()
    rates = {group["name"]: group["lr"] for group in optimizer.param_groups}
    assert rates == {"head": pytest.approx(1e-3), "backbone": pytest.approx(1e-4)}


def test_partial_unfreezing_trains_only_the_last_groups():
    model = FineTuning(backbone="tf_efficientnet_lite0", trainable_groups=2)
    trainable = [n for n, p in model.backbone.named_parameters() if p.requires_grad]
    frozen = [n for n, p in model.backbone.named_parameters() if not p.requires_grad]
    assert trainable and frozen
    assert not any(n.startswith(("conv_stem", "blocks.0.")) for n in trainable)
    assert any(n.startswith("conv_head") for n in trainable)


def test_minilm_unfreezes_by_transformer_layer():
    """The text encoder groups its parameters as timm backbones do: embeddings, then one
    group per layer (the unused pooler in the last), so the last two groups are layers 4-5."""
    model = FineTuning(backbone="minilm", trainable_groups=2)
    trainable = {n for n, p in model.backbone.named_parameters() if p.requires_grad}
    layers = {n.split(".")[3] for n in trainable if n.startswith("encoder.encoder.layer.")}
    assert layers == {"4", "5"}
    assert all(n.startswith(("encoder.encoder.layer.", "encoder.pooler")) for n in trainable)
    assert any(n.startswith("encoder.embeddings") for n, _ in model.backbone.named_parameters())


@pytest.mark.parametrize(
    "backbone, groups, first, last",
    [("digit_cnn", 3, "stem.", "neck."), ("minilm", 7, "encoder.embeddings.", "encoder.pooler.")],
)
def test_layer_wise_decay_slows_each_earlier_group(backbone, groups, first, last):
    model = FineTuning(backbone=backbone, backbone_lr_scale=0.1, backbone_lr_decay=0.5)
    optimizer = model.configure_optimizers()
    rates = {group["name"]: group["lr"] for group in optimizer.param_groups}
    assert rates.pop("head") == pytest.approx(1e-3)
    assert rates == {
        f"backbone.{k}": pytest.approx(1e-4 * 0.5 ** (groups - 1 - k)) for k in range(groups)
    }
    grouped = [id(p) for group in optimizer.param_groups[1:] for p in group["params"]]
    assert sorted(grouped) == sorted(id(p) for p in model.backbone.parameters())
    group_of = {id(p): g["name"] for g in optimizer.param_groups for p in g["params"]}
    for name, parameter in model.backbone.named_parameters():
        if name.startswith(first):  # the earliest layers learn slowest
            assert group_of[id(parameter)] == "backbone.0", name
        if name.startswith(last):
            assert group_of[id(parameter)] == f"backbone.{groups - 1}", name


def grouped_by_layer(names: list[str]) -> list[list[str]]:
    """The text layer groups of a module holding one parameter of each name, in order."""
    from timm.models import group_parameters

    from transferlab.backbones.text import text_layer_group

    encoder = torch.nn.Module()
    for name in names:  # a module holding a parameter of each name
        *path, leaf = name.split(".")
        module = encoder
        for part in path:
            if not hasattr(module, part):
                module.add_module(part, torch.nn.Module())
            module = getattr(module, part)
        module.register_parameter(leaf, torch.nn.Parameter(torch.zeros(1)))
    groups = group_parameters(encoder, text_layer_group)
    return [groups[k] for k in sorted(groups)]


def test_text_layer_groups_read_the_layer_names_of_other_encoders():
    """``hf:<name>`` encoders: DistilBERT's ``transformer.layer.N`` and DeBERTa's shared
    relative-position table (no layer: it joins the last one) group as MiniLM's do."""
    names = [
        "encoder.embeddings.word_embeddings.weight",
        "encoder.transformer.layer.0.attention.q_lin.weight",
        "encoder.transformer.layer.1.ffn.lin1.weight",
        "encoder.encoder.rel_embeddings.weight",
    ]
    assert grouped_by_layer(names) == [names[:1], names[1:2], names[2:]]


def test_embeddings_nested_deeper_still_form_the_first_group():
    """A model that keeps its transformer one module deeper (``model.embeddings``,
    ``model.encoder.layer.N``): its embeddings are still the earliest group."""
    nested = [
        "encoder.model.embeddings.word_embeddings.weight",
        "encoder.model.encoder.layer.0.output.dense.weight",
        "encoder.model.encoder.layer.1.output.dense.weight",
        "encoder.model.pooler.dense.weight",
    ]
    assert grouped_by_layer(nested) == [nested[:1], nested[1:2], nested[2:]]


@pytest.mark.parametrize(
    "case, expected",
    [
        ("fine_tuning/digits_to_mnist_gradual.yaml", "with BackboneFinetuning"),
        ("protonet/digits_5way_1shot.yaml", "ProtoNet makes its own optimizer groups"),
    ],
)
def test_a_decay_the_optimizer_would_not_see_is_refused(case, expected):
    cli = build_cli(
        config(case), "--model.init_args.backbone_lr_decay=0.8", "--trainer.limit_train_batches=1"
    )
    with pytest.raises(ValueError, match=expected):
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)


def test_a_decay_outside_0_1_is_a_clear_error():
    with pytest.raises(ValueError, match=r"backbone_lr_decay=1.5: use a factor in \(0, 1\]"):
        FineTuning(backbone="digit_cnn", backbone_lr_decay=1.5)


def test_too_many_groups_is_a_clear_error():
    with pytest.raises(ValueError, match="trainable_groups=9 but digit_cnn has 3"):
        FineTuning(backbone="digit_cnn", trainable_groups=9)


@pytest.mark.slow
def test_gradual_unfreezing_with_backbone_finetuning():
    """Lightning's BackboneFinetuning: frozen in epoch 0, then added as a param group."""
    cli = build_cli(
        config("fine_tuning/digits_to_mnist_gradual.yaml"),
        "--trainer.max_epochs=2",
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=1",
        "--data.init_args.image_size=32",
    )
    stem = cli.model.backbone.conv_stem.weight
    start = stem.detach().clone()
    seen = []

    original = cli.model.on_train_epoch_end

    def record():
        seen.append(
            (
                cli.trainer.current_epoch,
                stem.requires_grad,
                len(cli.trainer.optimizers[0].param_groups),
            )
        )
        original()

    cli.model.on_train_epoch_end = record
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    (epoch0, frozen, groups0), (epoch1, unfrozen, groups1) = seen
    assert (epoch0, frozen, epoch1, unfrozen) == (0, False, 1, True)
    assert groups1 == groups0 + 1  # the unfrozen backbone joined as a new parameter group
    assert not torch.equal(stem, start)
