"""Knowledge distillation into a student, from a frozen teacher, on any transfer set."""

from __future__ import annotations

from typing import Literal

import timm
import torch
import torch.nn.functional as F
from torch import nn

from transferlab.checkpoints import load_method
from transferlab.losses.distillation import distillation_loss
from transferlab.methods.base import TransferModule

TransferSet = Literal["source", "target", "both"]


def load_teacher(teacher: str) -> nn.Module:
    """A transferlab checkpoint (``.ckpt``) or ``timm:<model name>`` with timm's weights."""
    if teacher.startswith("timm:"):
        return timm.create_model(teacher.removeprefix("timm:"), pretrained=True)
    model, _ = load_method(teacher)
    return model


def teacher_classes(teacher: nn.Module) -> int:
    return getattr(teacher, "num_classes", None) or teacher.get_classifier().out_features


def named_layer(model: nn.Module, name: str, role: str) -> nn.Module:
    layers = dict(model.named_modules())
    if name not in layers:
        names = [n for n in layers if n]
        raise ValueError(f"{role} has no layer {name!r}; its layers: {names}")
    return layers[name]


class KnowledgeDistillation(TransferModule):
    """A student (the usual backbone + head) trained on a frozen teacher's soft targets.

    The teacher is kept outside the module tree: it is not in the optimizer, not counted
    as trainable, not in the student's checkpoint (which records only where the teacher
    came from, ``teacher``), and Lightning's ``train()`` never reaches it, so it stays in
    eval mode (dropout off, BatchNorm statistics fixed) for the whole run.

    Args:
        teacher: path of a transferlab checkpoint of any classifying method (rebuilt from
            its hyper-parameters, loaded with ``weights_only=True``), or ``timm:<name>``.
        alpha: weight of the hard-label cross-entropy; ``1 - alpha`` weighs the soft term.
        temperature: softmax temperature ``T`` of both teacher and student in the soft term.
        transfer_set: what the student learns from: ``source`` (labeled source images: hard
            and soft terms), ``target`` (unlabeled target images: soft term only), or
            ``both``.
        hint_layers: FitNets hints, ``{student layer: teacher layer}`` by module name (e.g.
            ``{"backbone.block1": "backbone.block1"}``); a learned linear regressor maps the
            student's pooled activations onto the teacher's, with an MSE term.
        hint_weight: weight of the hint term.
        teacher_image_size: the side the teacher sees, the batch resized (bilinear) to it;
            for a teacher trained at another resolution than the student, e.g. an
            EfficientNet fine-tuned at 64 px teaching a 28 px digit CNN. ``None``: the
            batch as it comes.
    """

    def __init__(
        self,
        teacher: str | None = None,
        alpha: float = 0.5,
        temperature: float = 4.0,
        transfer_set: TransferSet = "source",
        hint_layers: dict[str, str] | None = None,
        hint_weight: float = 1.0,
        teacher_image_size: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self._teacher: list[nn.Module] = []  # a list hides it from nn.Module registration
        self.hint_layers = dict(hint_layers or {})
        self.hint_regressors = nn.ModuleDict()
        self._hooks: list = []
        self._activations: dict[str, torch.Tensor] = {}
        if teacher is not None:
            self._set_teacher(teacher)

    def _set_teacher(self, teacher: str) -> None:
        teacher_model = load_teacher(teacher).eval().requires_grad_(False)
        if teacher_classes(teacher_model) != self.num_classes:
            raise ValueError(
                f"the teacher {teacher} predicts {teacher_classes(teacher_model)} classes but "
                f"the student is built for {self.num_classes}; they must match"
            )
        self._teacher = [teacher_model]
        for student_name, teacher_name in self.hint_layers.items():
            named_layer(self, student_name, "the student")
            named_layer(teacher_model, teacher_name, "the teacher")
        if self.hint_layers:
            self._build_regressors()

    def setup(self, stage: str) -> None:
        super().setup(stage)
        if stage == "fit" and not self._teacher:
            raise ValueError(
                "KnowledgeDistillation needs a teacher: --model.init_args.teacher "
                "path/to/teacher.ckpt (a transferlab checkpoint) or timm:<model name>"
            )

    @property
    def teacher(self) -> nn.Module:
        return self._teacher[0]

    # -- hints ---------------------------------------------------------------------------
    @staticmethod
    def _pooled(activation: torch.Tensor) -> torch.Tensor:
        return activation.mean(dim=(2, 3)) if activation.dim() == 4 else activation.flatten(1)

    def _build_regressors(self) -> None:
        """One linear regressor per hint, sized by a dry run of both networks."""
        self._attach_hooks()
        sample = torch.zeros(
            2, 3, 28, 28
        )  # activations are pooled: any input size gives the widths
        was_training = self.training
        self.eval()
        with torch.no_grad():
            self(sample), self.teacher(sample)
        self.train(was_training)
        for student_name, teacher_name in self.hint_layers.items():
            student = self._pooled(self._activations[f"student:{student_name}"])
            teacher = self._pooled(self._activations[f"teacher:{teacher_name}"])
            key = student_name.replace(".", "/")
            self.hint_regressors[key] = nn.Linear(student.shape[1], teacher.shape[1])
        self._detach_hooks()

    def _attach_hooks(self) -> None:
        def keep(key):
            def hook(module, inputs, output):
                self._activations[key] = output

            return hook

        for student_name, teacher_name in self.hint_layers.items():
            self._hooks.append(
                named_layer(self, student_name, "the student").register_forward_hook(
                    keep(f"student:{student_name}")
                )
            )
            self._hooks.append(
                named_layer(self.teacher, teacher_name, "the teacher").register_forward_hook(
                    keep(f"teacher:{teacher_name}")
                )
            )

    def _detach_hooks(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks, self._activations = [], {}

    def on_fit_start(self) -> None:
        super().on_fit_start()
        self.teacher.to(self.device).eval()
        if self.hint_layers:
            self._attach_hooks()

    def on_fit_end(self) -> None:
        self._detach_hooks()

    def _hint_loss(self) -> torch.Tensor:
        losses = []
        for student_name, teacher_name in self.hint_layers.items():
            student = self._pooled(self._activations[f"student:{student_name}"])
            teacher = self._pooled(self._activations[f"teacher:{teacher_name}"]).detach()
            regressor = self.hint_regressors[student_name.replace(".", "/")]
            losses.append(F.mse_loss(regressor(student), teacher))
        return torch.stack(losses).mean()

    # -- training ------------------------------------------------------------------------
    def _teacher_view(self, images: torch.Tensor) -> torch.Tensor:
        size = self.hparams.teacher_image_size
        if size is None or images.shape[-2:] == (size, size):
            return images
        return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)

    def _distill(self, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        with torch.no_grad():
            teacher_logits = self.teacher(self._teacher_view(images))
        student_logits = self(images)
        loss = distillation_loss(
            student_logits, teacher_logits, labels, self.hparams.alpha, self.hparams.temperature
        )
        if self.hint_layers:
            hint = self._hint_loss()
            self.log("train/hint_loss", hint)
            loss = loss + self.hparams.hint_weight * hint
        return loss

    def training_step(self, batch: dict, batch_idx: int):
        transfer_set = self.hparams.transfer_set
        loss = torch.zeros((), device=self.device)
        if transfer_set in ("source", "both"):
            images, labels = batch["source"]
            loss = loss + self._distill(images, labels)
        if transfer_set in ("target", "both"):
            loss = loss + self._distill(self.target_images(batch), None)
        self.log("train/loss", loss, prog_bar=True)
        return loss
