"""The package's modules import one way, along the data flow, and share no private names.

Read from the source with ``ast`` (every ``from .x import y``, at the top of a module or
inside a function): the import graph has no cycle, each module imports only modules of
its own layer or below, and no module imports another's ``_private`` name. A subpackage
(``plots/``, ``widgets/``) counts as one module: its files' imports of the package's
modules (``from ..x import y``) are its edges, and the imports between its own files are
its inside.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vitale_analysis"

#: The reading order: read → validate → cases → analyses → presentation, on their foundations.
LAYERS = [
    {"errors", "_version", "masking"},
    {"codes", "timeutil", "process", "privacy", "cohorts", "i18n"},
    {"km", "read", "simulate", "csvfast"},
    {"caselog"},
    {"validate", "sharing", "eventcore", "assistant"},
    {"cases"},
    {"summaries", "stalls", "flow", "conformance", "interop", "processmap"},
    {"compare", "forecast", "distributed", "batches"},  # (batches: over distributed when Dask is there)
    {"labels", "chartdata", "display"},
    {"plots", "report"},
    {"widgets", "cli", "__main__", "__init__"},
]


def _edges(path: Path, level: int) -> list[tuple[str, str, int]]:
    """The imports of the package's modules in one file (``level``: the dots that name the package)."""
    edges = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == level:
            if node.module:
                edges += [(node.module.split(".")[0], alias.name, node.lineno) for alias in node.names]
            else:  # from . import x
                edges += [(alias.name, "*", node.lineno) for alias in node.names]
    return edges


def _imports() -> dict[str, list[tuple[str, str, int]]]:
    """Module → [(imported module, imported name, line)] for the package's relative imports."""
    found = {path.stem: _edges(path, 1) for path in sorted(PACKAGE.glob("*.py"))}
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        found[package.name] = [edge for path in sorted(package.rglob("*.py")) for edge in _edges(path, 2)]
    return found


IMPORTS = _imports()


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert set(IMPORTS) <= placed, f"modules without a layer in this test: {sorted(set(IMPORTS) - placed)}"
    assert not placed - set(IMPORTS), f"layers name modules that do not exist: {sorted(placed - set(IMPORTS))}"


@pytest.mark.parametrize("module", sorted(IMPORTS))
def test_imports_go_down_the_layers(module):
    layer = {name: k for k, names in enumerate(LAYERS) for name in names}
    upward = [(target, line) for target, _, line in IMPORTS[module] if layer[target] > layer[module]]
    assert not upward, f"{module} (layer {layer[module]}) imports from a later step: {upward}"


def test_no_import_cycle():
    graph = {module: {target for target, _, _ in edges} for module, edges in IMPORTS.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module, path):
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                raise AssertionError(f"import cycle: {' → '.join(path + [module, target])}")
            if target not in state:
                visit(target, path + [module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_no_private_name_is_imported_from_another_module():
    private = [(module, target, name, line) for module, edges in IMPORTS.items() for target, name, line in edges
               if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))]
    assert not private, f"private names imported across modules (make them a named internal API): {private}"
