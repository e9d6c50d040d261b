"""Who answers a query: the known labels of an offline dataset, or a person via a CSV file.

An annotator has two calls. ``request(positions, probabilities, round)`` asks for the
labels of pool positions: the simulated annotator answers at once; the CSV annotator writes
``queries/round_<r>.csv`` (one row per image: pool position, file, predicted class, its
probability, an empty ``label`` column; for a pool of texts the text itself instead of a
file) and answers ``None``, so the loop saves its state
and stops. ``collect(positions, round)`` reads the filled-in file on the next call and
checks every row before anything is added: a missing row, an empty label or a class name
that does not exist is named in the error, and the loop's state stays as it was.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch
from torch.utils.data import ConcatDataset, Dataset, Subset
from torchvision.utils import save_image

COLUMNS = ["position", "file", "predicted", "probability", "label"]


class SimulatedAnnotator:
    """Answers from the labels the offline dataset already has."""

    def __init__(self, labels: torch.Tensor) -> None:
        self.labels = labels

    def request(self, positions: list[int], probabilities, round_: int):
        unknown = [p for p in positions if self.labels[p] < 0]
        if unknown:
            raise ValueError(
                f"pool positions {unknown[:10]} have no known label: a simulated annotator "
                "cannot answer for unlabeled images; use active.annotator: csv"
            )
        return {p: int(self.labels[p]) for p in positions}

    def collect(self, positions: list[int], round_: int) -> dict[int, int]:
        return self.request(positions, torch.empty(0), round_)


class CsvAnnotator:
    """A person labels the queried images in a CSV file between two calls."""

    def __init__(self, folder: Path, pool: Dataset, classes: list[str]) -> None:
        self.folder, self.pool, self.classes = Path(folder), pool, list(classes)

    def path(self, round_: int) -> Path:
        """``round_<r>.csv``; round -1 is the cold start's first batch (no model yet)."""
        return self.folder / ("cold_start.csv" if round_ < 0 else f"round_{round_}.csv")

    def request(self, positions: list[int], probabilities: torch.Tensor | None, round_: int):
        self.folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for position in positions:
            text = source_text(self.pool, position)
            shown = (
                {"text": text} if text is not None else {"file": self._file_of(position, round_)}
            )
            row = {"position": position, **shown, "label": ""}
            if probabilities is not None:  # a cold start has no trained model to ask
                confidence, predicted = probabilities[position].max(0)
                row |= {"predicted": self.classes[int(predicted)]}
                row |= {"probability": f"{float(confidence):.4f}"}
            rows.append(row)
        partial = self.path(round_).with_suffix(".tmp")
        with partial.open("w", newline="") as file:
            columns = COLUMNS if "file" in rows[0] else [c.replace("file", "text") for c in COLUMNS]
            writer = csv.DictWriter(file, columns)
            writer.writeheader()
            writer.writerows(rows)
        partial.replace(self.path(round_))
        what = "images" if "file" in rows[0] else "texts"
        print(
            f"{len(rows)} {what} to label: fill in the 'label' column of {self.path(round_)} "
            f"(one of {', '.join(self.classes)}) and run the same command again",
            flush=True,
        )
        return None

    def collect(self, positions: list[int], round_: int) -> dict[int, int]:
        path = self.path(round_)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: the labels of round {round_}")
        with path.open(newline="") as file:
            rows = list(csv.DictReader(file))
        answers, seen, problems = {}, set(), []
        for line, row in enumerate(rows, start=2):
            try:
                position = int(row.get("position") or "")
            except ValueError:
                problems.append(f"line {line}: position {row.get('position')!r} is not a number")
                continue
            seen.add(position)
            label = (row.get("label") or "").strip()
            if label not in self.classes:
                what = "has no label" if not label else f"label {label!r} is not a class"
                problems.append(f"line {line} (position {position}): {what}")
            else:
                answers[position] = self.classes.index(label)
        problems += [f"no row for queried position {p}" for p in sorted(set(positions) - seen)]
        extra = sorted(seen - set(positions))
        problems += [f"position {p} was not queried in round {round_}" for p in extra]
        if problems:
            raise ValueError(
                f"{path}: " + "; ".join(problems) + f". Classes: {', '.join(self.classes)}. "
                "Nothing was added; fix the file and run again."
            )
        return answers

    def _file_of(self, position: int, round_: int) -> str:
        """The image's file; images that live in memory (the offline digits) are written
        as PNGs next to the CSV so a person can look at them."""
        found = source_file(self.pool, position)
        if found is not None:
            return str(found)
        image = self.pool[position][0]
        target = self.path(round_).with_suffix("") / f"{position}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        save_image(displayable(image), target)
        return str(target)


def base_item(dataset: Dataset, index: int) -> tuple[Dataset, int]:
    """The innermost dataset an item of a (nested) Subset / ConcatDataset comes from, and
    its index there."""
    while True:
        if isinstance(dataset, Subset):
            dataset, index = dataset.dataset, dataset.indices[index]
        elif isinstance(dataset, ConcatDataset):
            part = next(i for i, end in enumerate(dataset.cumulative_sizes) if index < end)
            index -= dataset.cumulative_sizes[part - 1] if part else 0
            dataset = dataset.datasets[part]
        else:
            return dataset, index


def source_file(dataset: Dataset, index: int) -> Path | None:
    """The file an item comes from, if it has one."""
    base, index = base_item(dataset, index)
    files = getattr(base, "files", None)
    return None if files is None else Path(files[index])


def source_text(dataset: Dataset, index: int) -> str | None:
    """The text an item of a text pool is, if it is one."""
    base, index = base_item(dataset, index)
    texts = getattr(base, "texts", None)
    return None if texts is None else texts[index]


def displayable(image: torch.Tensor) -> torch.Tensor:
    """A normalised image tensor stretched back to [0, 1] for viewing."""
    low, high = image.min(), image.max()
    return (image - low) / (high - low).clamp_min(1e-6)
