"""``transferlab predict --ckpt CKPT --images DIR_OR_GLOB --output predictions.csv``, or
``--texts FILE.csv`` for a checkpoint trained on text.

Points a trained checkpoint of any classifying method at image files and writes, per
readable file, the predicted class name, its probability and the top-k alternatives. The
class names and the input size come from the checkpoint itself, so no config is needed.
Unreadable files are listed and left out before any prediction starts.
"""

from __future__ import annotations

import csv
import glob
import shutil
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

import transferlab.backbones  # noqa: F401  (registers digit_cnn with timm)
from transferlab import methods
from transferlab.checkpoints import load_method
from transferlab.commands.options import command_parser, parse
from transferlab.data.datasets import Unlabeled
from transferlab.data.domains import default_num_workers
from transferlab.data.image_folders import (
    UNLABELED,
    FolderImages,
    find_unreadable,
    folder_transform,
    image_files,
    unreadable_message,
)
from transferlab.data.text import read_rows, tokenize


def resolve_images(patterns: str | list[str]) -> list[Path]:
    """The image files of folders (searched recursively), files and glob patterns, as a
    shell passes them (an unquoted glob arrives as many files), each file once."""
    files: dict[Path, None] = {}  # ordered, each file once
    for pattern in [patterns] if isinstance(patterns, str) else patterns:
        path = Path(pattern)
        if path.is_dir():
            found = image_files(path)
        elif path.is_file():
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not found:
            raise FileNotFoundError(f"no image files found at {pattern!r}")
        files |= dict.fromkeys(found)
    return list(files)


def predict_files(
    model: methods.TransferModule,
    info: dict,
    files: list[Path],
    batch_size: int = 64,
    num_workers: int | None = None,
) -> torch.Tensor:
    """Class probabilities for each file, batched, with loader workers."""
    preprocessing = info.get("input") or {}
    if "image_size" not in preprocessing:
        raise ValueError(
            "this checkpoint does not record its input size; retrain it with this version"
        )
    transform = folder_transform(
        preprocessing["image_size"], preprocessing["mean"], preprocessing["std"], augment=False
    )
    dataset = Unlabeled(FolderImages(files, [UNLABELED] * len(files), transform))
    workers = default_num_workers() if num_workers is None else num_workers
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers)
    trainer = L.Trainer(accelerator="auto", devices=1, logger=False, enable_progress_bar=False)
    return torch.cat(trainer.predict(model, dataloaders=loader))


def predict_texts(model, info: dict, names: list[str], args) -> Path:
    """``--texts``: one row per text, the text itself in the first column."""
    spec = info.get("input") or {}
    if "tokenizer" not in spec:
        raise ValueError(f"{args.ckpt} was not trained on text; use --images")
    texts = [text for text, _ in read_rows(Path(args.texts), args.text_column, None)]
    loader = DataLoader(tokenize(texts, spec["tokenizer"], spec["max_length"]), args.batch_size)
    trainer = L.Trainer(accelerator="auto", devices=1, logger=False, enable_progress_bar=False)
    probabilities = torch.cat(trainer.predict(model, dataloaders=loader))
    output = Path(args.output)
    write_predictions(output, texts, probabilities, names, args.top_k, first_column="text")
    print(f"wrote {len(texts)} predictions to {output}")
    return output


def write_predictions(
    output: Path,
    files: list,
    probabilities: torch.Tensor,
    names: list[str],
    top_k: int,
    first_column: str = "path",
) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    k = min(top_k, probabilities.shape[1])
    top_probabilities, top_classes = probabilities.topk(k, dim=1)
    with output.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([first_column, "predicted_class", "probability", "top_k"])
        for path, values, classes in zip(files, top_probabilities, top_classes, strict=True):
            alternatives = ";".join(
                f"{names[c]}:{p:.4f}"
                for c, p in zip(classes.tolist(), values.tolist(), strict=True)
            )
            writer.writerow([str(path), names[classes[0]], f"{values[0]:.4f}", alternatives])


def sort_into(folder: Path, files: list[Path], predicted: list[str]) -> None:
    """Copy every file into ``folder/<predicted class>/`` (copies: the originals stay)."""
    for path, name in zip(files, predicted, strict=True):
        destination = folder / name
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination / path.name)


def main(argv: list[str] | None = None) -> Path:
    parser = command_parser("predict", __doc__)
    parser.add_argument("--ckpt", required=True, help="a checkpoint written by transferlab fit")
    parser.add_argument(
        "--images", nargs="+", default=None, help="folders, image files or glob patterns"
    )
    parser.add_argument(
        "--texts", default=None, help="a .csv / .jsonl of texts (a checkpoint trained on text)"
    )
    parser.add_argument("--text_column", default="text", help="the texts' column or key")
    parser.add_argument("--output", default="predictions.csv", help="CSV file to write")
    parser.add_argument("--top_k", type=int, default=3)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--num_workers", type=int | None, default=None)
    parser.add_argument(
        "--sort_into", type=str | None, default=None, help="copy files into <dir>/<class>/"
    )
    args = parse(parser, argv)

    if bool(args.images) == bool(args.texts):
        raise ValueError("give --images (folders, files, globs) or --texts (a .csv / .jsonl)")
    model, info = load_method(args.ckpt)
    names = info.get("class_names") or [str(i) for i in range(model.num_classes)]
    if args.texts:
        return predict_texts(model, info, names, args)
    files = resolve_images(args.images)
    bad = find_unreadable(files)
    if bad:
        print(f"left out: {unreadable_message(bad)}")
        files = [f for f in files if f not in bad]
    if not files:
        raise ValueError(f"none of the images at {' '.join(args.images)} can be read")
    probabilities = predict_files(model, info, files, args.batch_size, args.num_workers)
    output = Path(args.output)
    write_predictions(output, files, probabilities, names, args.top_k)
    if args.sort_into:
        sort_into(Path(args.sort_into), files, [names[i] for i in probabilities.argmax(1)])
    print(f"wrote {len(files)} predictions to {output}")
    return output
