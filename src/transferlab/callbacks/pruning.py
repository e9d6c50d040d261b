"""Global magnitude pruning while fine-tuning, on Lightning's ``ModelPruning``."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import ModelPruning

from transferlab.callbacks.checkpoint import SelectionCheckpoint
from transferlab.evaluation.model_size import prunable_layers, weight_sparsity


class GlobalMagnitudePruning(ModelPruning):
    """Prune the smallest weights of the whole network, in steps, to a target sparsity.

    ``ModelPruning`` has three traps that this subclass closes:

    * each pruning call removes a share of the weights that are *left*, so pruning 50%
      three times leaves 12.5%, not 0%: here ``sparsity`` is the final share of zeros and
      each of the ``pruning_epochs`` steps prunes ``1 - (1 - sparsity) ** (1 / steps)`` of
      what remains, so that the steps compound to exactly the target;
    * its lottery-ticket reset (rewind the surviving weights to their initial values) is on
      by default; here it is off unless ``lottery_ticket`` asks for it, since it undoes the
      fine-tuning this callback is for;
    * it prunes at the *end* of an epoch, after that epoch's validation, so the best
      checkpoint could be a less sparse model. Here pruning happens at the start of epochs
      ``0 .. pruning_epochs - 1`` and the run's :class:`SelectionCheckpoint` only selects
      among epochs at the final sparsity.

    Only convolution and linear weights of the network that classifies (``backbone`` and
    ``head``) are pruned; the measured sparsity is logged as ``val/sparsity``.

    Args:
        sparsity: share of those weights that are zero at the end, in (0, 1).
        pruning_epochs: number of pruning steps, one per epoch from the first.
        lottery_ticket: rewind surviving weights to their values at the start of the run.
    """

    def __init__(
        self, sparsity: float = 0.9, pruning_epochs: int = 3, lottery_ticket: bool = False
    ) -> None:
        if not 0 < sparsity < 1:
            raise ValueError(f"sparsity must be in (0, 1), got {sparsity}")
        if pruning_epochs < 1:
            raise ValueError(f"pruning_epochs must be at least 1, got {pruning_epochs}")
        self.sparsity, self.pruning_epochs = sparsity, pruning_epochs
        super().__init__(
            pruning_fn="l1_unstructured",
            use_global_unstructured=True,
            amount=self.amount_at_epoch,
            use_lottery_ticket_hypothesis=lottery_ticket,
            make_pruning_permanent=True,
            prune_on_train_epoch_end=False,
        )

    def amount_at_epoch(self, epoch: int) -> float:
        """Share of the remaining weights to prune at the start of ``epoch``."""
        if epoch >= self.pruning_epochs:
            return 0.0
        return 1 - (1 - self.sparsity) ** (1 / self.pruning_epochs)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        epochs = trainer.max_epochs
        if stage == "fit" and epochs is not None and 0 <= epochs < self.pruning_epochs:
            raise ValueError(
                f"pruning_epochs={self.pruning_epochs} but trainer.max_epochs={epochs}: the "
                "run would end before the target sparsity"
            )
        self._parameters_to_prune = [
            (layer, "weight")
            for part in (pl_module.backbone, pl_module.head)
            for _, layer in prunable_layers(part)
        ]
        super().setup(trainer, pl_module, stage)
        for callback in trainer.checkpoint_callbacks:
            if isinstance(callback, SelectionCheckpoint):
                callback.from_epoch = max(callback.from_epoch, self.pruning_epochs - 1)

    def sparsity_after(self, epoch: int) -> float:
        """Share of zeros once the pruning step of ``epoch`` is done."""
        steps = min(epoch + 1, self.pruning_epochs)
        return 1 - (1 - self.sparsity) ** (steps / self.pruning_epochs)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = pl_module.current_epoch
        masked = any(hasattr(layer, "weight_mask") for layer, _ in self._parameters_to_prune)
        if epoch > 0 and not masked:
            # resumed from a checkpoint: it kept the zeros but not the masks, so mask them
            # again (the zeros are the smallest weights) or fine-tuning would regrow them
            self.apply_pruning(self.sparsity_after(epoch))
        else:
            self._run_pruning(epoch)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Log the sparsity of the weights as they are (masked) at this validation."""
        if not trainer.sanity_checking:
            pl_module.log("val/sparsity", weight_sparsity(pl_module.backbone, pl_module.head))
