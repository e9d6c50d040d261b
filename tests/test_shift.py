"""Shift simulators, two-sample tests and black-box shift estimation."""

import numpy as np
import torch

from transferlab.data.digits import load_mnist
from transferlab.shift import (
    bbse_target_priors,
    classifier_two_sample_test,
    concept_shift,
    covariate_shift_sample,
    dirichlet_priors,
    label_shift_sample,
    mmd_permutation_test,
    reweight_predictions,
    skewed_priors,
)


def test_label_shift_sample_follows_the_priors():
    labels = torch.arange(10).repeat(100)
    priors = skewed_priors(10, [0, 1], 0.6)
    chosen = label_shift_sample(labels, priors, size=None, seed=0)
    histogram = np.bincount(labels[chosen].numpy(), minlength=10) / len(chosen)
    assert np.allclose(histogram, priors, atol=0.01)
    assert len(set(chosen.tolist())) == len(chosen)
    assert np.isclose(dirichlet_priors(10, 1.0, seed=0).sum(), 1.0)


def test_covariate_shift_favours_the_chosen_feature():
    ink, _ = load_mnist()
    thickness = ink.float().mean(dim=(1, 2, 3))
    chosen = covariate_shift_sample(thickness, strength=1.5, size=1000, seed=0)
    assert thickness[chosen].mean() > thickness.mean() + 0.5 * thickness.std()


def test_concept_shift_relabels_only_the_mapped_classes():
    labels = torch.arange(10).repeat(50)
    new = concept_shift(labels, {3: 8}, rate=1.0, seed=0)
    assert (new[labels == 3] == 8).all()
    assert torch.equal(new[labels != 3], labels[labels != 3])


def test_two_sample_tests_reject_a_shift_and_accept_a_random_split():
    g = torch.Generator().manual_seed(0)
    same = torch.randn(400, 5, generator=g)
    shifted = torch.randn(200, 5, generator=g) + 0.6
    _, p_split = mmd_permutation_test(same[:200], same[200:], permutations=100)
    _, p_shift = mmd_permutation_test(same[:200], shifted, permutations=100)
    assert p_split > 0.05 and p_shift < 0.02
    _, c_split = classifier_two_sample_test(same[:200].numpy(), same[200:].numpy())
    accuracy, c_shift = classifier_two_sample_test(same[:200].numpy(), shifted.numpy())
    assert c_split > 0.05 and c_shift < 0.01 and accuracy > 0.6


def test_bbse_recovers_known_target_priors():
    rng = np.random.default_rng(0)
    num_classes, confusion_rate = 4, 0.2

    def predict(labels):  # a source classifier that errs 20% of the time, uniformly
        wrong = rng.random(len(labels)) < confusion_rate
        return np.where(wrong, rng.integers(0, num_classes, len(labels)), labels)

    source_labels = rng.integers(0, num_classes, 20000)
    true_priors = np.array([0.55, 0.25, 0.15, 0.05])
    target_labels = rng.choice(num_classes, 20000, p=true_priors)
    priors, weights = bbse_target_priors(
        predict(source_labels), source_labels, predict(target_labels), num_classes
    )
    assert np.allclose(priors, true_priors, atol=0.02)
    corrected = reweight_predictions(np.full((1, 4), 0.25), weights)
    assert corrected.argmax() == 0 and np.isclose(corrected.sum(), 1.0)


def test_shifted_digits_gives_the_target_the_requested_priors():
    from transferlab.data import ShiftedDigits

    priors = [0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]
    data = ShiftedDigits(base="mnist", shift="label", target_priors=priors)
    _, target_labels = data.load_tensors(data.target)
    _, source_labels = data.load_tensors(data.source)
    histogram = np.bincount(target_labels.numpy(), minlength=10) / len(target_labels)
    assert np.allclose(histogram, priors, atol=0.01)
    assert len(source_labels) == 2500


def test_shift_report_cli_tells_label_shift_from_no_shift(tmp_path, capsys):
    import json

    from tests.conftest import config
    from transferlab.commands.shift_report import main

    verdicts = {}
    for kind in ("label", "none"):
        out = tmp_path / f"{kind}.json"
        main(["-c", config(f"shift/mnist_{kind}_shift.yaml"), "--json", str(out)])
        verdicts[kind] = json.loads(out.read_text())
    assert verdicts["label"]["label_shift_suspected"] and verdicts["label"]["inputs_differ"]
    assert not verdicts["none"]["label_shift_suspected"]
    assert not verdicts["none"]["inputs_differ"]
    assert verdicts["label"]["estimated_target_priors"][0] > 0.2
    assert verdicts["label"]["bbse_reliable"]
    assert "concept shift" in capsys.readouterr().out


def test_bbse_callback_estimates_the_target_priors_and_logs_the_corrected_accuracy():
    from tests.conftest import build_cli, config
    from transferlab.callbacks import LabelShiftCorrection

    cli = build_cli(config("source_only/mnist_label_shift_bbse.yaml"), "--trainer.max_epochs=2")
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    metrics = cli.trainer.test(cli.model, datamodule=cli.datamodule, verbose=False)
    callback = next(c for c in cli.trainer.callbacks if isinstance(c, LabelShiftCorrection))
    assert abs(callback.estimated_priors[0] - 0.55) < 0.1  # the skew it was given
    assert 0.0 <= metrics[1]["test/target_acc_bbse"] <= 1.0


def test_shift_report_does_not_claim_label_shift_when_the_classes_themselves_change(tmp_path):
    """MNIST -> MNIST-M: the same digits (uniform priors on both sides) drawn differently.
    BBSE's assumption (p(x|y) unchanged) is broken, so no label shift may be claimed."""
    import json

    from transferlab.commands.shift_report import main

    out = tmp_path / "covariate.json"
    main(
        [
            "--data=transferlab.data.DigitDomains",
            "--data.source=mnist",
            "--data.target=mnistm",
            "--samples=600",
            "--json",
            str(out),
        ]
    )
    report = json.loads(out.read_text())
    assert report["inputs_differ"] and report["class_conditionals_differ"]
    assert not report["label_shift_suspected"] and not report["bbse_reliable"]
