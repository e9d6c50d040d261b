"""Text through the image methods' YAML: swap the data module and the backbone, keep the
method. MiniLM fine-tuned on movie-review snippets learns sentiment and carries it to
Amazon product reviews, classifies a user's CSV, exports to ONNX with the same
predictions and is explained word by word; DANN runs on text unchanged.

Measured at this budget (30 steps of 16 texts of 32 tokens, one thread), seeds 0-2: source
(movie) test accuracy 0.712, 0.756, 0.756 on 160 balanced texts (chance 0.5); target
(Amazon) test accuracy 0.825, 0.863, 0.800 where always answering the majority class scores
the share of positives (about 0.62).
"""

import csv
import json
import statistics
from pathlib import Path

import pytest
import torch

from tests.conftest import QUIET, TEXT_BUDGET, build_cli, config
from transferlab.checkpoints import load_method
from transferlab.commands.cli import NO_CALLBACKS
from transferlab.commands.compare import run_config
from transferlab.commands.explain import main as explain
from transferlab.commands.export import run as export
from transferlab.commands.predict import main as predict
from transferlab.data.sentiment import SENTIMENT_CLASSES, load_sentiment_domain


def predicted_classes(checkpoint: str, texts: Path, output: Path) -> list[str]:
    """``transferlab predict --texts``: the class of each text of the CSV, in order."""
    predict(["--ckpt", checkpoint, "--texts", str(texts), "--output", str(output)])
    return [row["predicted_class"] for row in csv.DictReader(output.open(encoding="utf-8"))]


def onnx_report(checkpoint: str, folder: Path) -> dict:
    """``transferlab export --format onnx``'s report, parity per split included (on the
    first four test batches of each split: the whole splits take a minute on one thread)."""
    return export(
        [
            f"--ckpt={checkpoint}",
            "--format=onnx",
            "--no_latency",
            "--test_batches=4",
            f"--output={folder}",
        ]  # fmt: skip
    )


def test_minilm_learns_sentiment_on_movies_and_carries_it_to_amazon(
    minilm_movies_to_amazon, tmp_path
):
    result = minilm_movies_to_amazon
    assert result.source_test_acc > 0.65  # chance 0.5; lowest of three seeds 0.712
    majority = statistics.fmean(load_sentiment_domain("amazon")[1])
    assert result.target_test_acc > majority + 0.1  # lowest of three seeds: majority + 0.18

    # the checkpoint classifies a user's CSV of texts into a CSV, the text in a column
    texts = tmp_path / "new_reviews.csv"
    texts.write_text('text\n"Absolutely wonderful, I love it"\n"Broke after a day, awful"\n')
    output = tmp_path / "p.csv"
    classes = predicted_classes(result.checkpoint_path, texts, output)
    rows = list(csv.DictReader(output.open()))
    assert [row["text"] for row in rows] == [
        "Absolutely wonderful, I love it",
        "Broke after a day, awful",
    ]
    assert classes == ["positive", "negative"]

    # exported to ONNX, it predicts what the PyTorch network predicts on every test text
    report = onnx_report(result.checkpoint_path, tmp_path / "onnx")
    assert report["test_batches"] == 4
    for split in ("source", "target"):
        assert report[f"{split}_parity"]["top1_agreement"] >= 0.999, split
        assert report[f"{split}_parity"]["max_abs_logit_difference"] < 1e-3, split

    # integrated gradients put each prediction on its sentiment words (seeds 0-2: the
    # positive review's strongest word is "wonderful" every time, 0.43-0.46, "love" next;
    # the negative one's is "broke" or "awful")
    explain(["--ckpt", result.checkpoint_path, "--texts", str(texts), "--output", str(tmp_path)])
    explained = json.loads((tmp_path / "explanations.json").read_text())["texts"]
    strongest = [max(row["words"], key=lambda pair: pair[1])[0] for row in explained]
    assert strongest[0] == "wonderful" and strongest[1] in ("broke", "awful")
    assert "<span" in (tmp_path / "explanations.html").read_text()

    # LIME, which sees only the outputs, finds the same words (seeds 0-2: "wonderful"
    # 0.13-0.16 then "love"; "broke" or "awful")
    lime = tmp_path / "lime"
    explain(["--ckpt", result.checkpoint_path, "--texts", str(texts), "--method=lime",
             "--output", str(lime)])  # fmt: skip
    explained = json.loads((lime / "explanations.json").read_text())
    strongest = [max(row["words"], key=lambda pair: pair[1])[0] for row in explained["texts"]]
    assert explained["method"] == "lime" and "LIME" in (lime / "explanations.html").read_text()
    assert strongest[0] == "wonderful" and strongest[1] in ("broke", "awful")


def test_dann_trains_on_text_unchanged(tmp_path):
    result = run_config(
        config("dann/sentiment_movies_to_amazon.yaml"),
        overrides=[
            *TEXT_BUDGET,
            "--trainer.limit_train_batches=4",
            "--trainer.limit_val_batches=2",
            "--trainer.limit_test_batches=2",
            f"--trainer.default_root_dir={tmp_path}",
        ],
    )
    assert result.method == "DANN" and 0 <= result.target_test_acc <= 1
    assert result.checkpoint_path.endswith(".ckpt")


