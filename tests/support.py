"""Helpers shared by every test directory: our classes aimed at the offline emulator.

Importable from any test module as ``from support import ...`` (``pythonpath = ["tests"]`` in
pyproject.toml). The framework factories are fixtures in ``tests/langchain/conftest.py`` and
``tests/llama_index/conftest.py``.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import re
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest

from vertex_openai import TokenSource, VertexConnection, resolve_target
from vertex_openai.testing import RecordedRequest, VertexEmulator

#: The location every test uses with the emulator.
LOCATION = "us-central1"
#: A Gemini 3 model (the emulator checks thought signatures for it).
GEMINI3 = "gemini-3-pro-preview"


def installed(module: str) -> bool:
    """True when ``module`` can be imported (False, not an error, when a parent is missing)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


#: Skip marks for the tests that need a framework extra (the openai 3.x job has no LlamaIndex).
needs_langchain = pytest.mark.skipif(
    not installed("langchain_openai"), reason="needs the [langchain] extra"
)
needs_llama_index = pytest.mark.skipif(
    not installed("llama_index.llms.openai_like"), reason="needs the [llama-index] extra"
)


def target(emu: VertexEmulator, **kwargs: Any) -> dict[str, Any]:
    """Constructor arguments aiming any of our classes at the emulator.

    Real google-auth service-account credentials (refreshed against the emulator's token
    endpoint) unless ``api_key`` (a static token) or ``credentials`` is given.
    """
    if "api_key" not in kwargs:
        kwargs.setdefault("credentials", emu.credentials())
    kwargs.setdefault("project", emu.project)
    kwargs.setdefault("location", LOCATION)
    kwargs.setdefault("api_endpoint", emu.url)
    return kwargs


def connect(emu: VertexEmulator, **kwargs: Any) -> VertexConnection:
    """A connection to the emulator (see :func:`target`)."""
    return VertexConnection.create(**target(emu, **kwargs))


def connect_with(emu: VertexEmulator, source: TokenSource, **where: Any) -> VertexConnection:
    """A connection with a hand-built token source (retry/backoff settings)."""
    where.setdefault("project", emu.project)
    where.setdefault("location", LOCATION)
    return VertexConnection(resolve_target(api_endpoint=emu.url, **where), source)


def fetched(emu: VertexEmulator) -> int:
    """Token requests the emulator answered with a token."""
    return sum(1 for t in emu.token_requests if t.status == 200)


def chat_requests(emu: VertexEmulator) -> list[RecordedRequest]:
    """The chat completion requests the emulator received, in order."""
    return [r for r in emu.requests if r.route == "chat"]


def user(text: str = "hello", model: str = "google/gemini-2.5-flash") -> dict[str, Any]:
    """A chat completion request body with one user message."""
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds (AssertionError after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def run_docstring_examples(doc: str | None, *, containing: str | None = None) -> dict[str, Any]:
    """Run the ```python blocks of a docstring in order, in one namespace (top-level await ok).

    ``containing``: run only the blocks with this text (e.g. ``"VertexEmulator"``: the others
    talk to real Vertex AI). Returns the namespace.
    """
    assert doc
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    if containing is not None:
        blocks = [block for block in blocks if containing in block]
    assert blocks, "no example to run: the test could not fail"
    namespace: dict[str, Any] = {}
    for block in blocks:
        code = compile(
            textwrap.dedent(block), "<docstring>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(code, namespace)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return namespace
