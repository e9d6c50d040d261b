"""A spec's ``curve``: a run's test accuracy after every epoch, and what each selection
protocol would have picked by then -- a learning curve that shows whether a budget
stopped a method early. Any kind that trains through ``runner.train`` records it, so a
peer library's DANN gets the same curve as ours.

After each validation the target test split is scored (for the record only: nothing reads
it during training or selection), beside the epoch's source-validation score and, with
the spec's ``oracle``, its target-validation accuracy. The renderer turns the epochs of
each row into "by epoch e, the checkpoint source validation would have chosen scores x
on the target test split" (label-free) and the same for target validation (oracle), and
draws them.
"""

from __future__ import annotations

import itertools

import lightning as L
from lightning.pytorch.trainer.states import TrainerFn

from transferlab.evaluation.inference import accuracy


class EpochTestAccuracy(L.Callback):
    """Records, per epoch, the validation scores and the target test accuracy; the record
    travels in the checkpoint, so a resumed run's curve starts at its first epoch.

    ``curve`` is the record as the fit ended. Lightning restores every callback's state
    from the checkpoint it tests, so after the selected (not the last) epoch's checkpoint
    is tested, ``epochs`` holds the curve only up to that epoch."""

    def __init__(self) -> None:
        self.epochs: list[dict] = []
        self.curve: list[dict] = []

    def state_dict(self) -> dict:
        return {"epochs": self.epochs}

    def load_state_dict(self, state_dict: dict) -> None:
        self.epochs = list(state_dict["epochs"])

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.curve = list(self.epochs)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """After the module has logged its epoch's scores (as the checkpoint reads them);
        only while fitting (a validation pass after the fit is not an epoch)."""
        if trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:
            return
        loader = trainer.datamodule.eval_loaders("test")["target"]
        metrics = trainer.callback_metrics
        training = pl_module.training
        pl_module.eval()
        batches = tested_batches(trainer, loader)  # none: the run tests nothing either
        test_accuracy = accuracy(pl_module, itertools.islice(loader, batches)) if batches else None
        pl_module.train(training)
        self.epochs.append(
            {
                "epoch": trainer.current_epoch,
                "select_score": float(metrics["val/select_score"]),
                "target_val_acc": (
                    float(metrics["val/target_acc"]) if "val/target_acc" in metrics else None
                ),
                "target_test_acc": test_accuracy,
            }
        )


def tested_batches(trainer: L.Trainer, loader) -> int:
    """How many batches of ``loader`` the run's test scores (``limit_test_batches``, a
    count or a fraction, as Lightning reads it), so that the curve and the test score the
    same images."""
    limit = trainer.limit_test_batches
    return min(limit, len(loader)) if isinstance(limit, int) else int(len(loader) * limit)


def selected_by_epoch(epochs: list[dict], score: str) -> list[float | None]:
    """For each epoch e: the target test accuracy of the epoch up to e with the best
    ``score`` (the first of equals, as the checkpoint callback keeps it)."""
    best, picked = None, []
    for row in epochs:
        if row[score] is not None and (best is None or row[score] > best[score]):
            best = row
        picked.append(best["target_test_acc"] if best else None)
    return picked
