"""The MAML paper's sinusoid regression: a fast, exact check of a meta-learner.

Each task is ``y = A sin(x - phi)`` with ``A ~ U[0.1, 5]``, ``phi ~ U[0, pi]``,
``x ~ U[-5, 5]``; K support points to adapt on, more query points to score. An
initialisation that has learned the family fits a new sinusoid from 10 points in one
step; a plain one does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import vmap

from transferlab.methods.meta.inner_loop import maml_task_loss


def sinusoid_tasks(
    num_tasks: int, shots: int, queries: int, generator: torch.Generator
) -> tuple[torch.Tensor, ...]:
    """(support_x, support_y, query_x, query_y), each ``num_tasks x points x 1``."""
    amplitude = torch.empty(num_tasks, 1, 1).uniform_(0.1, 5.0, generator=generator)
    phase = torch.empty(num_tasks, 1, 1).uniform_(0.0, math.pi, generator=generator)
    x = torch.empty(num_tasks, shots + queries, 1).uniform_(-5.0, 5.0, generator=generator)
    y = amplitude * torch.sin(x - phase)
    return x[:, :shots], y[:, :shots], x[:, shots:], y[:, shots:]


def sinusoid_mlp() -> nn.Module:
    """The paper's regressor: 1 -> 40 -> 40 -> 1 with ReLU."""
    return nn.Sequential(
        nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1)
    )


@dataclass
class SinusoidResult:
    pre_adaptation_mse: float
    post_adaptation_mse: float


def batched_task_losses(
    model, params, support_x, support_y, query_x, query_y, steps, inner_lr, first_order=False
) -> torch.Tensor:
    """Post-adaptation query MSE of every task, vectorised over tasks with ``vmap``."""

    def one_task(sx, sy, qx, qy):
        return maml_task_loss(
            model, params, {}, sx, sy, qx, qy, F.mse_loss, steps, inner_lr, first_order
        )[0]

    return vmap(one_task)(support_x, support_y, query_x, query_y)


def meta_train_sinusoid(
    meta_steps: int = 300,
    meta_batch: int = 10,
    shots: int = 10,
    inner_steps: int = 1,
    inner_lr: float = 0.01,
    outer_lr: float = 0.001,
    first_order: bool = False,
    seed: int = 0,
) -> tuple[nn.Module, SinusoidResult]:
    """Meta-train on random sinusoids, then measure on 100 new ones before and after one
    adaptation from ``shots`` points."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = sinusoid_mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=outer_lr)
    for _ in range(meta_steps):
        params = dict(model.named_parameters())
        tasks = sinusoid_tasks(meta_batch, shots, shots, generator)
        loss = batched_task_losses(model, params, *tasks, inner_steps, inner_lr, first_order)
        optimizer.zero_grad()
        loss.mean().backward()
        optimizer.step()
    return model, evaluate_sinusoid(model, shots, inner_steps, inner_lr, seed + 1)


def evaluate_sinusoid(model, shots, inner_steps, inner_lr, seed, tasks=100) -> SinusoidResult:
    generator = torch.Generator().manual_seed(seed)
    sx, sy, qx, qy = sinusoid_tasks(tasks, shots, 100, generator)
    params = {k: v.detach() for k, v in model.named_parameters()}
    with torch.no_grad():
        pre = F.mse_loss(vmap(lambda x: torch.func.functional_call(model, params, (x,)))(qx), qy)
    post = batched_task_losses(model, params, sx, sy, qx, qy, inner_steps, inner_lr, True)
    return SinusoidResult(float(pre), float(post.mean()))
