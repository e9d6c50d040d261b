"""The checkpoint callback behind the CLI's ``checkpoint`` section."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint


class SelectionCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` whose ``last.ckpt`` always holds the latest epoch's weights.

    Lightning writes ``last.ckpt`` only when it also saves a top-k checkpoint, so with a
    monitored score ``last.ckpt`` silently holds the last *best* epoch: resuming or
    deploying "last" would use old weights. Here ``last.ckpt`` is rewritten at every point
    where Lightning considers saving (each epoch end or validation) and at the end of
    training, whether or not the score improved; the selected checkpoint stays
    ``best-epoch=<n>.ckpt``.

    ``from_epoch`` keeps epochs before it out of the selection (``last.ckpt`` is still
    written): a pruning run raises it so that only models at the final sparsity compete.

    A run resumed from ``last.ckpt`` writes into a folder of its own; it keeps competing
    against the epochs the interrupted run already scored (Lightning forgets them when the
    folder changes), so its selected checkpoint is the one an unbroken run would select.
    """

    def __init__(self, *args, from_epoch: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.from_epoch = from_epoch

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if state_dict.get("dirpath", self.dirpath) == self.dirpath:
            super().load_state_dict(state_dict)
            return
        self.best_model_score = state_dict["best_model_score"]
        self.best_model_path = state_dict["best_model_path"]
        self.best_k_models = state_dict.get("best_k_models", self.best_k_models)
        self.kth_best_model_path = state_dict.get("kth_best_model_path", self.kth_best_model_path)
        self.kth_value = state_dict.get("kth_value", self.kth_value)

    def _save_topk_checkpoint(self, trainer: L.Trainer, monitor_candidates: dict) -> None:
        if trainer.current_epoch >= self.from_epoch:
            super()._save_topk_checkpoint(trainer, monitor_candidates)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self._should_save_on_train_epoch_end(trainer):
            self._refresh_last(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_save_on_train_epoch_end(trainer):
            self._refresh_last(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        self._refresh_last(trainer)

    def _refresh_last(self, trainer: L.Trainer) -> None:
        """Called after the parent's own save in the same hook, never before it: a save
        here marks the step as saved, which would make the parent skip its top-k save."""
        if self.save_last and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
