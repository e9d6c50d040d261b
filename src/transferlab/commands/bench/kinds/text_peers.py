"""Text classifiers from outside the project, measured on our exact splits: the kind
``peer_tfidf_logreg``.

TF-IDF + logistic regression (scikit-learn) is the baseline every text-classification
paper reports first, and the one a reader should ask a fine-tuned encoder to beat. The
kind builds the row's config the way ``transferlab fit`` would, without training: the
data module's labeled training texts (with ``SemiSupervisedText``, the few labeled texts
per class) fit the vectorizer and the classifier, and its test splits score it. Nothing is
tuned: word uni- and bigrams with sublinear term frequency, scikit-learn's default
regularisation (``C=1``), so no split chooses anything ("selected by: none").
"""

from __future__ import annotations

import time
from pathlib import Path

from transferlab.commands.bench.runner import KINDS
from transferlab.commands.bench.spec import Run, Spec


def splits_of(config: str, seed: int, overrides: list[str]):
    """The data module of ``config`` with these overrides, set up for fitting."""
    from transferlab.commands.cli import TransferLabCLI

    cli = TransferLabCLI(args=["-c", config, f"--seed_everything={seed}", *overrides], run=False)
    cli.datamodule.setup("fit")
    return cli.datamodule


def accuracy_on(pipeline, dataset) -> float:
    from transferlab.data.datasets import dataset_labels
    from transferlab.data.text import dataset_texts

    predicted = pipeline.predict(dataset_texts(dataset))
    return float((predicted == dataset_labels(dataset).numpy()).mean())


@KINDS.register("peer_tfidf_logreg")
def tfidf_logreg(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from transferlab.data.datasets import dataset_labels
    from transferlab.data.text import dataset_texts

    data = splits_of(str(spec.root / run.row.config), run.seed, overrides)
    labeled = data.splits["source"]["train"]
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(max_iter=1000, random_state=run.seed),
    )
    start = time.perf_counter()
    pipeline.fit(dataset_texts(labeled), dataset_labels(labeled).numpy())
    fit_seconds = time.perf_counter() - start
    return {
        "method": "TF-IDF + logistic regression",
        "source": data.source,
        "target": data.target,
        "protocol": "none",
        "target_test_acc": accuracy_on(pipeline, data.splits["target"]["test"]),
        "source_test_acc": accuracy_on(pipeline, data.splits["source"]["test"]),
        "select_score": None,
        "fit_seconds": round(fit_seconds, 2),
        "labeled_texts": len(labeled),
        "test_images": {
            "source": len(data.splits["source"]["test"]),
            "target": len(data.splits["target"]["test"]),
        },
    }
