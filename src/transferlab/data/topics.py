"""Conversation topics in several languages, offline, from ``chatterbot-corpus``.

``chatterbot-corpus`` 1.3.3 (BSD-3, installed with this project) holds short dialogues
as YAML, one file per topic and language: ``data/<language>/<topic>.yml``. The Italian and
Japanese files translate the English ones nearly line by line; the Korean, Chinese and
Ukrainian ones translate fewer dialogues or more freely. A classifier trained on English
topics and tested on another language's measures what crosses the language gap. Every
utterance of a topic's dialogues (question or answer) is one text labeled with the topic;
a dialogue written as one string (a few Ukrainian ones) is one utterance; a text that
appears under two topics of a language is left out, and repeats are kept once.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# topics that English, Italian, Japanese and Chinese all have, and that are told apart by
# their content rather than by being small talk (conversations, gossip, humor, trivia)
TOPICS = (
    "ai",
    "emotion",
    "food",
    "greetings",
    "history",
    "literature",
    "money",
    "movies",
    "politics",
    "science",
    "sports",
)
PREFIX = "topics:"  # how a data module names a language: ``topics:italian``


def corpus_folder() -> Path:
    """The package's data folder (read in place: the package is installed with us)."""
    try:
        import chatterbot_corpus
    except ImportError as error:
        raise ValueError(
            "topic domains need the chatterbot-corpus package (pip install -e .)"
        ) from error
    return Path(chatterbot_corpus.__file__).parent / "data"


def topic_languages() -> list[str]:
    """The languages that have a file for every topic of :data:`TOPICS`."""
    folder = corpus_folder()
    return sorted(
        path.name
        for path in folder.iterdir()
        if path.is_dir() and all((path / f"{topic}.yml").is_file() for topic in TOPICS)
    )


def is_topic_domain(name: str) -> bool:
    """A built-in topic domain is named by its language after ``topics:``."""
    return name.startswith(PREFIX)


def utterances(path: Path) -> list[str]:
    """Every line of every dialogue in one topic file (a dialogue given as one string, not
    a list of lines, is one line: iterating it would give its characters)."""
    dialogues = yaml.safe_load(path.read_text(encoding="utf-8")).get("conversations") or []
    lines = [
        line
        for dialogue in dialogues
        for line in ([dialogue] if isinstance(dialogue, str) else dialogue or [])
    ]
    return [str(line).strip() for line in lines if str(line).strip()]


def load_topic_domain(name: str) -> tuple[list[str], list[int]]:
    """Texts and topic indices (into :data:`TOPICS`) of ``topics:<language>``."""
    language = name.removeprefix(PREFIX)
    languages = topic_languages()
    if language not in languages:
        raise ValueError(f"topic domain {name!r}: languages are {', '.join(languages)}")
    topics_of: dict[str, set[int]] = {}
    for index, topic in enumerate(TOPICS):
        for text in utterances(corpus_folder() / language / f"{topic}.yml"):
            topics_of.setdefault(text, set()).add(index)
    kept = [(text, topics.pop()) for text, topics in topics_of.items() if len(topics) == 1]
    return [text for text, _ in kept], [label for _, label in kept]
