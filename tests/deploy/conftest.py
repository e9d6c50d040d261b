"""A trained digit CNN (the session's shared 3-epoch source-only run) and its test images."""

import pytest
import torch

from transferlab.data import DigitDomains
from transferlab.deploy.network import load_network


@pytest.fixture(scope="module")
def trained(source_only_mnist_to_mnistm):
    """``(network, info, checkpoint path)`` of the shared source-only run."""
    path = source_only_mnist_to_mnistm.checkpoint_path
    network, info = load_network(path)
    return network, info, path


@pytest.fixture(scope="module")
def digits():
    """MNIST -> MNIST-M as in the configs: 500 source test images, 256 calibration ones."""
    data = DigitDomains(source="mnist", target="mnistm", batch_size=128, num_workers=0)
    data.setup("fit")
    test = list(data.eval_dataloader("source", "test"))[:4]
    calibration = [b for b, _ in zip(data.eval_dataloader("target", "train", False), range(2))]
    return {"test": test, "calibration": calibration, "images": torch.cat([b[0] for b in test])}
