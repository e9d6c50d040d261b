"""Every method is reachable as ``transferlab.methods.<ShortName>``, whatever its folder."""

import importlib
import inspect
import pkgutil

import lightning as L

import transferlab.methods as methods


def test_every_lightning_module_in_methods_is_exported_by_its_short_name():
    defined = set()
    for info in pkgutil.walk_packages(methods.__path__, prefix="transferlab.methods."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, L.LightningModule)
                and obj.__module__ == module.__name__
            ):
                defined.add(name)
    assert defined, "no LightningModule found under transferlab.methods"
    missing = sorted(defined - set(methods.__all__))
    assert not missing, f"add to transferlab.methods.__all__: {missing}"
    for name in methods.__all__:
        assert getattr(methods, name).__name__ == name


def test_methods_holds_only_the_shared_base_and_family_folders():
    import pathlib

    root = pathlib.Path(methods.__file__).parent
    loose = sorted(p.name for p in root.glob("*.py") if p.name not in {"__init__.py", "base.py"})
    assert not loose, f"move into a family folder: {loose}"
