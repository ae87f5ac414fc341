"""The layers of docs/architecture.md, read from the source: who imports whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vertex_openai

PACKAGE = Path(vertex_openai.__file__).parent
# The core, bottom up: a module imports only modules of a lower rank.
CORE_RANKS = {
    "errors": 0,
    "sdk_http": 0,
    "target": 1,
    "adc": 1,
    "gemini": 1,
    "embeddings": 1,
    "content": 1,
    "schemas": 1,
    "reasoning": 1,
    "usage": 1,
    "pool": 1,
    "retries": 1,
    "identity": 2,
    "transport": 2,
    "auth": 3,
    "connection": 4,
    "endpoints": 5,
    "_params": 5,
    "wire": 5,
}
CORE = set(CORE_RANKS) - {"_params", "wire"}
FRAMEWORKS = ("langchain", "langchain_core", "langchain_openai", "llama_index")
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    """``{"auth": path, "cli.chat": path, "testing._http": path, ...}``."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts) or "__init__"] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """What a module imports: ``vertex_openai``-relative names, or top-level distributions."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    if name == "__init__":
        package = []
    seen: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                seen.add(_absolute(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *(node.module or "").split(".")]).strip(".")
                if node.module is None:
                    seen.update(".".join([*base, a.name]) for a in node.names)
                else:
                    seen.add(target)
            elif node.module:
                seen.add(_absolute(node.module))
    return seen


def _absolute(module: str) -> str:
    if module == "vertex_openai" or module.startswith("vertex_openai."):
        return module.removeprefix("vertex_openai").lstrip(".") or "__init__"
    return "ext:" + module.split(".")[0]


MODULES = _modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_keeps_to_its_layer(name: str) -> None:
    imports = _imports(name, MODULES[name])
    ours = {i.split(".")[0] for i in imports if not i.startswith("ext:")}
    external = {i[4:] for i in imports if i.startswith("ext:")}
    top = name.split(".")[0]
    if top in CORE_RANKS:
        below = {m for m, rank in CORE_RANKS.items() if rank < CORE_RANKS[top]}
        assert ours <= below, f"{name} imports {ours - below} (not below it in the core)"
        assert not external & set(FRAMEWORKS), f"{name} imports a framework"
        if top != "sdk_http":  # HTTP objects come from the library the openai SDK uses
            assert not external & {"httpx", "httpx2"}, f"{name} imports httpx itself"
    elif top == "langchain":
        assert "llama_index" not in ours and not ours & {"cli", "testing"}
        assert "llama_index" not in external
    elif top == "llama_index":
        assert "langchain" not in ours and not ours & {"cli", "testing"}
        assert not external & {"langchain", "langchain_core", "langchain_openai"}
    elif top == "testing":
        # The emulator stands apart: it never uses the code it tests, nor a framework.
        assert ours <= {"testing"}, f"{name} imports {ours}"
        assert not external & {*FRAMEWORKS, "openai", "httpx"}
    elif top in ("cli", "proxy"):
        # Tools: they use the core (and the emulator, or its replay format) like any caller.
        assert not ours & {"langchain", "llama_index"}
        assert not external & set(FRAMEWORKS)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_800_lines(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_the_layers_see_every_module() -> None:
    tops = {name.split(".")[0] for name in MODULES}
    known = set(CORE_RANKS) | {"__init__", "langchain", "llama_index", "cli", "proxy", "testing"}
    assert tops == known, f"a module outside docs/architecture.md's layers: {tops - known}"
