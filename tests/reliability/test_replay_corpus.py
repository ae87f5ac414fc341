"""Every published Vertex payload of tests/fixtures/vertex/, replayed byte for byte.

The emulator answers with the fixture as published (``VertexEmulator.queue_fixture``); each
client a user would pick then shows what the fixture's sidecar says a user must see: the text,
the tool calls (names, arguments, ids), the signatures sent back on the next turn, usage, or a
readable error. Clients: the plain openai client, ``ChatVertexOpenAI`` (invoke, stream,
astream) and ``VertexOpenAILike`` (chat, stream_chat, astream_chat).

Reasoning (``expect.reasoning``) must reach every client as reasoning (the plain client's
``reasoning_content``, LangChain's ``additional_kwargs["reasoning_content"]`` and reasoning
block, LlamaIndex's ``ThinkingBlock``), never in the text; ``expect.usage`` is the wire's usage
(plain client, LlamaIndex ``raw``), ``expect.usage_read`` the usage the frameworks show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest

import vertex_openai
from vertex_openai.testing import VertexEmulator

from support import chat_requests, installed, target

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vertex"
# The request goes to a model the emulator does not check signatures for: the fixture's own
# signatures (some shortened by their publisher) must come back unchanged, not be re-validated.
MODEL = "google/gemini-2.5-flash"
# A partial capture (its publisher showed only some chunks) gets a closing chunk at replay,
# so that the stream is complete; the fixture file itself stays as published.
CLOSING = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'


def _fixtures() -> list[tuple[str, dict[str, Any]]]:
    """The Chat Completions fixtures (other routes, such as Responses, are not ours to call)."""
    found = []
    for meta_path in sorted(FIXTURES.glob("*.meta.json")):
        meta = json.loads(meta_path.read_text())
        if meta.get("route", "chat") == "chat":
            found.append((meta_path.name.removesuffix(".meta.json"), meta))
    return found


def _cases() -> list[Any]:
    """Each fixture with each client that can receive it (a stream only answers a streamed
    call, a unary body a unary one; an error answers both)."""
    cases = []
    for name, meta in _fixtures():
        for client, (streams, _, _) in sorted(CLIENTS.items()):
            if meta["kind"] == "error" or streams == (meta["kind"] == "stream"):
                cases.append(pytest.param(name, meta, client, id=f"{name}-{client}"))
    return cases


@dataclass
class Seen:
    """What a user got from one call."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] | None = None
    next_turn: Any = None  # a callable sending the tool results back, where the client has one
    reasoning: str | None = None
    usage_read: dict[str, Any] | None = None  # input/output/total/reasoning/cached/traffic


def _extra(obj: Any, name: str) -> Any:
    """An extra field the openai SDK kept on its object (``reasoning_content``)."""
    return (getattr(obj, "model_extra", None) or {}).get(name)


HAS_LANGCHAIN = installed("langchain_openai")
HAS_LLAMA_INDEX = installed("llama_index.llms.openai_like")

