"""Which words a text classifier's prediction rests on: integrated gradients or LIME
(both from captum), shown as highlighted text in an HTML page.

Integrated gradients integrates the gradient along the straight path from a baseline to
the input; here the path runs in the embedding space, from every token replaced by the
pad token (the special tokens kept) to the text itself, so a token's attribution is what
its embedding adds to the predicted class's logit over "no words at all". Attributions of
a word's pieces (``play`` + ``##ing``, or ``▁play`` + ``ing``) are summed into the word.
The attention mask comes from the real token ids on every step, so padding never counts.

LIME (Ribeiro et al. 2016) instead switches whole words off (their pieces become padding,
which the attention mask drops) in random patterns, and fits a ridge model to the class
probability over those patterns, each weighted by how many words it keeps (the kernel of
LIME's own text explainer: cosine distance to the whole text, width 25). A word's
coefficient is its score; it asks nothing of the network but its outputs.
"""

from __future__ import annotations

import functools
import html
import math
from pathlib import Path

import torch
from torch import nn

from transferlab.backbones.text import trim_padding


def word_embeddings(network: nn.Module) -> nn.Module:
    """The network's token-embedding table (where integrated gradients integrates)."""
    for name, module in network.named_modules():
        if name.endswith("word_embeddings") and isinstance(module, nn.Embedding):
            return module
    raise ValueError("this network has no word_embeddings layer: it was not trained on text")


def integrated_gradients(
    network: nn.Module, ids: torch.Tensor, classes: torch.Tensor, tokenizer, steps: int = 32
) -> torch.Tensor:
    """``(texts, tokens)`` attributions to ``classes``; zero on padding."""
    from captum.attr import LayerIntegratedGradients

    full_length = ids.shape[1]  # the encoder drops all-padding columns: so do we, then pad
    ids = trim_padding(ids, tokenizer.pad_token_id)
    special = torch.tensor(sorted(set(tokenizer.all_special_ids)))
    keep = torch.isin(ids, special)
    baselines = torch.where(keep, ids, torch.full_like(ids, tokenizer.pad_token_id))
    explainer = LayerIntegratedGradients(network.eval(), word_embeddings(network))
    attributions = explainer.attribute(
        ids, baselines=baselines, target=classes, n_steps=steps, internal_batch_size=steps
    )
    scores = attributions.sum(-1).detach() * (~keep)
    return nn.functional.pad(scores, (0, full_length - ids.shape[1]))


# How a tokenizer marks its subword pieces: WordPiece (BERT, MiniLM) marks a word's later
# pieces with "##"; SentencePiece (XLM-R, T5) and byte-level BPE (RoBERTa, GPT-2) mark a
# word's first piece with "▁" or "Ġ" instead.
CONTINUES_WORD = "##"
STARTS_WORD = ("▁", "Ġ")


@functools.lru_cache(maxsize=4)
def marks_word_starts(tokenizer) -> bool:
    """Whether the tokenizer marks the first piece of each word (SentencePiece, byte-level
    BPE) rather than its later pieces (WordPiece): read off its vocabulary, once per
    tokenizer (every text asks)."""
    vocabulary = tokenizer.get_vocab()
    return not any(piece.startswith(CONTINUES_WORD) for piece in vocabulary) and any(
        piece.startswith(STARTS_WORD) for piece in vocabulary
    )


def split_words(tokenizer, ids: torch.Tensor) -> list[tuple[int, str]]:
    """Per token of one text, ``(word number from 1, the piece as shown)``; 0 and ``""``
    for special tokens and padding. A word's pieces share its number, whichever way the
    tokenizer marks them; the markers are dropped from what is shown."""
    special = set(tokenizer.all_special_ids)
    starts_marked = marks_word_starts(tokenizer)
    pieces, word = [], 0
    for token_id in ids.tolist():
        if token_id in special:
            pieces.append((0, ""))
            continue
        piece = tokenizer.convert_ids_to_tokens(token_id)
        if starts_marked:
            starts = piece.startswith(STARTS_WORD)
            shown = piece[1:] if starts else piece
        else:
            starts = not piece.startswith(CONTINUES_WORD)
            shown = piece if starts else piece[len(CONTINUES_WORD) :]
        if starts or word == 0:
            word += 1
        pieces.append((word, shown))
    return pieces


