"""Where a classifier looks: Grad-CAM, LIME and SHAP maps, all from captum.

Every function takes a network that maps normalised images ``(N, C, H, W)`` to logits and
returns one map per image, ``(N, H, W)``, at the input's resolution; larger means "more
evidence for the explained class". The implementations are captum's
(``LayerGradCam``, ``Lime``, ``GradientShap``); this module only picks the layer, the
super-pixels and the baselines, and brings the maps to one shape.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from captum._utils.models.linear_model import SkLearnRidge
from captum.attr import GradientShap, LayerAttribution, LayerGradCam, Lime
from captum.attr._core.lime import get_exp_kernel_similarity_function
from skimage.segmentation import slic
from torch import nn

from transferlab.evaluation.inference import outputs_of
from transferlab.registry import Registry

# a pooled copy of the last feature maps is not where the network "looks"
RESIZING = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def spatial_layers(network: nn.Module, image_size: int, channels: int = 3) -> list[str]:
    """Names of the modules whose output is a spatial map (N, C, h, w) with h, w > 1, in
    the order the forward pass runs them (adaptive pooling left out): the candidates for
    Grad-CAM's target layer."""
    found: list[str] = []
    hooks = [
        module.register_forward_hook(
            lambda _m, _i, out, name=name: (
                found.append(name)
                if isinstance(out, torch.Tensor) and out.ndim == 4 and min(out.shape[-2:]) > 1
                else None
            )
        )
        for name, module in network.named_modules()
        if name and not isinstance(module, (nn.Sequential, *RESIZING))
    ]
    was_training = network.training
    network.eval()
    try:
        with torch.no_grad():
            network(torch.zeros(1, channels, image_size, image_size))
    finally:
        for hook in hooks:
            hook.remove()
        network.train(was_training)
    return list(dict.fromkeys(found))


def target_layer(network: nn.Module, image_size: int, name: str | None = None) -> nn.Module:
    """The last spatial layer (the default of Grad-CAM), or the one named; a wrong name is
    an error that lists the candidates."""
    candidates = spatial_layers(network, image_size)
    if not candidates:
        raise ValueError("the network has no layer with a spatial output for Grad-CAM")
    chosen = name or candidates[-1]
    if chosen not in candidates:
        raise ValueError(f"no spatial layer named {chosen!r}; candidates: {', '.join(candidates)}")
    return dict(network.named_modules())[chosen]


def gradcam(
    network: nn.Module, images: torch.Tensor, classes: torch.Tensor, layer: str | None = None
) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017): class-score gradients averaged per channel weigh
    the layer's maps, ReLU, bilinear up-sampling onto the image."""
    module = target_layer(network, images.shape[-1], layer)
    cam = LayerGradCam(network, module).attribute(images, target=classes, relu_attributions=True)
    cam = LayerAttribution.interpolate(cam, tuple(images.shape[-2:]), interpolate_mode="bilinear")
    return cam[:, 0].detach()


def superpixels(images: torch.Tensor, segments: int = 40) -> torch.Tensor:
    """SLIC super-pixels per image (``(N, 1, H, W)`` integer labels from 0): the
    interpretable features LIME and KernelSHAP switch on and off."""
    masks = []
    for image in images:
        pixels = image.permute(1, 2, 0).cpu().numpy().astype(np.float64)
        pixels = (pixels - pixels.min()) / max(float(np.ptp(pixels)), 1e-6)
        labels = slic(pixels, n_segments=segments, compactness=10, start_label=0)
        masks.append(torch.from_numpy(labels))
    return torch.stack(masks)[:, None].long()


def lime(
    network: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    samples: int = 200,
    segments: int = 40,
    seed: int = 0,
) -> torch.Tensor:
    """LIME (Ribeiro et al. 2016): a ridge model fitted to the class probability over random
    on/off patterns of super-pixels (off = the mean colour, 0 after normalisation), weighted
    by their closeness to the whole image; a super-pixel's coefficient is its score."""
    explainer = Lime(
        _probability(network),
        interpretable_model=SkLearnRidge(alpha=1.0),
        similarity_func=get_exp_kernel_similarity_function("cosine", kernel_width=0.25),
    )
    maps = []
    masks = superpixels(images, segments)
    for index in range(len(images)):
        torch.manual_seed(seed + index)
        attribution = explainer.attribute(
            images[index : index + 1],
            target=classes[index : index + 1],
            feature_mask=masks[index : index + 1].expand_as(images[index : index + 1]),
            n_samples=samples,
            perturbations_per_eval=samples,
        )
        maps.append(attribution[0, 0].detach())
    return torch.stack(maps)


def shap(
    network: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    samples: int = 32,
    seed: int = 0,
) -> torch.Tensor:
    """GradientSHAP (Lundberg & Lee 2017): expected gradients x (input - baseline) over
    baselines between the mean image (0) and noisy copies of it, summed over colour
    channels; approximates the Shapley values of the pixels."""
    torch.manual_seed(seed)
    baselines = torch.zeros_like(images[:1]).repeat(4, 1, 1, 1)
    attribution = GradientShap(network).attribute(
        images, baselines=baselines, target=classes, n_samples=samples, stdevs=0.1
    )
    return attribution.sum(1).detach()


# every explanation method by name: (network, images, classes, **options) -> maps
EXPLAINERS = Registry("explanation method")
EXPLAINERS.add("gradcam", gradcam)
EXPLAINERS.add("lime", lime)
EXPLAINERS.add("shap", shap)


def explain(method: str, network: nn.Module, images: torch.Tensor, classes, **options):
    """The maps of ``method`` (a name of :data:`EXPLAINERS`) for ``classes``."""
    explainer = EXPLAINERS.get(method)  # an unknown name is refused with the known ones
    network.eval()
    return explainer(network, images, torch.as_tensor(classes), **options)


def _probability(network: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    def forward(images: torch.Tensor) -> torch.Tensor:
        return outputs_of(network, images, ("probabilities",))["probabilities"]

    return forward
