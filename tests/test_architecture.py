"""The shape of sim/: no import cycles (function-level imports included), no module over 400
lines, and no module reaching into another module's private (underscore) names.

Read from the source with ``ast``, so an import inside a function counts as much as one at the
top: a cycle hidden behind a function-level import is still a cycle a reader must untangle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"
MAX_LINES = 400


def module_name(path: Path) -> str:
    """``sim/plots/style.py`` -> ``sim.plots.style``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def absolute(module: str, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, with a relative import resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if MODULES[module].name != "__init__.py":
        package = package[:-1]            # a module's package is its parent
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """Every import of a sim module by ``module``, at any depth: (target module, name imported
    from it or None, line)."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name in MODULES]
        elif isinstance(node, ast.ImportFrom):
            target = absolute(module, node)
            if target not in MODULES:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, None, node.lineno) if sub in MODULES
                             else (target, alias.name, node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the sim modules it imports."""
    return {m: {t for t, _, _ in imports(m) if t != m} for m in MODULES}


def test_graph_sees_relative_function_level_and_package_imports():
    edges = graph()
    assert len(MODULES) > 40 and "sim.cli" in MODULES and "sim.plots.style" in MODULES
    assert "sim.config" in edges["sim.cli.options"]            # from ..config import ...
    assert "sim.experiments" in edges["sim.cli.runs"]          # inside a handler
    assert {"sim.cli.runs", "sim.cli.sweeps"} <= edges["sim.cli"]  # from . import runs


def test_sim_has_no_import_cycle():
    try:
        order = list(graphlib.TopologicalSorter(graph()).static_order())
    except graphlib.CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")
    assert set(order) == set(MODULES)


def test_no_module_is_over_400_lines():
    lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in lines.items() if n > MAX_LINES} == {}


def private_uses(module: str) -> list[str]:
    """``from other import _name`` and ``other._name`` (``other`` an imported sim module)."""
    found = [f"{module}:{line} imports {target}.{name}"
             for target, name, line in imports(module)
             if name and name.startswith("_") and not name.startswith("__") and target != module]
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name: a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            target = absolute(module, node)
            aliases |= {a.asname or a.name: f"{target}.{a.name}" for a in node.names
                        if f"{target}.{a.name}" in MODULES}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__") and aliases[node.value.id] != module):
            found.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    assert [use for m in MODULES for use in private_uses(m)] == []
