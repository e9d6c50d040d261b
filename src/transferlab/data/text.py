"""Source and target *text* domains, with the same YAML shape as the image ones: swap the
data module and the backbone, keep the method.

    data:
      class_path: transferlab.data.TextDomains
      init_args: {source: movies, target: amazon, tokenizer: minilm, max_length: 64}
    model:
      init_args: {backbone: minilm}

A domain is one of the four built-in sentiment corpora (``tweets``, ``movies``,
``amazon``, ``nyt``: see :mod:`transferlab.data.sentiment`), the conversation topics of
one language (``topics:english``, ``topics:italian`` ...: see
:mod:`transferlab.data.topics`), or data of your own: CSV with
a ``text_column`` and a ``label_column``, JSON lines with those keys, or a folder of
``.txt`` files, one text each, in a subfolder per class (``reviews/pos/001.txt``, the
layout of the IMDB archive and of image folders). A target may have no labels: a file
without the label column, or a folder of ``.txt`` files without class subfolders. Each
text becomes ``max_length`` token ids of the backbone's tokenizer (cut, or padded with its
pad id), so that every method that concatenates source and target batches works on text
unchanged. Bad input is refused before training with the file and line named: a missing
column, an empty text, a file that is not UTF-8, a target label the source does not have.
"""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

import torch
from torch.utils.data import Dataset, Subset

from transferlab.backbones.text import FROZEN_MULTILINGUAL, encode_frozen, load_tokenizer
from transferlab.data.domains import DomainDataModule
from transferlab.data.image_folders import UNLABELED
from transferlab.data.sentiment import (
    SENTIMENT_CLASSES,
    SENTIMENT_DOMAINS,
    load_sentiment_domain,
)
from transferlab.data.topics import PREFIX, TOPICS, is_topic_domain, load_topic_domain

FILE_SUFFIXES = (".csv", ".jsonl")


def builtin_classes(name: str) -> list[str] | None:
    """The classes of a built-in corpus (a sentiment domain or ``topics:<language>``);
    ``None`` for data of the user's own."""
    if name in SENTIMENT_DOMAINS:
        return list(SENTIMENT_CLASSES)
    if is_topic_domain(name):
        return list(TOPICS)
    return None


def is_own_data(name: str) -> bool:
    """A file or folder of the user's, rather than a built-in corpus."""
    return Path(name).suffix in FILE_SUFFIXES or Path(name).is_dir()


