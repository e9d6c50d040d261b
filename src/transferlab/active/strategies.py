"""Query strategies: ``(scores or features, budget, labeled) -> indices`` into the pool.

``labeled`` is a boolean mask over the pool (or the indices already labeled); no strategy
ever returns a labeled index or the same index twice. Uncertainty sampling scores each
image alone (least confident, margin, entropy; BALD on Monte-Carlo dropout passes, Houlsby
et al. 2011 / Gal et al. 2017); representative sampling covers the pool (core-set: k-center
greedy, Sener & Savarese 2018); BADGE (Ash et al. 2020) does both, with k-means++ seeding
on gradient embeddings.
"""

from __future__ import annotations

import torch

from transferlab.registry import Registry

EPSILON = 1e-12


def labeled_mask(labeled: torch.Tensor, pool_size: int) -> torch.Tensor:
    """A boolean mask over the pool from a mask or from labeled indices."""
    labeled = torch.as_tensor(labeled)
    if labeled.dtype == torch.bool:
        if len(labeled) != pool_size:
            raise ValueError(f"labeled mask has {len(labeled)} entries for a pool of {pool_size}")
        return labeled
    mask = torch.zeros(pool_size, dtype=torch.bool)
    mask[labeled.long()] = True
    return mask


def _check_budget(budget: int, mask: torch.Tensor) -> None:
    available = int((~mask).sum())
    if not 0 < budget <= available:
        raise ValueError(f"budget {budget} but {available} unlabeled images are left")


def top_unlabeled(scores: torch.Tensor, budget: int, labeled: torch.Tensor) -> torch.Tensor:
    """The ``budget`` unlabeled indices with the highest ``scores``."""
    mask = labeled_mask(labeled, len(scores))
    _check_budget(budget, mask)
    return scores.float().masked_fill(mask, float("-inf")).topk(budget).indices


