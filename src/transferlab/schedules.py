"""Training-progress schedules from the DANN paper (Ganin et al., 2016, section 5.2.2)."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def dann_lambda(progress: float, gamma: float = 10.0) -> float:
    """Adaptation weight ``2 / (1 + exp(-gamma * p)) - 1``, rising from 0 to ~1.

    Starting at 0 keeps the noisy early discriminator from disturbing the features before
    the classifier has learned anything.
    """
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


class InverseDecayLR(LambdaLR):
    """``lr_p = lr_0 / (1 + alpha * p) ** beta`` with ``p`` = step / total steps.

    Stepped every optimizer step (``interval = "step"``). ``total_steps`` is filled in by
    :class:`transferlab.methods.MethodModule` from the trainer when left as ``None``.
    """

    interval = "step"

    def __init__(
        self,
        optimizer: Optimizer,
        alpha: float = 10.0,
        beta: float = 0.75,
        total_steps: int | None = None,
        last_epoch: int = -1,
    ) -> None:
        self.alpha, self.beta, self.total_steps = alpha, beta, total_steps
        super().__init__(optimizer, self._factor, last_epoch=last_epoch)

    def _factor(self, step: int) -> float:
        progress = min(step / self.total_steps, 1.0) if self.total_steps else 0.0
        return (1.0 + self.alpha * progress) ** -self.beta

    def state_dict(self) -> dict:
        state = super().state_dict()
        state.pop("lr_lambdas", None)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
