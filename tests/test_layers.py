"""Imports flow one way, down these floors; a lower floor that needs something from a
higher one means the shared piece belongs lower:

    4  commands                                   the `transferlab` command and its parts
    3  methods   active   explain   deploy        what a user runs: methods, loops, transforms
    2  data   evaluation   callbacks   shift      what methods stand on
    1  losses   backbones   schedules   checkpoints
    0  registry   paths                           names and places every floor may use

Every import form counts: ``import transferlab.x``, ``from transferlab.x import y``,
``from transferlab import x`` (the module ``x``), and relative imports. An import inside a
function counts too: a cycle deferred to run time is still a cycle. A package may import
itself (``methods/adaptation`` importing ``methods.base``), never a higher floor.
"""

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
    "checkpoints": 1,
    "registry": 0,
    "paths": 0,
}


def floor_of(module: str) -> int:
    return FLOORS[module.split(".")[1]]


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_transferlab_modules(path: pathlib.Path) -> set[str]:
    """Every transferlab module ``path`` imports, in any form, resolved to absolute names."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base == "transferlab":  # from transferlab import x: the module x
                names.update(f"transferlab.{alias.name}" for alias in node.names)
            else:
                names.add(base)
    return {n for n in names if n.startswith("transferlab.")}


def test_every_module_imports_only_its_own_floor_or_lower():
    upward = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "__init__.py":
            continue
        own = floor_of(module_name(path))
        for target in imported_transferlab_modules(path):
            if floor_of(target) > own:
                upward.append(f"{path.relative_to(SRC)} imports {target}")
    assert not upward, "imports that climb a floor:\n" + "\n".join(sorted(upward))


def test_every_import_form_is_seen(tmp_path):
    """The checker itself: each form of import is resolved to the module it names."""
    package = tmp_path / "transferlab" / "deploy"
    package.mkdir(parents=True)
    probe = package / "probe.py"
    probe.write_text(
        "import transferlab.methods.base\n"
        "from transferlab.commands import cli\n"
        "from transferlab import active\n"
        "from . import network\n"
        "from ..explain import grid\n"
        "def later():\n    from transferlab.data import domains\n"
    )
    global SRC
    real, SRC = SRC, tmp_path / "transferlab"
    try:
        found = imported_transferlab_modules(probe)
    finally:
        SRC = real
    assert found == {
        "transferlab.methods.base",
        "transferlab.commands",
        "transferlab.active",
        "transferlab.deploy",
        "transferlab.explain",
        "transferlab.data",
    }


def test_every_top_level_package_has_a_floor():
    tops = {p.stem for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert tops - {"__init__"} <= set(FLOORS), sorted(tops - {"__init__"} - set(FLOORS))


def test_only_the_checkpoint_module_calls_torch_load():
    """Every file is read weights-only, with errors that name it, in one place."""
    callers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "torch.load(" in path.read_text(encoding="utf-8") and path.name != "checkpoints.py"
    ]
    assert not callers, callers
