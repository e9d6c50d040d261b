"""MAML and first-order MAML for few-shot classification, on ``torch.func``."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from transferlab.methods.meta.base import EpisodicModule
from transferlab.methods.meta.inner_loop import adapt


class MAML(EpisodicModule):
    """Learn an initialisation of backbone + head from which ``inner_steps`` of SGD on a
    task's support set classify its queries well (Finn et al., 2017).

    Every task adapts a copy of the parameters with
    :func:`transferlab.methods.meta.inner_loop.adapt`
    (``torch.func.functional_call`` + ``torch.func.grad``); the outer optimizer updates
    the initialisation from the query losses, through the inner loop (second order) or
    not (``first_order: true``, FOMAML). BatchNorm uses each task's batch statistics at
    adaptation and at evaluation, as in the paper's code. Evaluation adapts too, with
    ``test_inner_steps``.

    Args:
        inner_steps: SGD steps on the support set during meta-training.
        test_inner_steps: SGD steps at validation and test.
        inner_lr: the inner SGD learning rate.
        first_order: FOMAML: drop the second-order terms of the outer gradient.
    """

    def __init__(
        self,
        inner_steps: int = 5,
        test_inner_steps: int = 10,
        inner_lr: float = 0.4,
        first_order: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.head = torch.nn.Linear(self.backbone.num_features, self.num_classes)
        use_batch_statistics(self)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits over the episode's ways: the network whose initialisation is learned."""
        return self.head(self.features(images))

    def task_logits(self, support_x, support_y, query_x) -> torch.Tensor:
        steps = self.hparams.inner_steps if self.trainer.training else self.hparams.test_inner_steps
        params = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        first_order = self.hparams.first_order or not self.trainer.training
        adapted = adapt(
            self,
            params,
            buffers,
            support_x,
            support_y,
            F.cross_entropy,
            steps,
            self.hparams.inner_lr,
            first_order,
        )
        return torch.func.functional_call(self, (adapted, buffers), (query_x,))


def use_batch_statistics(module: torch.nn.Module) -> None:
    """Make every BatchNorm layer normalise with the current batch's statistics, always.

    MAML normalises each task by its own batch; running statistics would also be mutated
    inside ``torch.func.grad``, which it forbids.
    """
    for layer in module.modules():
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
            layer.track_running_stats = False
            layer.running_mean = layer.running_var = layer.num_batches_tracked = None


class SupportSetBaseline(MAML):
    """The no-meta-learning baseline: every test task trains the network *from its random
    initialisation* on the support set alone (``test_inner_steps`` of SGD at ``inner_lr``),
    then classifies the queries. Nothing is learned across tasks, so its config runs
    ``max_epochs: 0``; comparing with MAML shows what the meta-learned initialisation buys.
    """

    def training_step(self, batch: dict, batch_idx: int):
        raise RuntimeError(
            "SupportSetBaseline learns nothing across tasks: run it with trainer.max_epochs=0"
        )
