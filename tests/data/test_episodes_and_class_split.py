"""Episodes for meta-learning and seen/held-out class splits for metric learning."""

import pytest
import torch

from transferlab.data import ClassSplitDigits, EpisodicDigits


def test_episodes_are_n_way_k_shot_over_disjoint_class_sets():
    data = EpisodicDigits(
        domains=["mnist", "digits"],
        n_way=5,
        k_shot=2,
        queries=3,
        test_episodes=4,
        tasks_per_batch=2,
    )
    data.setup()
    assert len(data.pools["train"]) == 14 and len(data.pools["test"]) == 6
    batch = next(iter(data.test_dataloader()[1]))
    assert batch["support_x"].shape == (2, 10, 3, 28, 28)
    assert batch["support_y"][0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert batch["query_y"].shape == (2, 15)
    again = next(iter(data.test_dataloader()[1]))
    assert torch.equal(batch["query_x"], again["query_x"])  # fixed test episodes
    held_out = {tuple(p[0].flatten().tolist()) for p in data.pools["test"]}
    seen = {tuple(p[0].flatten().tolist()) for p in data.pools["train"]}
    assert not held_out & seen


def test_validation_images_of_training_classes_are_not_trained_on():
    data = EpisodicDigits(domains=["digits"])
    data.setup()
    for train, val in zip(data.pools["train"], data.pools["val"], strict=True):
        flat_train = {tuple(x.flatten().tolist()) for x in train}
        assert not any(tuple(x.flatten().tolist()) in flat_train for x in val[:20])


def test_overlapping_digits_and_small_class_sets_are_clear_errors():
    with pytest.raises(ValueError, match="both meta-train and meta-test"):
        EpisodicDigits(train_digits=[0, 1, 7], test_digits=[7, 8, 9])
    data = EpisodicDigits(domains=["mnist"], n_way=5)
    data.setup()
    with pytest.raises(ValueError, match="need n_way=5"):
        data.test_dataloader()


def test_class_split_batches_are_class_balanced_and_never_hold_out_classes():
    data = ClassSplitDigits(
        domain="mnist", seen_classes=[0, 1, 2, 3, 4, 5], classes_per_batch=4, samples_per_class=5
    )
    data.setup()
    images, labels = next(iter(data.train_dataloader()))
    assert images.shape[0] == 20
    assert sorted(torch.bincount(labels).tolist(), reverse=True)[:4] == [5, 5, 5, 5]
    assert labels.max() < 6  # renumbered seen classes
    held_out = torch.cat([y for _, y in data.eval_dataloader("target", "test")])
    assert set(held_out.tolist()) == {6, 7, 8, 9}
    seen = torch.cat([y for _, y in data.eval_dataloader("source", "train")])
    assert set(seen.tolist()) == {0, 1, 2, 3, 4, 5}


def test_omniglot_without_its_files_is_a_clear_error(tmp_path):
    from transferlab.data import EpisodicOmniglot

    data = EpisodicOmniglot(root=str(tmp_path), download=False)
    with pytest.raises(RuntimeError, match="could not load Omniglot .*EpisodicDigits"):
        data.setup()
