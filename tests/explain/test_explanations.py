"""Explanations that are about the model: Grad-CAM finds the evidence where it is known to
be, the randomisation check tells a model-blind map from a real one, and deleting the
most-attributed pixels hurts more than deleting random ones."""

import pytest
import torch
from torch import nn

from transferlab.explain import ExplanationGrid, deletion_insertion, explain, randomization_check
from transferlab.explain.attributions import EXPLAINERS, target_layer


class QuadrantHead(nn.Module):
    """Class 1 = the red channel summed over the top-left quadrant; class 0 = the green
    channel everywhere. The only evidence for class 1 lies in that quadrant."""

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        half = maps.shape[-1] // 2
        return torch.stack([maps[:, 1].sum((1, 2)), maps[:, 0, :half, :half].sum((1, 2))], 1)


def quadrant_model() -> nn.Module:
    colours = nn.Conv2d(3, 2, 1, bias=False)
    with torch.no_grad():
        colours.weight.zero_()
        colours.weight[0, 0] = 1.0  # red
        colours.weight[1, 1] = 1.0  # green
    return nn.Sequential(colours, nn.ReLU(), QuadrantHead()).eval()


def test_grad_cam_puts_its_mass_in_the_quadrant_that_decides_the_class():
    image = torch.zeros(1, 3, 16, 16)
    image[0, 0, 2:6, 2:6] = 1.0  # red square, top left
    image[0, 1, 8:, :] = 1.0  # green everywhere in the bottom half
    image[0, 1, :8, 8:] = 1.0  # and in the top-right quadrant
    heat = explain("gradcam", quadrant_model(), image, torch.tensor([1]))[0]
    assert heat[:8, :8].sum() / heat.sum() > 0.9
    other = explain("gradcam", quadrant_model(), image, torch.tensor([0]))[0]
    assert other[:8, :8].sum() / other.sum() < 0.1  # class 0's evidence is elsewhere


def test_a_wrong_layer_name_lists_the_candidates(trained):
    network, _, _ = trained
    with pytest.raises(
        ValueError, match=r"no spatial layer named 'conv9'; candidates: .*0\.block1"
    ):
        target_layer(network, 28, "conv9")
    assert target_layer(network, 28) is dict(network.named_modules())["0.block1.3"]


def target_images(digits, count: int = 32):
    return digits["calibration"][0][:count]  # MNIST-M target training images, unlabeled


def test_the_randomisation_check_fails_a_model_blind_map_and_passes_grad_cam(trained, digits):
    network, _, _ = trained
    images = target_images(digits)
    classes = network(images).argmax(1)

    def image_only(_network, batch, _classes):  # bright pixels, whatever the model
        return batch.abs().sum(1)

    blind = randomization_check(image_only, network, images, classes)
    assert blind["rank_correlation"] > 0.99 and not blind["passed"]
    cam = randomization_check(EXPLAINERS["gradcam"], network, images, classes)
    assert cam["passed"] and cam["rank_correlation"] < 0.3


@pytest.mark.parametrize("method", ["shap", "lime"])
def test_deleting_the_most_attributed_pixels_lowers_the_probability_faster(method, trained, digits):
    network, _, _ = trained
    images = target_images(digits, 16)
    classes = network(images).argmax(1)
    maps = explain(method, network, images, classes)
    scores = deletion_insertion(network, images, classes, maps)
    assert scores["deletion_attribution"] < scores["deletion_random"] - 0.05
    assert scores["insertion_attribution"] > scores["insertion_random"]
    assert scores["faithful"]


def test_the_callback_rejects_unknown_settings():
    with pytest.raises(ValueError, match="method 'cam'"):
        ExplanationGrid(method="cam")
    with pytest.raises(ValueError, match="domain 'test'"):
        ExplanationGrid(domain="test")


def test_the_callback_draws_the_same_validation_images_during_training(tmp_path):
    from tests.conftest import build_cli, config

    cli = build_cli(
        config("source_only/mnist_to_mnistm.yaml"),
        "--trainer.max_epochs=2",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--trainer.logger=false",
        f"--trainer.default_root_dir={tmp_path}",
        "--trainer.callbacks=[]",  # the config's t-SNE plot is not under test
        "--trainer.callbacks+=transferlab.explain.ExplanationGrid",
        "--trainer.callbacks.every_n_epochs=1",
        "--trainer.callbacks.num_images=4",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    callback = next(c for c in cli.trainer.callbacks if isinstance(c, ExplanationGrid))
    assert [p.name for p in callback.written] == ["epoch_1.png", "epoch_2.png"]
    assert all(p.is_file() and p.parent.name == "explanations" for p in callback.written)


def test_the_target_layer_is_found_on_a_timm_backbone_too():
    import timm

    network = nn.Sequential(
        timm.create_model("tf_efficientnet_lite0", num_classes=0), nn.Linear(1280, 3)
    )
    assert target_layer(network.eval(), 64) is network[0].bn2  # the last feature map, activated
    assert explain("gradcam", network, torch.randn(2, 3, 64, 64), torch.tensor([0, 2])).shape == (
        2,
        64,
        64,
    )