TOOLS_OPENAI = [
    {
        "type": "function",
        "function": {
            "name": "tool",
            "description": "any tool",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]


# -- clients ----------------------------------------------------------------------------------


async def _openai(emu: VertexEmulator, stream: bool) -> Seen:
    client = vertex_openai.openai_client(**target(emu), max_retries=0)
    messages = [{"role": "user", "content": "replay"}]
    if not stream:
        answer = client.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
        message = answer.choices[0].message
        calls = [
            {"name": c.function.name, "arguments": json.loads(c.function.arguments), "id": c.id}
            for c in message.tool_calls or []
            if c.type == "function"
        ]
        usage = answer.usage.model_dump() if answer.usage else None
        reasoning = _extra(message, "reasoning_content")
        return Seen(message.content or "", calls, usage, reasoning=reasoning)
    text, parts, usage, reasoning = "", {}, None, ""
    for chunk in client.chat.completions.create(model=MODEL, messages=messages, stream=True):  # type: ignore[arg-type]
        if chunk.usage:
            usage = chunk.usage.model_dump()
        for choice in chunk.choices:
            text += choice.delta.content or ""
            reasoning += _extra(choice.delta, "reasoning_content") or ""
            for call in choice.delta.tool_calls or []:
                part = parts.setdefault(call.index, {"name": "", "arguments": "", "id": None})
                if call.id:
                    part["id"] = call.id
                if call.function and call.function.name:
                    part["name"] += call.function.name
                if call.function and call.function.arguments:
                    part["arguments"] += call.function.arguments
    calls = [{**p, "arguments": json.loads(p["arguments"] or "{}")} for p in parts.values()]
    return Seen(text, calls, usage, reasoning=reasoning or None)


async def _langchain(emu: VertexEmulator, how: str) -> Seen:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from vertex_openai.langchain import ChatVertexOpenAI

    model = ChatVertexOpenAI(model=MODEL, max_retries=0, **target(emu)).bind_tools(TOOLS_OPENAI)
    history: list[Any] = [HumanMessage("replay")]
    if how == "invoke":
        message: Any = model.invoke(history)
    else:
        chunks = (
            list(model.stream(history))
            if how == "stream"
            else [c async for c in model.astream(history)]
        )
        message = chunks[0]
        for chunk in chunks[1:]:
            message = message + chunk
    assert isinstance(message, AIMessage)
    calls = [{"name": c["name"], "arguments": c["args"], "id": c["id"]} for c in message.tool_calls]
    usage_read = None
    if message.usage_metadata:
        meta = message.usage_metadata
        usage_read = {
            "input_tokens": meta["input_tokens"],
            "output_tokens": meta["output_tokens"],
            "total_tokens": meta["total_tokens"],
            "reasoning_tokens": meta.get("output_token_details", {}).get("reasoning"),
            "cached_tokens": meta.get("input_token_details", {}).get("cache_read"),
            "traffic_type": message.response_metadata.get("traffic_type"),
        }
    reasoning = message.additional_kwargs.get("reasoning_content")
    blocks = [b["reasoning"] for b in message.content_blocks if b["type"] == "reasoning"]
    assert blocks == ([reasoning] if reasoning else [])  # the standard block says the same

    def next_turn() -> None:
        results = [ToolMessage("done", tool_call_id=c["id"]) for c in message.tool_calls]
        model.invoke([*history, message, *results])

    return Seen(message.text, calls, None, next_turn, reasoning, usage_read)


async def _llama_index(emu: VertexEmulator, how: str) -> Seen:
    from llama_index.core.base.llms.types import ThinkingBlock
    from llama_index.core.llms import ChatMessage
    from llama_index.core.tools import FunctionTool

    from vertex_openai.llama_index import VertexOpenAILike

    def tool() -> str:
        """any tool"""
        return "done"

    tools = [FunctionTool.from_defaults(fn=tool)]
    llm = VertexOpenAILike(model=MODEL, max_retries=0, **target(emu))
    history = [ChatMessage(role="user", content="replay")]
    if how == "chat":
        response: Any = llm.chat_with_tools(tools, chat_history=list(history))
    elif how == "stream_chat":
        *_, response = llm.stream_chat_with_tools(tools, chat_history=list(history))
    else:
        stream = await llm.astream_chat_with_tools(tools, chat_history=list(history))
        response = [r async for r in stream][-1]
    calls = [
        {"name": c.tool_name, "arguments": c.tool_kwargs, "id": c.tool_id}
        for c in llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    ]
    raw_usage = getattr(response.raw, "usage", None) if response.raw is not None else None
    usage = raw_usage.model_dump() if hasattr(raw_usage, "model_dump") else None
    thinking = [b.content for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    kwargs = response.additional_kwargs
    usage_read = None
    if "total_tokens" in kwargs:
        usage_read = {
            "input_tokens": kwargs["prompt_tokens"],
            "output_tokens": kwargs["completion_tokens"],
            "total_tokens": kwargs["total_tokens"],
            "reasoning_tokens": kwargs.get("reasoning_tokens"),
            "cached_tokens": kwargs.get("cached_tokens"),
            "traffic_type": kwargs.get("traffic_type"),
        }

    def next_turn() -> None:
        results = [
            ChatMessage(role="tool", content="done", additional_kwargs={"tool_call_id": c["id"]})
            for c in calls
        ]
        llm.chat_with_tools(tools, chat_history=[*history, response.message, *results])

    assert len(thinking) <= 1
    reasoning = thinking[0] if thinking else None
    return Seen(response.message.content or "", calls, usage, next_turn, reasoning, usage_read)


CLIENTS = {
    "openai": (False, lambda emu: _openai(emu, stream=False), True),
    "openai-stream": (True, lambda emu: _openai(emu, stream=True), True),
    "langchain-invoke": (False, lambda emu: _langchain(emu, "invoke"), HAS_LANGCHAIN),
    "langchain-stream": (True, lambda emu: _langchain(emu, "stream"), HAS_LANGCHAIN),
    "langchain-astream": (True, lambda emu: _langchain(emu, "astream"), HAS_LANGCHAIN),
    "llamaindex-chat": (False, lambda emu: _llama_index(emu, "chat"), HAS_LLAMA_INDEX),
    "llamaindex-stream": (True, lambda emu: _llama_index(emu, "stream_chat"), HAS_LLAMA_INDEX),
    "llamaindex-astream": (True, lambda emu: _llama_index(emu, "astream"), HAS_LLAMA_INDEX),
}


# -- the replay -------------------------------------------------------------------------------


def _queue(emu: VertexEmulator, name: str, meta: dict[str, Any]) -> None:
    if meta.get("partial") and meta["kind"] == "stream":
        body = (FIXTURES / f"{name}.sse").read_bytes()
        if not body.endswith(b"\n\n"):
            body = body.rstrip(b"\n") + b"\n\n"
        emu.queue_raw(meta["status"], body + CLOSING, meta["content_type"])
    else:
        emu.queue_fixture(FIXTURES / name)


def _signatures(emu: VertexEmulator) -> list[Any]:
    """The extra_content on the assistant tool calls of the last chat request."""
    return [
        call.get("extra_content")
        for message in chat_requests(emu)[-1].body["messages"]
        if message["role"] == "assistant"
        for call in message.get("tool_calls") or []
    ]


def _published_extra_content(name: str, meta: dict[str, Any]) -> list[Any]:
    raw = (FIXTURES / (name + (".sse" if meta["kind"] == "stream" else ".json"))).read_text()
    found: list[Any] = []
    payloads = (
        [json.loads(line[5:]) for line in raw.splitlines() if line.startswith("data: {")]
        if meta["kind"] == "stream"
        else [json.loads(raw)]
    )
    for payload in payloads:
        for choice in payload.get("choices") or []:
            message = choice.get("delta") or choice.get("message") or {}
            found += [
                c["extra_content"] for c in message.get("tool_calls") or [] if "extra_content" in c
            ]
    return found


def test_the_corpus_is_replayed() -> None:
    kinds = {meta["kind"] for _, meta in _fixtures()}
    assert {"error", "stream", "unary"} <= kinds, "the corpus lost a kind: the test is weaker"


@pytest.mark.parametrize(("name", "meta", "client"), _cases())
async def test_replay(
    vertex_emulator: VertexEmulator, name: str, meta: dict[str, Any], client: str
) -> None:
    _, call, available = CLIENTS[client]
    if not available:
        pytest.skip(f"{client}: framework not installed")
    kind = meta["kind"]
    emu = vertex_emulator
    _queue(emu, name, meta)
    expect = meta.get("expect", {})
    if kind == "error":
        with pytest.raises(openai.APIStatusError) as caught:
            await call(emu)
        assert caught.value.status_code == expect["error_status"]
        message = str(caught.value)
        for word in expect["error_words"]:
            assert word in message, (word, message)
        assert "[{" not in message  # Vertex's list wrapper is not shown as a Python repr
        return
    seen = await call(emu)
    if "text" in expect:
        assert seen.text == expect["text"]
    if "tool_calls" in expect:
        assert [c["name"] for c in seen.tool_calls] == [c["name"] for c in expect["tool_calls"]]
        assert [c["arguments"] for c in seen.tool_calls] == [
            c["arguments"] for c in expect["tool_calls"]
        ]
        assert [c["id"] for c in seen.tool_calls] == [c.get("id") for c in expect["tool_calls"]]
    assert seen.reasoning == expect.get("reasoning")  # reasoning as reasoning, else none
    if "usage" in expect and seen.usage is not None:
        for key, value in expect["usage"].items():
            assert seen.usage.get(key) == value, key
    if "usage_read" in expect and seen.usage_read is not None:
        assert seen.usage_read == expect["usage_read"]
    if expect.get("signatures") and seen.next_turn is not None:
        seen.next_turn()
        sent = [extra for extra in _signatures(emu) if extra]
        assert sent == _published_extra_content(name, meta)  # as received, byte for byte
