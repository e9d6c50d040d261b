"""Imports flow one way, down the floors of DESIGN.md section 1; a lower floor that needs
something from a higher one means the shared piece belongs lower."""

import ast
import pathlib

import transferlab

SRC = pathlib.Path(transferlab.__file__).parent
FLOORS = {
    "commands": 4,
    "methods": 3,
    "active": 3,
    "explain": 3,
    "deploy": 3,
    "data": 2,
    "evaluation": 2,
    "callbacks": 2,
    "shift": 2,
    "losses": 1,
    "backbones": 1,
    "schedules": 1,
    "paths": 0,
}


def floor_of(module: str) -> int:
    top = module.split(".")[1] if module.startswith("transferlab.") else module
    return FLOORS[top]


def imported_transferlab_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("transferlab.")}


def test_every_module_imports_only_its_own_floor_or_lower():
    upward = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "__init__.py":
            continue
        own = floor_of(relative.with_suffix("").parts[0])
        for target in imported_transferlab_modules(path):
            if floor_of(target) > own:
                upward.append(f"{relative} imports {target}")
    assert not upward, "imports that climb a floor:\n" + "\n".join(sorted(upward))


def test_every_top_level_package_has_a_floor():
    tops = {p.stem for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert tops - {"__init__"} <= set(FLOORS), sorted(tops - {"__init__"} - set(FLOORS))
