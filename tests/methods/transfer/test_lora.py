"""LoRA finds the attention projections of a timm vision transformer too, and refuses a
backbone that has none."""

import pytest
import torch

from transferlab.methods import LoRA


def test_lora_adapts_a_timm_vision_transformer():
    model = LoRA(backbone="vit_tiny_patch16_224", num_classes=10, rank=4)
    adapted = [n for n, p in model.backbone.named_parameters() if p.requires_grad]
    assert adapted and all("lora_" in n and "qkv" in n for n in adapted)
    logits = model(torch.randn(2, 3, 224, 224))
    assert logits.shape == (2, 10)


def test_a_backbone_without_attention_is_refused():
    with pytest.raises(ValueError, match="no \\['qkv'\\] projections in backbone digit_cnn"):
        LoRA(backbone="digit_cnn", num_classes=10)
