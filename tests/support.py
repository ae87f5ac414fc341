"""Helpers shared by every test directory: our classes aimed at the offline emulator.

Importable from any test module as ``from support import ...`` (``pythonpath = ["tests"]`` in
pyproject.toml). The framework factories are fixtures in ``tests/langchain/conftest.py`` and
``tests/llama_index/conftest.py``.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import importlib.util
import re
import textwrap
import time
from collections.abc import Callable
from enum import Enum
from typing import Any, Optional

import pytest
from pydantic import BaseModel

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


#: The question the reasoning tests ask, and what every form of REASONING_FORMS answers it
#: with (the emulator's rules): the answer, and the reasoning.
REASONING_QUESTION = "Why is the sky blue"
REASONING_ANSWER = f"You said: {REASONING_QUESTION}"
REASONING_TEXT = f"Thinking about: {REASONING_QUESTION}"


@dataclasses.dataclass(frozen=True)
class ReasoningForm:
    """One wire form of reasoning the emulator sends, and how a user asks for it.

    Every form answers ``"You said: <question>"`` with the reasoning ``"Thinking about:
    <question>"`` (the emulator's rules); ``settings`` are emulator switches, ``chunk_chars``
    cuts streamed text into pieces of that many characters (tags cut across chunks).
    """

    name: str
    model: str
    thinking_kwargs: bool = False  # chat_template_kwargs {"thinking": true} (hybrid MaaS)
    include_thoughts: bool = False  # Gemini thought summaries
    marker: str | None = None  # Gemini thought_tag_marker
    settings: tuple[tuple[str, Any], ...] = ()
    chunk_chars: int = 0

    def apply(self, emu: VertexEmulator) -> None:
        """Set the emulator switches of this form."""
        for name, value in self.settings:
            setattr(emu, name, value)
        emu.stream_chunk_chars = self.chunk_chars

    def extra_body(self) -> dict[str, Any] | None:
        """The openai SDK ``extra_body`` a hybrid MaaS model needs to think."""
        return {"chat_template_kwargs": {"thinking": True}} if self.thinking_kwargs else None

    def gemini_options(self) -> dict[str, Any]:
        """Our classes' Gemini fields for this form."""
        options: dict[str, Any] = {}
        if self.include_thoughts:
            options["include_thoughts"] = True
        if self.marker:
            options["thought_tag_marker"] = self.marker
        return options


REASONING_FORMS = [
    ReasoningForm("reasoning_content", "deepseek-ai/deepseek-v3.2-maas", thinking_kwargs=True),
    ReasoningForm(
        "reasoning_field",
        "zai-org/glm-4.7-maas",
        thinking_kwargs=True,
        settings=(("maas_reasoning_field", "reasoning"),),
    ),
    ReasoningForm("think_tags", "minimaxai/minimax-m2-maas"),
    ReasoningForm("think_tags_cut", "deepseek-ai/deepseek-r1-0528-maas", chunk_chars=1),
    ReasoningForm("close_only", "deepseek-ai/deepseek-v3.1-maas", thinking_kwargs=True),
    ReasoningForm(
        "close_only_cut", "deepseek-ai/deepseek-v3.1-maas", thinking_kwargs=True, chunk_chars=3
    ),
    ReasoningForm("thought_marker", "gemini-2.5-flash", include_thoughts=True, marker="thought"),
    ReasoningForm(
        "thought_marker_cut", "gemini-2.5-flash", include_thoughts=True, marker="t", chunk_chars=1
    ),
    ReasoningForm("thoughts_untagged", "gemini-2.5-flash", include_thoughts=True),
    ReasoningForm(
        "thoughts_flagged",
        "gemini-2.5-flash",
        include_thoughts=True,
        settings=(("flag_thought_deltas", True),),
    ),
]


#: Usage as Vertex reports it, by form: ``{name: (model, usage)}`` (queued with
#: ``queue_reply(usage=...)``); each framework's tests say what its users must see of each.
#: Sources: docs/wire.md, "Response shapes" (Gemini counts thinking outside
#: ``completion_tokens``; MaaS sends a top-level ``reasoning_tokens``, 0 even when it reasoned).
USAGE_FORMS: dict[str, tuple[str, dict[str, Any]]] = {
    "gemini_reasoning_outside_completion": (
        "gemini-2.5-flash",
        {
            "prompt_tokens": 27,
            "completion_tokens": 45,
            "completion_tokens_details": {"reasoning_tokens": 504},
            "total_tokens": 576,
            "extra_properties": {"google": {"traffic_type": "PROVISIONED_THROUGHPUT"}},
        },
    ),
    "openai_reasoning_inside_completion": (
        "gemini-2.5-flash",
        {
            "prompt_tokens": 10,
            "completion_tokens": 30,
            "completion_tokens_details": {"reasoning_tokens": 20},
            "total_tokens": 40,
        },
    ),
    "maas_top_level_zero_and_cache": (
        "minimaxai/minimax-m2-maas",
        {
            "prompt_tokens": 26,
            "completion_tokens": 259,
            "total_tokens": 285,
            "reasoning_tokens": 0,
            "prompt_tokens_details": {"cached_tokens": 15},
        },
    ),
    "maas_top_level_count": (
        "deepseek-ai/deepseek-v3.2-maas",
        {"prompt_tokens": 5, "completion_tokens": 50, "total_tokens": 55, "reasoning_tokens": 30},
    ),
}


# -- pydantic models whose JSON Schema Gemini cannot take as is ($defs, enums, sets, Optional,
# recursion): the Gemini-safe schema tests of both frameworks use them.


class Color(str, Enum):
    RED = "red"
    BLUE = "blue"


class Pet(BaseModel):
    """A pet."""

    name: str
    color: Color
    tags: set[str] = set()
    age: Optional[int] = None  # noqa: UP045


class Node(BaseModel):
    """A tree."""

    name: str
    children: list[Node] = []
