"""One registry mechanism for everything chosen by name: the lists callers show (argparse
choices, ``Literal`` types, ``__all__``) are the registries' own."""

import typing

import pytest

import transferlab.methods as methods
from transferlab.active.strategies import STRATEGIES
from transferlab.deploy.formats import EXPORT_FORMATS
from transferlab.evaluation.validators import LABEL_FREE_VALIDATORS, VALIDATORS, ValidatorName
from transferlab.explain.attributions import EXPLAINERS
from transferlab.methods.base import TransferModule
from transferlab.registry import METHODS, Registry


def test_an_unknown_name_is_refused_with_the_known_ones():
    registry = Registry("colour")
    registry.add("red", 1)
    registry.add("blue", 2)
    with pytest.raises(ValueError, match="unknown colour 'green'; choose from red, blue"):
        registry.get("green")
    assert registry["blue"] == 2 and "red" in registry and registry.names() == ("red", "blue")


def test_a_name_cannot_mean_two_things():
    registry = Registry("colour")
    registry.add("red", 1)
    with pytest.raises(ValueError, match="registered twice"):
        registry.add("red", 2)


def test_every_method_is_registered_and_exported_by_its_name():
    assert len(METHODS.names()) >= 31
    ours = [entry for entry in METHODS if entry.target.__module__.startswith("transferlab.")]
    for entry in ours:
        assert getattr(methods, entry.name) is entry.target
    assert {entry.name for entry in ours} <= set(methods.__all__)
    # the family bases are exported but are not methods a config or checkpoint names
    assert "TransferModule" in methods.__all__ and "TransferModule" not in METHODS


def test_declared_needs_drive_the_callers():
    assert set(STRATEGIES.names()) == {
        "random",
        "least_confident",
        "margin",
        "entropy",
        "bald",
        "core_set",
        "badge",
    }
    assert STRATEGIES.entry("bald").needs == ("passes",)
    assert STRATEGIES.entry("badge").needs == ("probabilities", "features")
    assert [e.name for e in EXPORT_FORMATS if not e.quantizes] == ["network"]
    assert EXPLAINERS.names() == ("gradcam", "lime", "shap")


def test_validator_names_come_from_one_list():
    assert typing.get_args(ValidatorName) == VALIDATORS.names()
    assert LABEL_FREE_VALIDATORS == ("im", "snd", "dev")
    hints = typing.get_type_hints(TransferModule.__init__)
    assert typing.get_args(hints["validator"]) == VALIDATORS.names()
