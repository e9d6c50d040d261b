"""The shared frame of few-shot (meta-learning) methods trained on episodes."""

from __future__ import annotations

import math
from abc import abstractmethod

import torch

from transferlab.methods.base import MethodModule


class EpisodicModule(MethodModule, family_base=True):
    """Base of methods trained on ``EpisodicDigits`` batches (dicts of tasks).

    A subclass says how it predicts the query labels of one task from its support set
    (:meth:`task_logits`). Accuracy is averaged per episode; the test reports the mean over
    episodes and its 95% confidence interval (``test/target_acc_ci95``), on the held-out
    classes ("target") and on new images of the training classes ("source"). Checkpoints
    are selected on validation episodes of the training classes.

    ``num_classes`` (linked from the data) is the number of ways of an episode.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._episode_accuracies: dict[str, list[torch.Tensor]] = {}

    @abstractmethod
    def task_logits(
        self, support_x: torch.Tensor, support_y: torch.Tensor, query_x: torch.Tensor
    ) -> torch.Tensor:
        """Query logits of one task after using its support set."""

    def episode_losses(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean query cross-entropy over the batch's tasks, and each task's accuracy."""
        losses, accuracies = [], []
        for task in range(len(batch["support_x"])):
            logits = self.task_logits(
                batch["support_x"][task], batch["support_y"][task], batch["query_x"][task]
            )
            query_y = batch["query_y"][task]
            losses.append(torch.nn.functional.cross_entropy(logits, query_y))
            accuracies.append((logits.argmax(1) == query_y).float().mean())
        return torch.stack(losses).mean(), torch.stack(accuracies)

    def training_step(self, batch: dict, batch_idx: int):
        loss, accuracies = self.episode_losses(batch)
        self.log_dict({"train/loss": loss, "train/episode_acc": accuracies.mean()})
        return loss

    def _evaluate_episodes(self, stage: str, batch: dict, dataloader_idx: int) -> None:
        with torch.enable_grad():  # methods that adapt need gradients at evaluation too
            _, accuracies = self.episode_losses(batch)
        domain = self.eval_domains(stage)[dataloader_idx][0] if stage == "test" else "source"
        self._episode_accuracies.setdefault(domain, []).append(accuracies.detach().cpu())

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate_episodes("val", batch, dataloader_idx)

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate_episodes("test", batch, dataloader_idx)

    def on_validation_epoch_start(self) -> None:
        self._episode_accuracies = {}

    on_test_epoch_start = on_validation_epoch_start

    def _log_episodes(self, stage: str) -> None:
        for domain, chunks in self._episode_accuracies.items():
            accuracies = torch.cat(chunks)
            mean = accuracies.mean()
            ci95 = (
                1.96 * accuracies.std() / math.sqrt(len(accuracies)) if len(accuracies) > 1 else 0.0
            )
            self.log(f"{stage}/{domain}_acc", mean)
            self.log(f"{stage}/{domain}_acc_ci95", torch.as_tensor(ci95, dtype=torch.float32))
            if stage == "val" and domain == "source":
                self.log("val/select_score", mean)

    def on_validation_epoch_end(self) -> None:
        self._log_episodes("val")

    def on_test_epoch_end(self) -> None:
        self._log_episodes("test")
