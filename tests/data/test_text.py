"""Text domains: the built-in sentiment corpora, and a user's CSV / JSON-lines files with
every bad input refused before training, the file and line named."""

import json
import re

import pytest
import torch

from transferlab.data.sentiment import SENTIMENT_DOMAINS, load_sentiment_domain
from transferlab.data.text import TextDomains


def test_the_four_sentiment_domains_hold_rated_texts_of_both_classes():
    for name in SENTIMENT_DOMAINS:
        texts, labels = load_sentiment_domain(name)
        assert len(texts) == len(labels) > 1000 and {0, 1} == set(labels), name
    loose, _ = load_sentiment_domain("tweets", margin=0.0)
    strict, _ = load_sentiment_domain("tweets", margin=2.0)
    assert len(strict) < len(loose)  # texts the raters did not agree on are left out


def setup(data: TextDomains) -> TextDomains:
    data.setup("fit")
    return data


def write_csv(path, rows, header="text,label"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


GOOD = [
    f'"review {i} was {"great" if i % 2 else "awful"}",{"pos" if i % 2 else "neg"}'
    for i in range(40)
]


def test_own_csv_and_jsonl_files_train_with_an_unlabeled_target(tmp_path):
    source = write_csv(tmp_path / "source.csv", GOOD)
    target = tmp_path / "target.jsonl"
    target.write_text("\n".join(json.dumps({"text": f"item {i} is fine"}) for i in range(30)))
    data = setup(TextDomains(source, str(target), max_length=16, batch_size=8))
    assert data.classes == ["neg", "pos"]
    ids, label = data.load_domain(source, train=True)[0]
    assert ids.shape == (16,) and ids.dtype == torch.long and label in (0, 1)
    assert (data.load_domain(str(target), train=True).labels == -1).all()
    batch = next(iter(data.train_dataloader()))[0]
    assert batch["target"].shape == (8, 16)  # target texts arrive without labels


def write_folder(root, texts_by_class):
    for label, texts in texts_by_class.items():
        folder = root / label if label else root
        folder.mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(texts):
            (folder / f"{i:03d}.txt").write_bytes(text.encode() if isinstance(text, str) else text)
    return str(root)


def test_a_folder_of_txt_files_per_class_is_a_labeled_domain_and_loose_files_unlabeled(
    tmp_path,
):
    source = write_folder(
        tmp_path / "reviews",
        {"pos": [f"great film {i}" for i in range(12)], "neg": [f"dull {i}" for i in range(9)]},
    )
    target = write_folder(tmp_path / "shop", {"": [f"the kettle {i} works" for i in range(10)]})
    data = setup(TextDomains(source, target, max_length=16, batch_size=4))
    assert data.classes == ["neg", "pos"]
    assert sorted(data.load_domain(source, train=True).labels.tolist()) == [0] * 9 + [1] * 12
    assert (data.load_domain(target, train=True).labels == -1).all()


@pytest.mark.parametrize(
    "case",
    [
        "empty folder",
        "empty class folder",
        "empty file",
        "not utf-8 file",
        "mixed layout",
        "unknown class folder",
    ],
)
def test_bad_text_folders_are_named(case, tmp_path):
    source = write_folder(tmp_path / "src", {"pos": ["fine"] * 3, "neg": ["bad"] * 3})
    target = tmp_path / "tgt"
    expected = {
        "empty folder": "tgt: no .txt files",
        "empty class folder": "tgt: class folders without .txt files: ['neg']",
        "empty file": "001.txt: the text is empty",
        "not utf-8 file": "000.txt: not UTF-8 text",
        "mixed layout": "holds both class folders and loose .txt files (000.txt)",
        "unknown class folder": f"{target / 'meh'}: labels ['meh'] are not classes",
    }[case]
    if case == "empty folder":
        target.mkdir()
    elif case == "empty class folder":
        write_folder(target, {"pos": ["ok"]})
        (target / "neg").mkdir()
    elif case == "empty file":
        write_folder(target, {"pos": ["ok", "  \n"]})
    elif case == "not utf-8 file":
        write_folder(target, {"pos": [b"\xff\xfe bad"]})
    elif case == "mixed layout":
        write_folder(target, {"pos": ["ok"], "": ["loose"]})
    else:
        write_folder(target, {"pos": ["ok"], "meh": ["so so"]})
    with pytest.raises(ValueError, match=re.escape(expected)):
        setup(TextDomains(source, str(target), max_length=16))


@pytest.mark.parametrize(
    "case",
    ["missing column", "empty text", "not utf-8", "unknown target label", "not a domain"],
)
def test_bad_text_input_is_named(case, tmp_path):
    source = write_csv(tmp_path / "source.csv", GOOD)
    target = write_csv(tmp_path / "target.csv", GOOD[:10])
    expected = {
        "missing column": "no column 'text' (text_column)",
        "empty text": "line 3: the text is empty",
        "not utf-8": "line 2: not UTF-8 text",
        "unknown target label": "target.csv, line 6: labels ['meh'] are not classes of the source",
        "not a domain": "text domain 'reviews.txt'",
    }[case]
    if case == "missing column":
        source = write_csv(tmp_path / "source.csv", GOOD, header="body,label")
    elif case == "empty text":
        target = write_csv(tmp_path / "target.csv", [GOOD[0], '"  ",pos'])
    elif case == "not utf-8":
        (tmp_path / "target.csv").write_bytes(b"text,label\n\xff\xfe bad,pos\n")
    elif case == "unknown target label":
        target = write_csv(tmp_path / "target.csv", [GOOD[0], '"so so,\nmeh",pos', "", "fine,meh"])
    else:
        target = "reviews.txt"
    with pytest.raises((ValueError, FileNotFoundError), match=re.escape(expected)):
        setup(TextDomains(source, target, max_length=16))


def test_topic_domains_hold_every_topic_in_each_language():
    from transferlab.data.topics import TOPICS, load_topic_domain, topic_languages

    assert {"english", "italian", "japanese", "korean", "ukrainian"} <= set(topic_languages())
    texts, labels = load_topic_domain("topics:italian")
    assert len(texts) > 500 and set(labels) == set(range(len(TOPICS)))
    english = dict(zip(*load_topic_domain("topics:english"), strict=True))
    assert english["Electricity is food for robots."] == TOPICS.index("food")
    ukrainian = load_topic_domain("topics:ukrainian")[0]  # two dialogues are one string each
    assert min(len(text) for text in ukrainian) > 1


def test_a_text_under_two_topics_is_left_out_and_a_repeat_kept_once(tmp_path, monkeypatch):
    from transferlab.data import topics

    folder = tmp_path / "data" / "klingon"
    folder.mkdir(parents=True)
    for topic in topics.TOPICS:
        (folder / f"{topic}.yml").write_text(f"conversations:\n- - about {topic}\n  - shared\n")
    food = "conversations:\n- - pizza\n  - pasta\n- - pizza\n  - shared\n- one string, one line\n"
    (folder / "food.yml").write_text(food)
    monkeypatch.setattr(topics, "corpus_folder", lambda: tmp_path / "data")
    texts, labels = topics.load_topic_domain("topics:klingon")
    assert "shared" not in texts and texts.count("pizza") == 1
    assert "one string, one line" in texts and "o" not in texts
    assert labels[texts.index("pasta")] == topics.TOPICS.index("food")


@pytest.mark.parametrize(
    "source, target, expected",
    [
        ("topics:english", "topics:klingon", "topic domain 'topics:klingon': languages are"),
        ("movies", "topics:italian", "topics:italian has the classes ['ai', 'emotion'"),
    ],
)
def test_bad_topic_domains_are_named(source, target, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        setup(TextDomains(source, target, tokenizer="use_multilingual"))


def test_a_second_data_module_over_the_same_texts_reuses_their_token_ids():
    from transferlab.data.text import _token_ids, tokenize

    texts = ["a warm, funny film", "broken on arrival"]
    first = tokenize(texts, "minilm", 8)
    hits = _token_ids.cache_info().hits
    second = tokenize(list(texts), "minilm", 8)
    assert _token_ids.cache_info().hits == hits + 1 and torch.equal(first, second)
    second[0, 0] = -5  # each caller gets its own copy
    assert torch.equal(tokenize(texts, "minilm", 8), first)
    assert tokenize(texts, "minilm", 6).shape == (2, 6)  # another length: tokenized anew


def test_a_training_split_smaller_than_a_batch_is_refused_not_skipped(tmp_path):
    """Full batches only (drop_last): 10 target texts leave 7 to train on, no batch of 16,
    and an epoch that trains nothing -- refused before training, naming the split."""
    source = write_csv(tmp_path / "source.csv", GOOD)
    target = write_csv(tmp_path / "target.csv", GOOD[:10])
    data = setup(TextDomains(source, target, max_length=16, batch_size=16))
    with pytest.raises(ValueError, match="the target training split holds 7 examples, fewer"):
        data.train_dataloader()
    loaders = setup(TextDomains(source, target, max_length=16, batch_size=7)).train_dataloader()
    assert len(loaders.iterables["target"]) == 1


def test_a_quoted_text_over_several_lines_keeps_its_breaks_and_rows_keep_their_lines(tmp_path):
    from transferlab.data.text import numbered_rows

    path = tmp_path / "reviews.csv"
    path.write_text('text,label\n"great film\nloved it",pos\n\nawful,neg\n', encoding="utf-8")
    assert numbered_rows(path, "text", "label") == [
        (2, "great film\nloved it", "pos"),
        (5, "awful", "neg"),  # after the two-line text and a blank line
    ]