def random_query(
    pool_size: int, budget: int, labeled: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The baseline every strategy must beat: unlabeled images drawn uniformly."""
    mask = labeled_mask(labeled, pool_size)
    _check_budget(budget, mask)
    candidates = (~mask).nonzero().squeeze(1)
    return candidates[torch.randperm(len(candidates), generator=generator)[:budget]]


def least_confident(probabilities: torch.Tensor, budget: int, labeled) -> torch.Tensor:
    """Lowest top-class probability first."""
    return top_unlabeled(1 - probabilities.max(dim=1).values, budget, labeled)


def margin(probabilities: torch.Tensor, budget: int, labeled) -> torch.Tensor:
    """Smallest gap between the two most probable classes first."""
    top_two = probabilities.topk(2, dim=1).values
    return top_unlabeled(-(top_two[:, 0] - top_two[:, 1]), budget, labeled)


def _entropy(probabilities: torch.Tensor) -> torch.Tensor:
    return -(probabilities * probabilities.clamp_min(EPSILON).log()).sum(dim=-1)


def entropy(probabilities: torch.Tensor, budget: int, labeled) -> torch.Tensor:
    """Highest predictive entropy first."""
    return top_unlabeled(_entropy(probabilities), budget, labeled)


def bald(mc_probabilities: torch.Tensor, budget: int, labeled) -> torch.Tensor:
    """Highest mutual information between the prediction and the weights first.

    ``mc_probabilities`` is ``(passes, pool, classes)``: one softmax per dropout pass.
    BALD = H(mean over passes) - mean over passes of H: high when the passes disagree, zero
    when every pass says the same, however uncertain that is (noise in the image, not a
    gap in the model's knowledge).
    """
    if mc_probabilities.dim() != 3:
        raise ValueError("BALD needs (passes, pool, classes) probabilities from dropout passes")
    information = _entropy(mc_probabilities.mean(dim=0)) - _entropy(mc_probabilities).mean(dim=0)
    return top_unlabeled(information, budget, labeled)


def _distance_to(points: torch.Tensor, index: int) -> torch.Tensor:
    return torch.cdist(points, points[index : index + 1]).squeeze(1)


def core_set(features: torch.Tensor, budget: int, labeled) -> torch.Tensor:
    """k-center greedy: repeatedly pick the unlabeled point farthest from everything
    labeled or picked so far, so the batch covers the pool. With nothing labeled (a cold
    start) the first pick is the point nearest the pool's mean."""
    features = features.float()
    mask = labeled_mask(labeled, len(features)).clone()
    _check_budget(budget, mask)
    picked: list[int] = []
    if mask.any():
        distance = torch.cdist(features, features[mask]).min(dim=1).values
    else:
        first = int(torch.cdist(features, features.mean(0, keepdim=True)).squeeze(1).argmin())
        picked.append(first)
        mask[first] = True
        distance = _distance_to(features, first)
    while len(picked) < budget:
        index = int(distance.masked_fill(mask, float("-inf")).argmax())
        picked.append(index)
        mask[index] = True
        distance = torch.minimum(distance, _distance_to(features, index))
    return torch.tensor(picked, dtype=torch.long)


def badge_embeddings(probabilities: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The gradient of the cross-entropy w.r.t. the last linear layer, taking the predicted
    class as the label: ``(p - onehot(argmax p)) ⊗ features``, one row per image. Its norm
    is the model's uncertainty; its direction says what the image would teach."""
    residual = probabilities.float().clone()
    residual[torch.arange(len(residual)), residual.argmax(dim=1)] -= 1
    return (residual[:, :, None] * features.float()[:, None, :]).flatten(1)


def badge(
    embeddings: torch.Tensor,
    budget: int,
    labeled,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """k-means++ seeding on gradient embeddings: each pick is drawn with probability
    proportional to its squared distance from the picks so far (the first: the largest
    gradient), so the batch is both uncertain and diverse."""
    mask = labeled_mask(labeled, len(embeddings)).clone()
    _check_budget(budget, mask)
    embeddings = embeddings.float()
    first = int(embeddings.norm(dim=1).masked_fill(mask, float("-inf")).argmax())
    picked, mask[first] = [first], True
    distance = _distance_to(embeddings, first) ** 2
    while len(picked) < budget:
        weights = distance.masked_fill(mask, 0)
        if weights.sum() <= 0:  # every unlabeled point coincides with a pick
            weights = (~mask).float()
        index = int(torch.multinomial(weights, 1, generator=generator))
        picked.append(index)
        mask[index] = True
        distance = torch.minimum(distance, _distance_to(embeddings, index) ** 2)
    return torch.tensor(picked, dtype=torch.long)


def _random(budget: int, labeled: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return random_query(len(labeled), budget, labeled, generator)


def _badge(probabilities, features, budget: int, labeled, generator) -> torch.Tensor:
    return badge(badge_embeddings(probabilities, features), budget, labeled, generator)


# Every strategy by name, with what it reads about the pool (``needs``: what the loop must
# score, passed first in that order) and whether it draws at random (``draws``: it then
# takes the round's generator last).
STRATEGIES = Registry("strategy")
STRATEGIES.add("random", _random, needs=(), draws=True)
STRATEGIES.add("least_confident", least_confident, needs=("probabilities",), draws=False)
STRATEGIES.add("margin", margin, needs=("probabilities",), draws=False)
STRATEGIES.add("entropy", entropy, needs=("probabilities",), draws=False)
STRATEGIES.add("bald", bald, needs=("passes",), draws=False)
STRATEGIES.add("core_set", core_set, needs=("features",), draws=False)
STRATEGIES.add("badge", _badge, needs=("probabilities", "features"), draws=True)


def query(name: str, scores: dict, budget: int, labeled: torch.Tensor, seed: int):
    """The pool indices strategy ``name`` picks from ``scores`` (what it ``needs``)."""
    strategy = STRATEGIES.entry(name)
    generator = [torch.Generator().manual_seed(seed)] if strategy.draws else []
    inputs = [scores[need] for need in strategy.needs]
    return strategy.target(*inputs, budget, labeled, *generator)