def read_text_file(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    if not text:
        raise ValueError(f"{path}: the text is empty")
    return text


def read_folder(path: Path) -> list[tuple[str, str | None]]:
    """``(text, class or None)`` per ``.txt`` file: ``path/<class>/*.txt`` is labeled by
    its subfolder, ``path/*.txt`` (no subfolders) is unlabeled text."""
    classes = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(path.glob("*.txt"))
    if classes and loose:
        raise ValueError(
            f"{path}: holds both class folders and loose .txt files ({loose[0].name}); "
            "put every text in a class folder, or none (unlabeled)"
        )
    if not classes:
        rows = [(read_text_file(f), None) for f in loose]
    else:
        rows = [(read_text_file(f), c.name) for c in classes for f in sorted(c.glob("*.txt"))]
        empty = [c.name for c in classes if not any(c.glob("*.txt"))]
        if empty:
            raise ValueError(f"{path}: class folders without .txt files: {empty}")
    if not rows:
        raise ValueError(f"{path}: no .txt files (one text per file, a folder per class)")
    return rows


def tokenize(
    texts: list[str], tokenizer: str, max_length: int, cache_dir: str | None = None
) -> torch.Tensor:
    """``(len(texts), max_length)`` token ids, cut or padded with the pad id; for the
    frozen ``use_multilingual`` encoder, ``(len(texts), 512)`` embeddings, cached in
    ``cache_dir`` (it reads whole texts: ``max_length`` does not apply)."""
    if tokenizer == FROZEN_MULTILINGUAL:
        return encode_frozen(texts, cache_dir)
    return _token_ids(tuple(texts), tokenizer, max_length).clone()


@functools.lru_cache(maxsize=8)
def _token_ids(texts: tuple[str, ...], tokenizer: str, max_length: int) -> torch.Tensor:
    """Token ids, kept for the process's next data module over the same texts: every run
    of a sweep or a test session would otherwise tokenize the same corpora again."""
    tokens = load_tokenizer(tokenizer)(
        list(texts), padding="max_length", truncation=True, max_length=max_length,
        return_tensors="pt",
    )  # fmt: skip
    return tokens["input_ids"]


class TokenizedTexts(Dataset):
    """``(token ids, label)`` pairs held in memory (``label`` -1: unlabeled)."""

    def __init__(self, ids: torch.Tensor, labels: torch.Tensor, texts: list[str]) -> None:
        self.ids, self.labels, self.texts = ids, labels, texts

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.ids[index], self.labels[index]


def dataset_texts(dataset: Dataset) -> list[str]:
    """The raw texts of a text dataset or of a subset of one (what a peer that reads
    text itself, such as TF-IDF, is given), in the dataset's order."""
    if isinstance(dataset, Subset):
        texts = dataset_texts(dataset.dataset)
        return [texts[i] for i in dataset.indices]
    if isinstance(dataset, TokenizedTexts):
        return list(dataset.texts)
    if hasattr(dataset, "dataset"):  # a relabeled view of texts
        return dataset_texts(dataset.dataset)
    raise TypeError(f"{type(dataset).__name__} holds no texts")


def csv_records(path: Path, lines: list[str], text_column: str) -> list[tuple[int, dict]]:
    """``(line it starts on, {column: value})`` per CSV row; a quoted text may span lines
    (it keeps its line breaks) and blank lines are skipped, so rows are counted by where
    they start, not by their order."""
    reader = csv.reader(line + "\n" for line in lines)
    header = next(reader, [])
    if text_column not in header:
        raise ValueError(f"{path}: no column {text_column!r} (text_column); columns: {header}")
    records, end = [], reader.line_num
    for values in reader:
        start, end = end + 1, reader.line_num
        if values:
            records.append((start, dict(zip(header, values, strict=False))))
    return records


def read_rows(
    path: Path, text_column: str, label_column: str | None
) -> list[tuple[str, str | None]]:
    """``(text, label or None)`` per row of a CSV or JSON-lines file, checked line by line;
    ``label_column`` None reads the texts alone (what ``transferlab predict`` classifies)."""
    return [(text, label) for _, text, label in numbered_rows(path, text_column, label_column)]


def numbered_rows(
    path: Path, text_column: str, label_column: str | None
) -> list[tuple[int, str, str | None]]:
    """:func:`read_rows` with the line each row starts on, to name it in an error."""
    if not path.is_file():
        raise FileNotFoundError(f"text file {path} does not exist")
    rows, has_labels = [], None
    with path.open("rb") as handle:
        lines = handle.read().splitlines()
    for number, raw in enumerate(lines, 1):
        try:
            lines[number - 1] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{path}, line {number}: not UTF-8 text") from None
    if path.suffix == ".jsonl":
        records = [(n, json.loads(line)) for n, line in enumerate(lines, 1) if line.strip()]
    else:
        records = csv_records(path, lines, text_column)
    for number, record in records:
        if text_column not in record:
            raise ValueError(f"{path}, line {number}: no {text_column!r} (text_column)")
        text = (record[text_column] or "").strip()
        if not text:
            raise ValueError(f"{path}, line {number}: the text is empty")
        labeled = (
            label_column is not None
            and label_column in record
            and str(record[label_column] or "").strip() != ""
        )
        has_labels = labeled if has_labels is None else has_labels
        if labeled != has_labels:
            raise ValueError(f"{path}, line {number}: a label is given on some lines only")
        rows.append((number, text, str(record[label_column]).strip() if labeled else None))
    if not rows:
        raise ValueError(f"{path} holds no texts")
    return rows


class TextDomains(DomainDataModule):
    """Text classification across two domains (built-in corpora or your own files).

    Args:
        source: labeled domain: ``tweets``, ``movies``, ``amazon``, ``nyt``,
            ``topics:<language>``, a ``.csv`` / ``.jsonl`` file, or a folder of ``.txt``
            files per class.
        target: the domain to adapt to, the same kinds (a file may have no labels).
        tokenizer: the backbone's name (``minilm``, ``hf:<name>``): its tokenizer;
            ``use_multilingual``: the frozen encoder's embeddings.
        max_length: token ids per text; longer texts are cut.
        margin: built-in corpora: a text is positive when its mean rating is at least
            ``margin``, negative at most ``-margin``; the texts in between are left out.
        text_column: the text's column (CSV) or key (JSON lines) in a file.
        label_column: the label's column or key (class names, any strings).
        cache_dir: where the built-in corpora and the frozen encoder's embeddings are cached
            (default ``~/.cache/transferlab``).
    """

    def __init__(
        self,
        source: str = "movies",
        target: str = "amazon",
        tokenizer: str = "minilm",
        max_length: int = 64,
        margin: float = 1.0,
        text_column: str = "text",
        label_column: str = "label",
        cache_dir: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(source, target, **kwargs)
        for name in (source, target):
            if builtin_classes(name) is None and not is_own_data(name):
                raise ValueError(
                    f"text domain {name!r}: use one of {', '.join(SENTIMENT_DOMAINS)}, "
                    f"{PREFIX}<language>, a {' / '.join(FILE_SUFFIXES)} file or a folder "
                    "of .txt files"
                )
        self.tokenizer_name, self.max_length, self.margin = tokenizer, max_length, margin
        self.columns, self.cache_dir = (text_column, label_column), cache_dir
        self._loaded: dict[str, TokenizedTexts] = {}
        self._classes: list[str] | None = None

    @property
    def input_spec(self) -> dict:
        """What the checkpoint records so that ``transferlab predict --texts`` can tokenize."""
        return {"tokenizer": self.tokenizer_name, "max_length": self.max_length}

    def tokenize(self, texts: list[str]) -> torch.Tensor:
        return tokenize(texts, self.tokenizer_name, self.max_length, self.cache_dir)

    @property
    def classes(self) -> list[str]:
        if self._classes is None:
            self._classes = self._class_names()
        return self._classes

    def _class_names(self) -> list[str]:
        if builtin_classes(self.source) is not None:
            return builtin_classes(self.source)
        labels = [label for _, label in self.rows(self.source)]
        if None in labels:
            raise ValueError(f"source {self.source} has no labels ({self.columns[1]!r})")
        return sorted(set(labels))

    def texts_and_labels(self, name: str) -> tuple[list[str], list[int]]:
        corpus_classes = builtin_classes(name)
        if corpus_classes is not None:
            if corpus_classes != self.classes:
                raise ValueError(
                    f"{name} has the classes {corpus_classes}; so must the source "
                    f"({self.source}: {self.classes})"
                )
            if is_topic_domain(name):
                return load_topic_domain(name)
            return load_sentiment_domain(name, self.margin, self.cache_dir)
        rows = self.rows(name)
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted({label for _, label in rows if label is not None} - set(index))
        if unknown:
            raise ValueError(
                f"{self.where(name, unknown[0])}: labels {unknown} are not classes of the "
                f"source {self.source} ({', '.join(self.classes)})"
            )
        return [t for t, _ in rows], [UNLABELED if lab is None else index[lab] for _, lab in rows]

    def rows(self, name: str) -> list[tuple[str, str | None]]:
        """A file's or a folder's ``(text, label or None)`` rows."""
        if Path(name).is_dir():
            return read_folder(Path(name))
        return read_rows(Path(name), *self.columns)

    def where(self, name: str, label: str) -> str:
        """Where ``label`` first appears in a domain of the user's: its class folder, or
        the file and line."""
        if Path(name).is_dir():
            return str(Path(name) / label)
        lines = [n for n, _, found in numbered_rows(Path(name), *self.columns) if found == label]
        return f"{name}, line {lines[0]}"

    def load_domain(self, name: str, train: bool) -> Dataset:
        if name not in self._loaded:
            texts, labels = self.texts_and_labels(name)
            ids = self.tokenize(texts)
            self._loaded[name] = TokenizedTexts(ids, torch.tensor(labels), texts)
        return self._loaded[name]