@pytest.mark.parametrize("method", ["cdan", "mcc", "dan", "jan", "deep_coral", "mcd"])
def test_the_other_adaptation_methods_take_text_too(method, tmp_path):
    """Two batches each, from the method's own text config: its loss works on pooled text
    embeddings, and the encoder learns at the config's fiftieth of the head's rate."""
    cli = build_cli(
        config(f"{method}/sentiment_movies_to_amazon.yaml"),
        *QUIET,
        NO_CALLBACKS,
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--data.init_args.max_length=16",
        "--data.init_args.batch_size=8",
        f"--trainer.default_root_dir={tmp_path}",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.trainer.fit_loop.epoch_loop.batch_progress.total.completed == 2
    assert torch.isfinite(cli.trainer.callback_metrics["train/loss"])
    encoder = {id(p) for p in cli.model.backbone.parameters()}
    rates = {"encoder": set(), "head": set()}
    for group in (g for optimizer in cli.trainer.optimizers for g in optimizer.param_groups):
        owner = "encoder" if any(id(p) in encoder for p in group["params"]) else "head"
        rates[owner].add(round(group["lr"], 9))
    assert rates == {"encoder": {2e-5}, "head": {1e-3}}


def test_shot_adapts_a_text_source_model_without_source_texts(tmp_path):
    """Two steps of a source model, then two of SHOT from its checkpoint. The target is
    80 Amazon reviews in a CSV: SHOT labels every target text at each epoch's start."""
    texts, labels = load_sentiment_domain("amazon")
    target = tmp_path / "amazon_80.csv"
    with target.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        writer.writerows(
            (t, SENTIMENT_CLASSES[y]) for t, y in zip(texts[:80], labels[:80], strict=True)
        )
    short = [
        *QUIET,
        NO_CALLBACKS,
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--data.init_args.max_length=16",
        "--data.init_args.batch_size=8",
        f"--data.init_args.target={target}",
    ]
    source = build_cli(
        config("source_only/sentiment_movies_to_amazon.yaml"),
        *short,
        f"--trainer.default_root_dir={tmp_path / 'source'}",
    )
    source.trainer.fit(source.model, datamodule=source.datamodule)
    checkpoint = tmp_path / "source.ckpt"
    source.trainer.save_checkpoint(checkpoint)
    cli = build_cli(
        config("shot/sentiment_movies_to_amazon.yaml"),
        *short,
        f"--model.init_args.source_checkpoint={checkpoint}",
        f"--trainer.default_root_dir={tmp_path / 'shot'}",
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.trainer.global_step == 2
    assert torch.equal(cli.model.head.weight, source.model.head.weight)  # kept, as SHOT does
    adapted, started = (
        dict(model.backbone.named_parameters()) for model in (cli.model, source.model)
    )
    assert any(not torch.equal(adapted[name], started[name]) for name in started)  # it adapts


def test_lora_trains_a_fraction_of_minilm_and_learns_sentiment(tmp_path):
    """Only the rank-8 updates and the head train. Measured at this budget, seeds 0-2:
    source test accuracy 0.675, 0.750, 0.706 (chance 0.5); Amazon 0.850, 0.831, 0.806."""
    result = run_config(
        config("lora/sentiment_movies_to_amazon.yaml"),
        overrides=[*TEXT_BUDGET, f"--trainer.default_root_dir={tmp_path}"],
    )
    assert result.source_test_acc > 0.62  # lowest of three seeds 0.675
    majority = statistics.fmean(load_sentiment_domain("amazon")[1])
    assert result.target_test_acc > majority + 0.1
    model, _ = load_method(result.checkpoint_path)  # rebuilt with its adapters
    trainable = sum(p.numel() for p in model.backbone.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.backbone.parameters())
    assert 0 < trainable < 0.01 * total


def test_gradual_unfreezing_trains_the_head_first_then_minilm(tmp_path):
    """Lightning's BackboneFinetuning on text as on images: the encoder frozen (unchanged)
    through epoch 0, then added to the optimizer at its own rate and trained in epoch 1."""
    cli = build_cli(
        config("fine_tuning/sentiment_movies_8_labels_gradual.yaml"),
        "--trainer.max_epochs=2",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--data.init_args.max_length=16",
        "--data.init_args.batch_size=8",
        f"--trainer.default_root_dir={tmp_path}",
    )
    embeddings = cli.model.backbone.encoder.embeddings.word_embeddings.weight
    snapshots, groups = [embeddings.detach().clone()], []
    original = cli.model.on_train_epoch_end

    def record():
        snapshots.append(embeddings.detach().clone())
        groups.append([group["lr"] for group in cli.trainer.optimizers[0].param_groups])
        original()

    cli.model.on_train_epoch_end = record
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    start, after_head, after_both = snapshots
    assert torch.equal(start, after_head) and not torch.equal(after_head, after_both)
    (head,), (head_then, encoder) = groups
    assert head_then == pytest.approx(head) and encoder == pytest.approx(0.02 * head)
