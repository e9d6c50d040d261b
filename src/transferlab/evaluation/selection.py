"""Model selection: which score of a validation epoch chooses the checkpoint.

One object, :class:`ModelSelection`, holds the whole choice: the oracle (target validation
accuracy, only when the config asks for it), source validation accuracy, or a label-free
validator of :data:`~transferlab.evaluation.validators.VALIDATORS`; and the label-free
scores reported beside it, so that one run can say which checkpoint each validator would
have chosen. Every number a table shows carries :attr:`ModelSelection.protocol`.
:class:`DomainAccuracies` are the accuracies it selects on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from transferlab.evaluation.validators import LABEL_FREE_VALIDATORS, VALIDATORS

ORACLE_PROTOCOL = "oracle_target_val_acc"


class Outputs:
    """What a validation epoch kept per domain (features, logits, per-image source losses),
    gathered over processes on request by ``gather`` (the module's ``all_gather``)."""

    def __init__(self, gather: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self._gather = gather
        self.kept: dict[str, dict[str, list[torch.Tensor]]] = {}

    def keep(self, domain: str, key: str, value: torch.Tensor) -> None:
        self.kept.setdefault(domain, {"features": [], "logits": [], "losses": []})
        self.kept[domain][key].append(value.detach())

    def has(self, domain: str, key: str) -> bool:
        return bool(self.kept.get(domain, {}).get(key))

    def gathered(self, domain: str, key: str) -> torch.Tensor:
        local = torch.cat(self.kept[domain][key])
        gathered = self._gather(local)
        return gathered.flatten(0, 1) if gathered.dim() > local.dim() else gathered

    def numpy(self, domain: str, key: str) -> np.ndarray:
        return self.gathered(domain, key).float().cpu().numpy()

    def target_probabilities(self) -> torch.Tensor:
        return self.gathered("target", "logits").float().softmax(dim=1)


def label_free_validators(names) -> tuple[str, ...]:
    """``names`` as a tuple, each a label-free validator, or an error naming the others."""
    unknown = sorted(set(names) - set(LABEL_FREE_VALIDATORS))
    if unknown:
        raise ValueError(
            f"unknown validators {unknown}: choose from {', '.join(LABEL_FREE_VALIDATORS)}"
        )
    return tuple(names)


class ModelSelection:
    """The protocol that selects checkpoints, and the label-free scores reported with it.

    Args:
        validator: a name of ``VALIDATORS``; ignored under the oracle.
        oracle: select on target validation accuracy (the config asked for target labels).
        reported: label-free validators logged as ``val/<name>`` every epoch besides.
    """

    def __init__(self, validator: str, oracle: bool, reported: tuple[str, ...] = ()) -> None:
        entry = VALIDATORS.entry(validator)  # an unknown name is refused here
        self.validator, self.oracle = validator, oracle
        self.protocol = ORACLE_PROTOCOL if oracle else entry.protocol
        self.reported = reported

    @property
    def reported(self) -> tuple[str, ...]:
        return self._reported

    @reported.setter
    def reported(self, names: tuple[str, ...]) -> None:
        self._reported = label_free_validators(names)

    @property
    def scores_outputs(self) -> bool:
        """Whether the selecting validator scores the epoch's kept outputs."""
        return not self.oracle and VALIDATORS.get(self.validator) is not None

    @property
    def keeps_outputs(self) -> bool:
        """Whether validation must keep features and logits (a label-free score needs them)."""
        return self.scores_outputs or bool(self.reported)

    def label_free_scores(self, outputs: Outputs) -> dict[str, float]:
        """Each label-free score this epoch needs (the selecting one and the reported ones),
        computed once: DEV fits a domain classifier. Empty without target images."""
        if not outputs.has("target", "logits"):
            return {}
        needed = set(self.reported)
        if self.scores_outputs:
            needed.add(self.validator)
        return {name: VALIDATORS.get(name)(outputs) for name in sorted(needed)}

    def selected(
        self, accuracies: dict, label_free: dict, epoch: int
    ) -> torch.Tensor | float | None:
        """The epoch's selection score: ``None`` when it cannot be computed this epoch."""
        if self.oracle:
            return accuracies.get("target")
        if self.validator == "source_acc":
            return accuracies.get("source")
        if self.validator == "last_epoch":
            return float(epoch)
        return label_free.get(self.validator)


class DomainAccuracies(nn.ModuleDict):
    """Top-1 accuracy per stage (``val``, ``test``) and domain (``source``, ``target``),
    logged as ``{stage}/{domain}_acc`` by the epoch's end."""

    def __init__(self, num_classes: int) -> None:
        super().__init__(
            {
                f"{stage}_{domain}": MulticlassAccuracy(num_classes, average="micro")
                for stage in ("val", "test")
                for domain in ("source", "target")
            }
        )

    def record(self, stage: str, domain: str, logits: torch.Tensor, labels: torch.Tensor):
        self[f"{stage}_{domain}"].update(logits, labels)

    def log_epoch(self, stage: str, log: Callable[[str, torch.Tensor], None]) -> dict:
        """Log (with the module's ``log``) and return the accuracy of each domain that saw
        labels this stage; reset all for the next epoch."""
        scores = {}
        for domain in ("source", "target"):
            metric = self[f"{stage}_{domain}"]
            if metric.update_count:
                scores[domain] = metric.compute()
                log(f"{stage}/{domain}_acc", scores[domain])
            metric.reset()
        return scores
