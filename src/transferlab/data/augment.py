"""Batched image augmentations for semi- and self-supervised views.

Applied to whole batches after they reach the device (``on_after_batch_transfer``), not
per image in the DataLoader: a per-image torchvision RandAugment costs milliseconds per
28-px digit on a CPU, a batched affine warp and colour jitter cost about that per batch.
Every function takes and returns images in [0, 1]; :class:`ViewMaker` handles the
normalisation around them. Randomness comes from torch's global RNG, which
``seed_everything`` seeds and checkpoints carry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F

ViewKind = Literal["identity", "weak", "strong", "contrastive"]


def _uniform(batch: int, low: float, high: float, device) -> torch.Tensor:
    return torch.empty(batch, device=device).uniform_(low, high)


def random_affine(
    images: torch.Tensor,
    translate: float = 0.0,
    degrees: float = 0.0,
    scale: tuple[float, float] = (1.0, 1.0),
    shear: float = 0.0,
    flip: bool = False,
) -> torch.Tensor:
    """One random affine warp per image: shift (fraction of the side), rotation, zoom,
    shear and optional horizontal flip; borders are repeated."""
    n, device = len(images), images.device
    angle = _uniform(n, -degrees, degrees, device) * math.pi / 180
    zoom = _uniform(n, *scale, device)
    shear_x = _uniform(n, -shear, shear, device)
    mirror = torch.where(torch.rand(n, device=device) < 0.5, -1.0, 1.0) if flip else 1.0
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = cos * mirror
    theta[:, 0, 1] = -sin + shear_x * cos
    theta[:, 1, 0] = sin * mirror
    theta[:, 1, 1] = cos
    theta[:, :, 2] = _uniform(2 * n, -2 * translate, 2 * translate, device).view(n, 2)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, padding_mode="border", align_corners=False)


def color_jitter(
    images: torch.Tensor,
    brightness: float = 0.0,
    contrast: float = 0.0,
    saturation: float = 0.0,
    probability: float = 1.0,
) -> torch.Tensor:
    """Per-image brightness, contrast and saturation factors in ``[1 - s, 1 + s]``."""
    n, device = len(images), images.device
    apply = (torch.rand(n, 1, 1, 1, device=device) < probability).float()

    def factor(strength: float) -> torch.Tensor:
        value = _uniform(n, 1 - strength, 1 + strength, device).view(n, 1, 1, 1)
        return apply * value + (1 - apply)

    out = images * factor(brightness)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * factor(contrast) + mean
    gray = out.mean(dim=1, keepdim=True)
    out = (out - gray) * factor(saturation) + gray
    return out.clamp(0, 1)


def random_grayscale(images: torch.Tensor, probability: float) -> torch.Tensor:
    pick = torch.rand(len(images), 1, 1, 1, device=images.device) < probability
    return torch.where(pick, images.mean(dim=1, keepdim=True).expand_as(images), images)


def random_invert(images: torch.Tensor, probability: float) -> torch.Tensor:
    pick = torch.rand(len(images), 1, 1, 1, device=images.device) < probability
    return torch.where(pick, 1 - images, images)


def cutout(images: torch.Tensor, size: float) -> torch.Tensor:
    """Blank one random square of ``size`` x side per image (to grey)."""
    n, _, height, width = images.shape
    side = max(1, round(size * min(height, width)))
    top = torch.randint(0, height - side + 1, (n, 1, 1), device=images.device)
    left = torch.randint(0, width - side + 1, (n, 1, 1), device=images.device)
    rows = torch.arange(height, device=images.device).view(1, -1, 1)
    cols = torch.arange(width, device=images.device).view(1, 1, -1)
    inside = (rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)
    return images.masked_fill(inside.unsqueeze(1), 0.5)


def weak_view(images: torch.Tensor, flip: bool = False) -> torch.Tensor:
    """FixMatch's weak view: a shift of up to 12.5 % (and a flip for natural images)."""
    return random_affine(images, translate=0.125, flip=flip)


def strong_view(images: torch.Tensor, flip: bool = False) -> torch.Tensor:
    """A RandAugment-like strong view: a large random warp, strong colour changes,
    occasional inversion, and cutout (FixMatch's recipe, batched)."""
    images = random_affine(
        images, translate=0.2, degrees=30, scale=(0.75, 1.15), shear=0.3, flip=flip
    )
    images = color_jitter(images, brightness=0.5, contrast=0.5, saturation=0.8)
    images = random_invert(images, 0.2)
    return cutout(images, 0.4)


def contrastive_view(images: torch.Tensor, flip: bool = False) -> torch.Tensor:
    """SimCLR's view: random resized crop, colour jitter (p=0.8), grayscale (p=0.2)."""
    images = random_affine(images, translate=0.15, degrees=15, scale=(1.0, 1.8), flip=flip)
    images = color_jitter(images, 0.4, 0.4, 0.4, probability=0.8)
    return random_grayscale(images, 0.2)


VIEWS = {
    "identity": lambda images, flip=False: images,
    "weak": weak_view,
    "strong": strong_view,
    "contrastive": contrastive_view,
}


class ViewMaker:
    """Turns a normalised batch into views of the given kinds, normalised again."""

    def __init__(
        self,
        mean: Sequence[float],
        std: Sequence[float],
        flip: bool = False,
    ) -> None:
        self.mean = torch.tensor(mean).view(1, -1, 1, 1)
        self.std = torch.tensor(std).view(1, -1, 1, 1)
        self.flip = flip

    def __call__(self, images: torch.Tensor, kind: ViewKind) -> torch.Tensor:
        if kind not in VIEWS:
            raise ValueError(f"unknown view {kind!r}; choose one of {sorted(VIEWS)}")
        mean, std = self.mean.to(images.device), self.std.to(images.device)
        raw = (images * std + mean).clamp(0, 1)
        return (VIEWS[kind](raw, flip=self.flip) - mean) / std
