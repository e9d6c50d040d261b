"""Other libraries' DANN inside our run, as benchmark kinds: ``peer_dann_dalib`` and
``peer_dann_pytorch_adapt``.

Everything but the domain-adversarial part is the run ``transferlab``'s DANN makes from
the same config: data splits, network, batches, steps, optimizer and learning-rate
schedule, checkpoint selection and test. The discriminator, the gradient reversal (with
its own schedule) and the domain loss are the peer's, called through its public API:

* ``dalib`` 0.2 (Transfer-Learning-Library as first released): ``DomainDiscriminator``
  inside ``DomainAdversarialLoss``, whose warm-start reversal coefficient rises from 0 to
  1 over its default 1,000 iterations. Its reversal layer calls ``np.float``, an alias
  NumPy removed in 1.24; the kind puts the alias (the builtin ``float``) back;
* ``pytorch-adapt`` 0.0.83: ``DANNHook`` with its ``Discriminator``, which computes the
  classification and domain losses and steps the optimizer itself (constant reversal
  weight 1, its default).

Install them with ``make peers`` (``pip install -e .[peers]``, then pytorch-adapt with
``--no-deps``: it pins ``torchmetrics==0.9.3``, which Lightning's torchmetrics would be
downgraded to; it runs with ours). Nothing else needs them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from transferlab.commands.bench.runner import KINDS, train
from transferlab.commands.bench.spec import Run, Spec


def with_dalib(model) -> None:
    from dalib.adaptation.dann import DomainAdversarialLoss
    from dalib.modules.domain_discriminator import DomainDiscriminator

    if not hasattr(np, "float"):
        np.float = float  # removed from NumPy in 1.24; dalib 0.2's reversal layer calls it
    width, hidden = model.backbone.num_features, model.hparams.discriminator_hidden
    domain_loss = DomainAdversarialLoss(DomainDiscriminator(width, hidden))
    model.discriminator = domain_loss  # its parameters join the optimizer's head group

    def adaptation_loss(source_features, target_features, source_logits, target_logits):
        loss = domain_loss(source_features, target_features)
        return loss, {"domain_acc": domain_loss.domain_discriminator_accuracy / 100}

    model.adaptation_loss = adaptation_loss


class Features(nn.Module):
    """pytorch-adapt's ``G``: the model's pooled features, without owning the model."""

    def __init__(self, model) -> None:
        super().__init__()
        self.features = model.features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)


def with_pytorch_adapt(model) -> None:
    from pytorch_adapt.hooks import DANNHook
    from pytorch_adapt.models import Discriminator

    width, hidden = model.backbone.num_features, model.hparams.discriminator_hidden
    model.discriminator = Discriminator(in_size=width, h=hidden)
    model.automatic_optimization = False  # the hook steps the optimizer
    generator, hooks = Features(model), []

    def training_step(batch, batch_idx):
        if not hooks:  # Lightning's optimizer wrapper: its step() counts the global step
            hooks.append(DANNHook(opts=[model.optimizers()]))
        (source, labels), target = batch["source"], model.target_images(batch)
        inputs = {
            "G": generator,
            "C": model.head,
            "D": model.discriminator,
            "src_imgs": source,
            "src_labels": labels,
            "target_imgs": target,
            "src_domain": torch.zeros(len(source), device=source.device),
            "target_domain": torch.ones(len(target), device=target.device),
        }
        _, losses = hooks[0](inputs)
        scheduler = model.lr_schedulers()
        if scheduler is not None:
            scheduler.step()
        model.log_dict({f"train/{k}": float(v) for k, v in losses["total_loss"].items()})

    model.training_step = training_step


@KINDS.register("peer_dann_dalib")
def dalib(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    return train(spec, run, overrides, folder, prepare=lambda cli: with_dalib(cli.model))


@KINDS.register("peer_dann_pytorch_adapt")
def pytorch_adapt(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    return train(spec, run, overrides, folder, prepare=lambda cli: with_pytorch_adapt(cli.model))