def word_groups(tokenizer, ids: torch.Tensor) -> torch.Tensor:
    """Per token of one text, its word's number from 1 (a word's pieces share it); 0 for
    special tokens and padding, which LIME never switches off."""
    return torch.tensor([word for word, _ in split_words(tokenizer, ids)])


def lime_text_kernel(original, perturbed, interpretable, **kwargs) -> torch.Tensor:
    """LIME's text-explainer weight of one on/off pattern of words: ``sqrt(exp(-d^2 /
    25^2))`` with ``d`` 100 times the cosine distance of the pattern to all words on (the
    first interpretable feature, special tokens, is always on and left out)."""
    kept = interpretable[0, 1:].float()
    cosine = kept.sum() / (kept.norm() * math.sqrt(kept.numel())).clamp(min=1e-12)
    distance = 100 * (1 - cosine)
    return torch.exp(-(distance**2) / 25**2).sqrt()


def lime(
    network: nn.Module,
    ids: torch.Tensor,
    classes: torch.Tensor,
    tokenizer,
    samples: int = 500,
    seed: int = 0,
) -> torch.Tensor:
    """``(texts, tokens)`` LIME scores of ``classes``: a word's ridge coefficient, shared
    out evenly among its pieces (so that :func:`words` sums them back); zero on special
    tokens and padding."""
    from captum._utils.models.linear_model import SkLearnRidge
    from captum.attr import Lime

    full_length = ids.shape[1]
    ids = trim_padding(ids, tokenizer.pad_token_id)
    network = network.eval()
    explainer = Lime(
        lambda batch: network(batch).softmax(-1),
        interpretable_model=SkLearnRidge(alpha=1.0),
        similarity_func=lime_text_kernel,
    )
    scores = []
    for index in range(len(ids)):
        text = ids[index : index + 1]
        groups = word_groups(tokenizer, text[0])
        special = groups == 0
        baseline = torch.where(special, text[0], torch.full_like(text[0], tokenizer.pad_token_id))
        with torch.random.fork_rng():  # the text's own draws; the caller's RNG stays as is
            torch.manual_seed(seed + index)
            per_token = explainer.attribute(
                text,
                baselines=baseline[None],
                target=classes[index : index + 1],
                feature_mask=groups[None],
                n_samples=samples,
                perturbations_per_eval=min(samples, 100),
            )
        per_token = per_token[0].detach().float()
        pieces = torch.bincount(groups)[groups].float()
        scores.append(per_token / pieces * (~special))
    return nn.functional.pad(torch.stack(scores), (0, full_length - ids.shape[1]))


def words(tokenizer, ids: torch.Tensor, scores: torch.Tensor) -> list[tuple[str, float]]:
    """``(word, attribution)`` pairs of one text, word pieces joined, special tokens left
    out."""
    joined: dict[int, tuple[str, float]] = {}
    for (word, shown), score in zip(split_words(tokenizer, ids), scores.tolist(), strict=True):
        if word:
            text, total = joined.get(word, ("", 0.0))
            joined[word] = (text + shown, total + score)
    return list(joined.values())


def highlighted(pairs: list[tuple[str, float]]) -> str:
    """The words as HTML spans: green for evidence for the class, red against, the
    stronger the larger the attribution against the text's largest."""
    largest = max((abs(score) for _, score in pairs), default=0.0) or 1.0
    spans = []
    for word, score in pairs:
        strength = abs(score) / largest
        colour = (40, 167, 69) if score >= 0 else (220, 53, 69)
        spans.append(
            f'<span title="{score:+.3f}" style="background: rgba{(*colour, round(strength, 2))}">'
            f"{html.escape(word)}</span>"
        )
    return " ".join(spans)


HOW = {
    "integrated_gradients": "integrated gradients over the token embeddings",
    "lime": "LIME: a ridge model over words switched on and off",
}


def html_page(rows: list[dict], path: Path, title: str, method: str) -> Path:
    """One block per text: the predicted class, its probability, the highlighted words;
    the legend says which ``method`` scored them."""
    blocks = [
        f"<p><b>{html.escape(row['predicted'])}</b> ({row['probability']:.2f}): "
        f"{highlighted(row['words'])}</p>"
        for row in rows
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
        f"<p>Green: evidence for the predicted class; red: against ({HOW[method]}; hover a "
        "word for its score).</p>" + "\n".join(blocks)
    )
    return path
