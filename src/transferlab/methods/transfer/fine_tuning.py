"""Fine-tuning a pretrained backbone: full, partial, or gradual unfreezing."""

from __future__ import annotations

from transferlab.methods.transfer.source_only import SourceOnly


class FineTuning(SourceOnly):
    """Supervised training from pretrained weights, the backbone at a lower learning rate.

    Three ways to unfreeze:

    * full (default): every backbone parameter trains, at ``backbone_lr_scale`` times the
      head's learning rate, and with ``backbone_lr_decay`` < 1 each earlier layer group
      slower still (layer-wise discriminative rates, see ``configs/fine_tuning/
      sentiment_movies_8_labels_layer_decay.yaml``);
    * partial: ``trainable_groups: k`` trains only the last ``k`` of the backbone's timm
      parameter groups (its ``group_matcher``), the early generic layers stay frozen
      (their weights; a BatchNorm layer among them still updates its running statistics
      in training mode, as only ``FeatureExtraction`` holds those fixed);
    * gradual: add the ``GradualUnfreezing`` callback (Lightning's ``BackboneFinetuning``,
      resumable) in the YAML; it freezes the
      backbone, trains the head, then unfreezes the backbone at a chosen epoch with its own
      learning-rate ratio; by Lightning's ``train_bn`` default the backbone's BatchNorm
      layers train from the start (see ``configs/fine_tuning/digits_to_mnist_gradual.yaml`` and
      ``sentiment_movies_8_labels_gradual.yaml``).

    Args:
        trainable_groups: number of trailing backbone groups to train; ``None`` = all.
    """

    def __init__(self, trainable_groups: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if trainable_groups is not None:
            self.freeze_leading_groups(trainable_groups)

    def freeze_leading_groups(self, trainable_groups: int) -> None:
        ordered = self.backbone_layer_groups()
        if not 0 <= trainable_groups <= len(ordered):
            raise ValueError(
                f"trainable_groups={trainable_groups} but {self.hparams.backbone} has "
                f"{len(ordered)} parameter groups"
            )
        frozen = {name for names in ordered[: len(ordered) - trainable_groups] for name in names}
        for name, parameter in self.backbone.named_parameters():
            parameter.requires_grad_(name not in frozen)
