"""A few labels per class of a text domain, the rest unlabeled: the data of few-label
fine-tuning, self-training, Mean Teacher and active learning on text."""

import pytest
import torch

from transferlab.data import SemiSupervisedText
from transferlab.data.datasets import dataset_labels
from transferlab.data.text import dataset_texts


def test_k_labeled_texts_per_class_and_the_rest_unlabeled_as_token_ids():
    data = SemiSupervisedText("amazon", labels_per_class=8, max_length=16, batch_size=4)
    data.setup("fit")
    labeled, pool = data.splits["source"]["train"], data.splits["target"]["train"]
    assert sorted(dataset_labels(labeled).tolist()) == [0] * 8 + [1] * 8
    assert len(pool) > 1000 and not set(dataset_texts(labeled)) & set(dataset_texts(pool))
    batch = next(iter(data.train_dataloader()))[0]
    assert batch["source"][0].shape == (4, 16) and batch["source"][0].dtype == torch.long
    assert set(batch["target"]) == {"image", "index"}  # no label reaches the pool's batch


def test_a_fresh_split_seed_draws_other_labeled_texts():
    def drawn(seed):
        data = SemiSupervisedText("amazon", labels_per_class=8, max_length=16, split_seed=seed)
        data.setup("fit")
        return set(dataset_texts(data.splits["source"]["train"]))

    assert drawn(0) != drawn(1)


def test_augmented_views_are_refused_for_text():
    with pytest.raises(ValueError, match="text has no augmented views.*got \\['strong'\\]"):
        SemiSupervisedText("amazon", unlabeled_views=["identity", "strong"])
