"""The classifier layer: :class:`TransferModule`, the base of every method that classifies.

On the thin base it adds a head, per-domain accuracy for validation and test, model
selection (one :class:`~transferlab.evaluation.selection.ModelSelection`), label-free
scores of an unlabeled target test split, prediction, the deployable network and starting
from a trained classifier (``init_from``). A method file adds only its own parts (extra
heads, loss terms, schedules) and a ``training_step``; evaluation is the same for all
classifiers, so every number in a table is measured the same way and says which protocol
selected its checkpoint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from transferlab import checkpoints
from transferlab.backbones import layer_sizes, resize_layers
from transferlab.evaluation.selection import DomainAccuracies, ModelSelection, Outputs
from transferlab.evaluation.validators import (
    ValidatorName,
    information_maximization,
    soft_neighborhood_density,
)
from transferlab.methods.base.method import MethodModule


def classifier_head(features: int, num_classes: int, hidden: list[int]) -> nn.Module:
    """A linear classifier, or an MLP with ReLU hidden layers when ``hidden`` is given."""
    if not hidden:
        return nn.Linear(features, num_classes)
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(features, width), nn.ReLU(inplace=True)]
        features = width
    return nn.Sequential(*layers, nn.Linear(features, num_classes))


class TransferModule(MethodModule, family_base=True):
    """``self.backbone`` + ``self.head``: a classifier, evaluated per domain.

    Methods that add :meth:`labeled_target_loss` to their objective set
    ``trains_on_labeled_target``. ``head`` is everything a method trains from scratch.

    Args:
        validator: what selects the checkpoint without target labels (``val/select_score``):
            a name of :data:`~transferlab.evaluation.validators.VALIDATORS` --
            ``source_acc`` (source validation accuracy), ``im`` (information maximisation
            on target validation images), ``snd`` (soft neighbourhood density), ``dev``
            (deep embedded validation) or ``last_epoch`` (no selection: the last epoch).
            Ignored under the oracle, which selects on target validation accuracy.
        init_from: where this run's backbone *and* head start, to prune or fine-tune a
            trained classifier further: a transferlab checkpoint, or a ``network.pt`` of
            ``transferlab export`` (e.g. after ``--prune_channels``, whose smaller layers this
            model takes over); same backbone name and class count.
        head_hidden: widths of hidden layers (each followed by a ReLU) between the features
            and the classifier's last linear layer; empty: one linear layer. The DANN paper's
            MNIST label predictor is ``[100, 100]`` on ``dann_mnist_cnn``.

    The other keyword arguments are the thin base's (backbone, optimizer, ...).
    """

    deployable = True

    def __init__(
        self,
        validator: ValidatorName = "source_acc",
        init_from: str | None = None,
        head_hidden: list[int] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.head = classifier_head(self.backbone.num_features, self.num_classes, head_hidden or [])
        if init_from is not None:
            self._start_from_classifier(init_from)
        self.selection = ModelSelection(validator, self.hparams.oracle)
        self.selection_protocol = self.selection.protocol
        self._validation_outputs: Outputs | None = None  # made at each validation's start
        self._unlabeled_test_logits: list[torch.Tensor] = []
        self.accuracy = DomainAccuracies(self.num_classes)

    # -- starting from a trained classifier ---------------------------------------------
    def _start_from_classifier(self, path: str) -> None:
        """Backbone and head from a method's checkpoint, or from a network file of
        ``transferlab export`` (whose layers may have fewer channels after pruning: this
        model's layers are resized to match)."""
        state, sizes = checkpoints.classifier_weights(path, self.hparams.backbone)
        head_weights = [
            v for k, v in state.items() if k.startswith("head.") and k.endswith("weight")
        ]
        if not head_weights:
            raise ValueError(f"init_from {path} holds no classifier head ('head.weight')")
        head = head_weights[-1]  # the last layer's: one row per class
        if head.shape[0] != self.num_classes:
            raise ValueError(
                f"init_from {path} classifies {head.shape[0]} classes but this model has "
                f"{self.num_classes}"
            )
        self._resize_network(sizes, state)
        for name in ("backbone", "head"):
            module = getattr(self, name)
            try:
                module.load_state_dict(checkpoints.prefixed(state, name))
            except RuntimeError as error:
                raise ValueError(
                    f"init_from {path}: its {name} does not fit this model: {error}"
                ) from None

    def _resize_network(self, sizes: dict, state: dict) -> None:
        """Backbone and head layers to the sizes a structurally pruned network has."""
        if sizes:
            resize_layers(self, sizes, state)
            first_layer = self.head if isinstance(self.head, nn.Linear) else self.head[0]
            self.backbone.num_features = first_layer.in_features

    def _network_sizes(self) -> dict:
        return {
            f"{part}.{name}".rstrip("."): size
            for part in ("backbone", "head")
            for name, size in layer_sizes(getattr(self, part)).items()
        }

    # -- model ---------------------------------------------------------------------------
    def deployable_network(self) -> nn.Module | None:
        """The network that classifies at test time, images in and logits out, without
        Lightning: what ``transferlab export`` prunes, quantizes and exports. ``None`` for
        a method that is not ``deployable`` (not one backbone and one linear head)."""
        return nn.Sequential(self.backbone, self.head) if self.deployable else None

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """Logits from features; methods with several classifiers combine them here."""
        return self.head(features)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(images))

    def labeled_batch(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """The labeled half of a training batch: source, or target under the oracle."""
        return batch["target"] if self.hparams.oracle else batch["source"]

    def labeled_target_loss(
        self, batch: dict, logits: torch.Tensor | None = None
    ) -> torch.Tensor | None:
        """Cross-entropy on the few labeled target images (``data.target_labels_per_class``)
        of semi-supervised domain adaptation; ``None`` when the batch has none. ``logits``
        lets a method that already ran them through its network pass them in."""
        if "target_labeled" not in batch:
            return None
        images, labels = batch["target_labeled"]
        loss = F.cross_entropy(self(images) if logits is None else logits, labels)
        self.log("train/labeled_target_loss", loss)
        return loss

    def with_labeled_target(self, loss: torch.Tensor, batch: dict) -> torch.Tensor:
        """``loss`` plus the labeled-target term when the batch carries one."""
        extra = self.labeled_target_loss(batch)
        return loss if extra is None else loss + extra

    @staticmethod
    def target_images(batch: dict) -> torch.Tensor:
        """Target images of a training batch, whether or not labels came with them (for
        semi-supervised data, the first view of the unlabeled images)."""
        target = batch["target"]
        if isinstance(target, dict):
            return target["views"][0] if "views" in target else target["image"]
        return target[0] if isinstance(target, list | tuple) else target

    # -- evaluation ----------------------------------------------------------------------
    def _evaluate(self, stage: str, batch, dataloader_idx: int) -> torch.Tensor:
        """Score one evaluation batch for every domain its loader stands for; return the
        features, for subclasses.

        A labeled batch updates the accuracy of each of its domains. An unlabeled one (a
        target folder without labels, or target validation images whose labels the
        protocol may not see) has no accuracy to update; at test its logits are kept for
        the label-free scores of :meth:`on_test_epoch_end`. At validation, what a
        label-free validator needs is kept until the epoch ends.
        """
        labeled = isinstance(batch, list | tuple)
        images = batch[0] if labeled else batch
        features = self.features(images)
        logits = self.classify(features)
        for domain in self.eval_domains(stage)[dataloader_idx]:
            if labeled and self.scores_labels(stage, domain):
                self.accuracy.record(stage, domain, logits, batch[1])
            if stage == "test" and not labeled:
                self._unlabeled_test_logits.append(logits.detach())
            if stage == "val" and self.selection.keeps_outputs:
                self._validation_outputs.keep(domain, "features", features)
                self._validation_outputs.keep(domain, "logits", logits)
                if labeled and domain == "source":
                    losses = F.cross_entropy(logits, batch[1], reduction="none")
                    self._validation_outputs.keep(domain, "losses", losses)
        return features

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate("val", batch, dataloader_idx)

    def on_validation_epoch_start(self) -> None:
        self._validation_outputs = Outputs(self.all_gather)

    def on_validation_epoch_end(self) -> None:
        accuracies = self.accuracy.log_epoch("val", self.log)
        label_free = self.selection.label_free_scores(self._validation_outputs)
        selected = self.selection.selected(accuracies, label_free, self.current_epoch)
        if selected is not None:
            self.log("val/select_score", torch.as_tensor(selected, dtype=torch.float32))
        for validator in self.selection.reported:
            if validator in label_free:
                score = torch.as_tensor(label_free[validator], dtype=torch.float32)
                self.log(f"val/{validator}", score)

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate("test", batch, dataloader_idx)

    def on_test_epoch_start(self) -> None:
        self._unlabeled_test_logits = []

    def on_test_epoch_end(self) -> None:
        self.accuracy.log_epoch("test", self.log)
        if self._unlabeled_test_logits:
            self._log_label_free_target_scores()

    def _log_label_free_target_scores(self) -> None:
        """What can be said of an unlabeled target: how confident and how clustered the
        predictions are (IM, SND; higher is better), never its accuracy."""
        probabilities = torch.cat(self._unlabeled_test_logits).float().softmax(dim=1)
        self.log("test/target_im", information_maximization(probabilities))
        self.log("test/target_snd", soft_neighborhood_density(probabilities[:4096]))
        self.log("test/target_images", float(len(probabilities)))
        rank_zero_info(
            f"the target test split has no labels: its accuracy cannot be measured; "
            f"label-free scores of {len(probabilities)} target images are logged as "
            "test/target_im and test/target_snd"
        )

    def predict_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> torch.Tensor:
        return self(batch).softmax(dim=-1)

    # -- checkpoints ---------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        # to rebuild a structurally pruned network
        checkpoint["transferlab"]["layer_sizes"] = self._network_sizes()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        super().on_load_checkpoint(checkpoint)
        sizes = checkpoint["transferlab"].get("layer_sizes") or {}
        self._resize_network(sizes, checkpoint["state_dict"])
