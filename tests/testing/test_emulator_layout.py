"""The emulator's module layout: no import cycles, the HTTP side never imports the public face
(``emulator.py``), no module reaches into another's private names.

Module sizes are checked for the whole package in tests/core/test_layers.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import vertex_openai.testing

PACKAGE = Path(vertex_openai.testing.__file__).parent
MODULES = {p.stem: p for p in PACKAGE.glob("*.py")}
HTTP_SIDE = ("_http", "_routes", "_oauth", "_state", "_responses", "_records", "_model")


def _imports(name: str) -> set[str]:
    """Sibling modules ``name`` imports (``from . import x``, ``from .x import y``), at any
    depth of the module, including TYPE_CHECKING blocks (a cycle there is still a cycle)."""
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                found.update(alias.name for alias in node.names if alias.name in MODULES)
            else:
                found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "vertex_openai.testing."
        ):
            found.add((node.module or "").split(".")[2])
    return found & MODULES.keys()


def test_no_import_cycles() -> None:
    graph = {name: _imports(name) for name in MODULES}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        assert name not in visiting, f"import cycle: {' -> '.join([*visiting, name])}"
        if name in done:
            return
        visiting.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_http_side_never_imports_the_public_face() -> None:
    for name in HTTP_SIDE:
        assert "emulator" not in _imports(name), name
    assert _imports("pytest_plugin") == {"emulator"}  # and only inside the fixture
    tree = ast.parse(MODULES["pytest_plugin"].read_text())
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(n.level == 0 for n in top_level if isinstance(n, ast.ImportFrom))


def test_no_private_access_across_modules() -> None:
    """``x._name`` only on ``self``/``cls``, or on a ``VertexEmulator`` inside emulator.py."""
    offences = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
                continue
            if node.attr.startswith("__") and node.attr.endswith("__"):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if name == "emulator" and isinstance(owner, ast.Name) and owner.id == "obj":
                continue  # the _Setting descriptor reading its VertexEmulator's state
            offences.append(f"{name}.py:{node.lineno}: .{node.attr}")
    assert not offences, offences
