"""Helpers for the LangChain adapter tests (a unique module name: tests dirs have no packages)."""

from __future__ import annotations

import ast
import asyncio
import re
import textwrap
from typing import Any

from vertex_openai.testing import RecordedRequest, VertexEmulator

GEMINI3 = "gemini-3-pro-preview"


def chat_requests(emu: VertexEmulator) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.route == "chat"]


def fetched(emu: VertexEmulator) -> int:
    """Token requests the emulator answered with a token."""
    return sum(1 for t in emu.token_requests if t.status == 200)


def run_docstring_examples(doc: str | None) -> dict[str, Any]:
    """Run the ```python blocks of a docstring in order, in one namespace (top-level await ok)."""
    assert doc
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert blocks
    namespace: dict[str, Any] = {}
    for block in blocks:
        code = compile(
            textwrap.dedent(block), "<docstring>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(code, namespace)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return namespace
