"""The shape of the package, read from its source with ``ast`` (nothing is imported).

* no import cycle between ``ovocr`` modules, counting imports inside functions and under
  ``TYPE_CHECKING`` (a Protocol is the way out where only a type is needed);
* no module over ``MAX_LINES`` lines: one theme per module, readable in one sitting;
* every third-party package the code imports is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "utils" / "ovocr"
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path: Path, name: str, known: set[str] | frozenset = frozenset()) -> set[str]:
    """Every module that module ``name`` imports anywhere in its file.

    ``from .x import y`` names ``x.y`` when that is one of the ``known`` modules (a
    submodule), else ``x`` itself (a name defined in ``x``).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {t for t in imported_names(path, name, set(known)) if t in known and t != name}
        for name, path in known.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_graph_reader_sees_function_level_and_type_checking_imports(tmp_path):
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n"
        "    from .c import C\n"
        "def f():\n"
        "    from ..d import e\n"
    )
    path = tmp_path / "a.py"
    path.write_text(source)
    names = imported_names(path, "ovocr.sub.a", {"ovocr.sub.b", "ovocr.d.e"})
    assert names == {"typing", "ovocr.sub.b", "ovocr.sub.c", "ovocr.d.e"}
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_the_package():
    cycles = find_cycles(import_graph())
    graph = import_graph()
    described = [
        " <-> ".join(cycle)
        + ": "
        + "; ".join(f"{m} imports {', '.join(sorted(graph[m] & set(cycle)))}" for m in cycle)
        for cycle in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_no_module_is_over_the_line_limit():
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_every_third_party_import_is_declared_in_pyproject():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {requirement_name(r) for r in project["dependencies"]}
    for extra in project.get("optional-dependencies", {}).values():
        declared |= {requirement_name(r) for r in extra}
    distributions = packages_distributions()
    undeclared = {}
    for name, path in modules().items():
        for target in imported_names(path, name):
            top = target.split(".")[0]
            if not top or top == "ovocr" or top in sys.stdlib_module_names:
                continue
            dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            if not dists & declared:
                undeclared.setdefault(top, []).append(name)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
