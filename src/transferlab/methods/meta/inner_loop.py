"""MAML (Finn, Abbeel & Levine, ICML 2017) written on ``torch.func``.

The inner loop is a pure function: parameters in, adapted parameters out, with
``torch.func.functional_call`` running the model on any parameter dict. Second-order MAML
keeps the graph of the inner gradient (``create_graph=True``), so the outer gradient flows
through the adaptation; first-order MAML (FOMAML) detaches the inner gradient. No
learn2learn: it no longer builds on current Python, and this is 40 lines.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, grad

Params = dict[str, torch.Tensor]


def adapt(
    model: nn.Module,
    params: Params,
    buffers: Params,
    support_x: torch.Tensor,
    support_y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    steps: int,
    inner_lr: float,
    first_order: bool = False,
) -> Params:
    """``steps`` of gradient descent on the support set, from ``params``.

    Uses ``torch.func.grad``, so it can be ``vmap``-ed over a batch of tasks. Returns the
    adapted parameters; second order, they stay differentiable with respect to ``params``
    through every inner step; first order, each inner gradient is a constant, so the
    Jacobian of the adapted parameters is the identity.
    """

    def support_loss(current: Params) -> torch.Tensor:
        return loss_fn(functional_call(model, (current, buffers), (support_x,)), support_y)

    for _ in range(steps):
        grads = grad(support_loss)(params)
        params = {
            name: value - inner_lr * (grads[name].detach() if first_order else grads[name])
            for name, value in params.items()
        }
    return params


def maml_task_loss(
    model: nn.Module,
    params: Params,
    buffers: Params,
    support_x: torch.Tensor,
    support_y: torch.Tensor,
    query_x: torch.Tensor,
    query_y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    steps: int,
    inner_lr: float,
    first_order: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Adapt on the support set; return the query loss and predictions after adaptation."""
    adapted = adapt(
        model, params, buffers, support_x, support_y, loss_fn, steps, inner_lr, first_order
    )
    predictions = functional_call(model, (adapted, buffers), (query_x,))
    return loss_fn(predictions, query_y), predictions
