"""The package stays livable: imports point down (no cycles), no module too large.

design §10: a module has one job you can say in a line and stays under ~400 lines;
imports point down, so no two modules import each other, directly or through others.
Imports inside functions count (a lazy import that goes up a layer only postpones
the cycle); imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "django_carepay"
NAME = "django_carepay"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Modules of this package that ``module`` imports when it is imported."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                if not _is_type_checking(node):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets.add(source)
                # ``from . import services`` imports the submodule services.
                targets.update(f"{source}.{alias.name}" for alias in node.names)

    tree = ast.parse(path.read_text())
    visit(tree.body)
    # Imports inside functions count too: a lazy import that goes up a layer is a
    # cycle postponed, not removed.
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            visit([n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)])
    resolved = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target.startswith(NAME) and target != module:
            resolved.add(target)
    return resolved


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {m: _top_level_imports(m, p, known) for m, p in modules.items()}
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    for deps in graph.values():
        for dep in list(deps):
            parts = dep.split(".")
            deps.update(".".join(parts[:i]) for i in range(2, len(parts)))
    for m, deps in graph.items():
        deps.discard(m)
        # A package importing its own submodules (re-exports) is the normal shape; a
        # submodule importing its parent package back is what makes a cycle.
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strongconnect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                strongconnect(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return found


def _parent_package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without "package imports its own submodule" edges: a package
    re-exporting its submodules is not a cycle unless a submodule imports it back."""
    return {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}


def test_no_import_cycles():
    cycles = _cycles(_parent_package_edges(_graph()))
    assert cycles == [], "import cycles (each line one cycle):\n" + "\n".join(
        " ↔ ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(
    m for m, p in _modules().items() if "migrations" not in p.parts))
def test_no_module_over_400_lines(module):
    lines = len(_modules()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job (design §10)"
