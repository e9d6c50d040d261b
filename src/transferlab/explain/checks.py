"""Is an explanation about the model? Two checks from the literature.

* **Model randomisation** (Adebayo et al., 2018, "Sanity checks for saliency maps"): the
  maps of the same network with re-initialised weights must differ clearly from the
  trained network's. A method whose maps barely change explains the image (edges,
  bright strokes), not what the model learned. Measured as the mean Spearman rank
  correlation of the two maps per image; it passes below ``threshold``.
* **Deletion / insertion** (Petsiuk et al., 2018, RISE): remove the most-attributed pixels
  first and the class probability must fall faster than when removing pixels in random
  order (lower area under the deletion curve); add them to a blank image first and it must
  rise faster (higher area under the insertion curve). "Removed" means set to 0, the mean
  colour after normalisation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from transferlab.evaluation.inference import outputs_of

Explainer = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def randomized_copy(network: nn.Module, seed: int = 0) -> nn.Module:
    """The network with every layer re-initialised (BatchNorm statistics reset too)."""
    torch.manual_seed(seed)
    copied = copy.deepcopy(network)
    for module in copied.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
        if hasattr(module, "reset_running_stats"):
            module.reset_running_stats()
    return copied.eval()


def rank_correlation(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Spearman correlation of two maps per image (``(N, H, W)`` -> ``(N,)``)."""

    def ranks(maps: torch.Tensor) -> torch.Tensor:
        flat = maps.flatten(1).float()
        return flat.argsort(1).argsort(1).float()

    a, b = ranks(first), ranks(second)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)


def randomization_check(
    explainer: Explainer,
    network: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    threshold: float = 0.5,
) -> dict:
    """Maps of the trained and of a randomised network for the same images and classes;
    ``passed`` when their mean rank correlation is below ``threshold``. The absolute value
    of each map is compared, as Adebayo et al. do, so a sign flip does not count as change."""
    trained = explainer(network, images, classes)
    randomized = explainer(randomized_copy(network), images, classes)
    correlation = rank_correlation(trained.abs(), randomized.abs())
    correlation = torch.nan_to_num(correlation, nan=1.0)  # two constant maps: no change
    mean = float(correlation.mean())
    return {"rank_correlation": mean, "threshold": threshold, "passed": mean < threshold}


@torch.no_grad()
def perturbation_curve(
    network: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    order: torch.Tensor,
    insert: bool,
    steps: int = 20,
) -> torch.Tensor:
    """The class probability as pixels are removed from the image (``insert=False``) or
    added to a blank one (``insert=True``) in ``order`` (``(N, H*W)``, first = first
    touched), after each of ``steps`` equal chunks: ``(N, steps + 1)``."""
    count = order.shape[1]
    curve = []
    for step in range(steps + 1):
        touched = torch.zeros(order.shape, dtype=torch.bool)
        touched.scatter_(1, order[:, : round(count * step / steps)], True)
        keep = ~touched if not insert else touched
        masked = images * keep.view(len(images), 1, *images.shape[-2:]).to(images.dtype)
        probabilities = outputs_of(network, masked, ("probabilities",))["probabilities"]
        curve.append(probabilities.gather(1, classes[:, None])[:, 0])
    return torch.stack(curve, dim=1)


def deletion_insertion(
    network: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    maps: torch.Tensor,
    steps: int = 20,
    seed: int = 0,
) -> dict:
    """Areas under the deletion and insertion curves in attribution order and in random
    order (mean over images; lower deletion and higher insertion are more faithful)."""
    network.eval()
    classes = torch.as_tensor(classes)
    by_attribution = maps.flatten(1).argsort(dim=1, descending=True)
    generator = torch.Generator().manual_seed(seed)
    at_random = torch.stack(
        [torch.randperm(by_attribution.shape[1], generator=generator) for _ in range(len(maps))]
    )
    scores = {}
    for name, order in (("attribution", by_attribution), ("random", at_random)):
        for kind, insert in (("deletion", False), ("insertion", True)):
            curve = perturbation_curve(network, images, classes, order, insert, steps)
            scores[f"{kind}_{name}"] = float(torch.trapezoid(curve, dx=1 / steps, dim=1).mean())
    scores["faithful"] = (
        scores["deletion_attribution"] < scores["deletion_random"]
        and scores["insertion_attribution"] > scores["insertion_random"]
    )
    return scores
