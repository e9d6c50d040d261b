"""A person in the loop: the query written as a CSV, the labels read back and checked
(nothing added when a row is wrong), and the labels given reaching the training split."""

import csv

import pytest
import torch
from torch.utils.data import ConcatDataset, Subset

from transferlab.active.annotation import CsvAnnotator, SimulatedAnnotator, source_file
from transferlab.data import SemiSupervisedDigits
from transferlab.data.image_folders import FolderImages

CLASSES = ["cat", "dog", "owl"]


class Images(torch.utils.data.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, index):
        return torch.full((3, 8, 8), float(index)), -1


def fill(path, labels: dict[int, str], drop: int | None = None):
    rows = list(csv.DictReader(path.open()))
    kept = [row | {"label": labels.get(int(row["position"]), "")} for row in rows]
    kept = [row for row in kept if int(row["position"]) != drop]
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, rows[0].keys())
        writer.writeheader()
        writer.writerows(kept)


def test_a_query_is_written_with_files_predictions_and_an_empty_label_column(tmp_path):
    annotator = CsvAnnotator(tmp_path / "queries", Images(), CLASSES)
    probabilities = torch.tensor([[0.1, 0.2, 0.7]] * 6)
    assert annotator.request([4, 1], probabilities, round_=3) is None
    rows = list(csv.DictReader((tmp_path / "queries" / "round_3.csv").open()))
    assert [r["position"] for r in rows] == ["4", "1"]
    assert {r["predicted"] for r in rows} == {"owl"} and rows[0]["probability"] == "0.7000"
    assert all(r["label"] == "" for r in rows)
    assert all((tmp_path / "queries" / "round_3" / f"{p}.png").is_file() for p in (4, 1))


def test_labels_are_read_back_and_every_bad_row_is_named(tmp_path):
    annotator = CsvAnnotator(tmp_path, Images(), CLASSES)
    annotator.request([0, 2, 5], torch.full((6, 3), 1 / 3), round_=0)
    path = tmp_path / "round_0.csv"
    with pytest.raises(ValueError, match=r"position 0\): has no label.*Nothing was added"):
        annotator.collect([0, 2, 5], 0)
    fill(path, {0: "cat", 2: "horse", 5: "owl"})
    with pytest.raises(ValueError, match=r"label 'horse' is not a class.*Classes: cat, dog, owl"):
        annotator.collect([0, 2, 5], 0)
    fill(path, {0: "cat", 2: "dog", 5: "owl"}, drop=5)
    with pytest.raises(ValueError, match="no row for queried position 5"):
        annotator.collect([0, 2, 5], 0)
    annotator.request([0, 2, 5], torch.full((6, 3), 1 / 3), round_=0)
    fill(path, {0: "cat", 2: " dog ", 5: "owl"})
    assert annotator.collect([0, 2, 5], 0) == {0: 0, 2: 1, 5: 2}


def test_the_simulated_annotator_refuses_images_without_a_known_label():
    annotator = SimulatedAnnotator(torch.tensor([3, -1, 4]))
    assert annotator.request([0, 2], torch.empty(0), 0) == {0: 3, 2: 4}
    with pytest.raises(ValueError, match=r"positions \[1\] have no known label.*csv"):
        annotator.request([1], torch.empty(0), 0)


def test_the_file_of_a_pool_image_is_found_through_subsets_and_concatenation(tmp_path):
    first = FolderImages([tmp_path / "a.png", tmp_path / "b.png"], [0, 1], None)
    second = FolderImages([tmp_path / "c.png", tmp_path / "d.png"], [-1, -1], None)
    pool = ConcatDataset([Subset(first, [1]), Subset(second, [1, 0])])
    assert [source_file(pool, i).name for i in range(3)] == ["b.png", "d.png", "c.png"]
    assert source_file(Images(), 0) is None


def test_labels_given_by_a_person_replace_the_datasets_labels_of_those_positions():
    data = SemiSupervisedDigits(
        domain="digits", labeled_indices=[0, 1, 2], annotations={"1": 7}, batch_size=2
    )
    pool, labels = data.training_pool()
    data.setup("fit")
    train = data.splits["source"]["train"]
    assert train.labels.tolist() == [int(labels[0]), 7, int(labels[2])]
    assert len(data.splits["target"]["train"]) == len(pool) - 3
    with pytest.raises(
        ValueError, match=r"annotations for positions not in labeled_indices: \[9\]"
    ):
        SemiSupervisedDigits(domain="digits", labeled_indices=[0], annotations={9: 1}).setup("fit")


def test_a_pool_of_texts_is_queried_with_the_texts_themselves_in_the_csv(tmp_path):
    from torch.utils.data import Subset

    from transferlab.data.text import TokenizedTexts

    texts = [f"review number {i}" for i in range(6)]
    pool = Subset(
        TokenizedTexts(torch.zeros(6, 4, dtype=torch.long), torch.zeros(6), texts), [5, 3, 1]
    )
    annotator = CsvAnnotator(tmp_path, pool, CLASSES)
    annotator.request([0, 2], torch.full((3, 3), 1 / 3), round_=0)
    rows = list(csv.DictReader((tmp_path / "round_0.csv").open()))
    assert [r["text"] for r in rows] == ["review number 5", "review number 1"]
    assert "file" not in rows[0] and not (tmp_path / "round_0").exists()
    fill(tmp_path / "round_0.csv", {0: "dog", 2: "cat"})
    assert annotator.collect([0, 2], 0) == {0: 1, 2: 0}
