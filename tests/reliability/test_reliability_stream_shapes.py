"""Every stream shape Vertex is known to send reaches users whole, in every client.

A stream may end without ``data: [DONE]`` (a 2024 capture of a live MaaS stream has none, nor
``id``/``created``, with ``role`` on every delta), carry usage on the chunk with the
``finish_reason`` or on a chunk of its own: the answer, its usage, and no false
"cut stream" error, in the plain client, LangChain and LlamaIndex.
"""

from __future__ import annotations

from typing import Any

import pytest

import vertex_openai
from vertex_openai.testing import VertexEmulator

from support import needs_langchain, needs_llama_index, target

SHAPES = {
    "published-default": {},
    "no-done": {"send_done": False},
    "maas-2024-capture": {"send_done": False, "maas_capture_stream_shape": True},
    "separate-usage-chunk": {"separate_usage_chunk": True},
}
MODELS = ["google/gemini-2.5-flash", "meta/llama-3.3-70b-instruct-maas"]


def _shape(emu: VertexEmulator, shape: str) -> None:
    for name, value in SHAPES[shape].items():
        setattr(emu, name, value)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_plain_client(vertex_emulator: VertexEmulator, shape: str, model: str) -> None:
    _shape(vertex_emulator, shape)
    client = vertex_openai.openai_client(**target(vertex_emulator), max_retries=0)
    text, usage = "", None
    for chunk in client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "whole please"}],
        stream=True,
        stream_options={"include_usage": True},
    ):
        usage = chunk.usage or usage
        text += "".join(c.delta.content or "" for c in chunk.choices)
    assert text == "You said: whole please"
    assert usage is not None and usage.total_tokens > 0


@needs_langchain
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
async def test_langchain(vertex_emulator: VertexEmulator, shape: str, model: str) -> None:
    from vertex_openai.langchain import ChatVertexOpenAI

    _shape(vertex_emulator, shape)
    chat = ChatVertexOpenAI(model=model, max_retries=0, **target(vertex_emulator))
    for chunks in ([c for c in chat.stream("whole please")], [c async for c in chat.astream("hi")]):
        full: Any = chunks[0]
        for chunk in chunks[1:]:
            full = full + chunk
        assert full.text.startswith("You said: ")
        assert full.usage_metadata and full.usage_metadata["total_tokens"] > 0


@needs_llama_index
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
async def test_llama_index(vertex_emulator: VertexEmulator, shape: str, model: str) -> None:
    from vertex_openai.llama_index import VertexOpenAILike

    _shape(vertex_emulator, shape)
    llm = VertexOpenAILike(model=model, max_retries=0, **target(vertex_emulator))
    assert "".join(r.delta or "" for r in llm.stream_complete("whole please")) == (
        "You said: whole please"
    )
    streamed = [r async for r in await llm.astream_complete("hi")]
    assert streamed[-1].text == "You said: hi"
