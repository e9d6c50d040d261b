"""Low-rank adaptation (Hu et al., 2021): fine-tune a pretrained backbone through small
trainable matrices beside its frozen attention projections."""

from __future__ import annotations

from transferlab.methods.transfer.source_only import SourceOnly

# the attention projections LoRA attaches to, by backbone kind
TEXT_TARGETS = ["query", "value"]  # BERT-style encoders (MiniLM)
VISION_TARGETS = ["qkv"]  # timm vision transformers


class LoRA(SourceOnly):
    """Supervised training in which only LoRA's rank-``rank`` updates and the head learn.

    PEFT's ``inject_adapter_in_model`` adds a trainable ``B @ A`` (scaled by
    ``alpha / rank``) beside each target projection of the backbone, which then stays
    frozen: a few tenths of a percent of MiniLM's parameters train, the rest is shared
    with the pretrained model. Works on the text encoders and on timm vision transformers
    (``vit_*``, ``deit_*``), whose attention projections it finds by name.

    Args:
        rank: rank of each update.
        alpha: scale of the update (``alpha / rank``).
        lora_dropout: dropout on the update's input.
        target_modules: projection names to adapt; default ``query``/``value`` for text
            encoders and ``qkv`` for timm vision transformers.
    """

    def __init__(
        self,
        rank: int = 8,
        alpha: float = 16.0,
        lora_dropout: float = 0.1,
        target_modules: list[str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        from peft import LoraConfig, inject_adapter_in_model

        targets = target_modules or self.default_targets()
        config = LoraConfig(
            r=rank, lora_alpha=alpha, lora_dropout=lora_dropout, target_modules=targets
        )
        problem = (
            f"no {targets} projections in backbone {self.hparams.backbone}: LoRA needs a "
            "transformer (minilm, hf:<name>, a timm vit_*) or target_modules that exist"
        )
        try:
            inject_adapter_in_model(config, self.backbone)
        except ValueError:  # PEFT's own words name neither the backbone nor the choices
            raise ValueError(problem) from None
        if not any("lora_" in n for n, _ in self.backbone.named_parameters()):
            raise ValueError(problem)
        for name, parameter in self.backbone.named_parameters():
            parameter.requires_grad = "lora_" in name

    def default_targets(self) -> list[str]:
        names = {name.rsplit(".", 1)[-1] for name, _ in self.backbone.named_modules()}
        return TEXT_TARGETS if set(TEXT_TARGETS) <= names else VISION_TARGETS
