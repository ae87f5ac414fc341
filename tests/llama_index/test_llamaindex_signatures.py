"""Gemini 3 thought signatures through LlamaIndex: tool loops, streams, agents (emulator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

import openai
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent
from llama_index.core.llms import ChatMessage, ChatResponse
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai_like import OpenAILike

from vertex_openai.gemini import EXTRA_CONTENT_KEY
from vertex_openai.llama_index import VertexOpenAILike
from vertex_openai.testing import VertexEmulator

MakeLLM = Callable[..., VertexOpenAILike]
GEMINI_3 = "gemini-3-pro-preview"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


ADD = FunctionTool.from_defaults(fn=add)


def _chats(emu: VertexEmulator) -> list[Any]:
    return [r for r in emu.requests if r.route == "chat"]


def _tool_results(llm: VertexOpenAILike, response: ChatResponse) -> list[ChatMessage]:
    """Run the response's tool calls, as a caller of chat_with_tools does."""
    results = []
    for call in llm.get_tool_calls_from_response(response):
        results.append(
            ChatMessage(
                role="tool",
                content=str(add(**call.tool_kwargs)),
                additional_kwargs={"tool_call_id": call.tool_id},
            )
        )
    return results


def _signature(response: ChatResponse, position: int = 0) -> Any:
    return response.message.additional_kwargs[EXTRA_CONTENT_KEY]["tool_calls"][position][
        "extra_content"
    ]["google"]["thought_signature"]


def _sent_signatures(emu: VertexEmulator) -> list[Any]:
    """The signatures on the assistant tool calls of the last chat request."""
    messages = _chats(emu)[-1].body["messages"]
    return [
        call.get("extra_content", {}).get("google", {}).get("thought_signature")
        for message in messages
        if message["role"] == "assistant"
        for call in message.get("tool_calls") or []
    ]


def test_chat_with_tools_loop(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(GEMINI_3)
    history = [ChatMessage(role="user", content="add one and one")]
    first = llm.chat_with_tools([ADD], chat_history=list(history))
    signature = _signature(first)
    assert signature
    history += [first.message, *_tool_results(llm, first)]
    second = llm.chat_with_tools([ADD], chat_history=list(history))
    assert second.message.content == "Tool result: 2"
    assert _sent_signatures(vertex_emulator) == [signature]
    assert EXTRA_CONTENT_KEY not in str(_chats(vertex_emulator)[-1].body)
    assert [r.status for r in _chats(vertex_emulator)] == [200, 200]


def test_stream_chat_with_tools_loop(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(GEMINI_3)
    history = [ChatMessage(role="user", content="add")]
    *_, last = llm.stream_chat_with_tools([ADD], chat_history=list(history))
    signature = _signature(last)
    history += [last.message, *_tool_results(llm, last)]
    *_, final = llm.stream_chat_with_tools([ADD], chat_history=list(history))
    assert final.message.content == "Tool result: 2"
    assert _sent_signatures(vertex_emulator) == [signature]


async def test_async_tool_loops(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(GEMINI_3)
    history = [ChatMessage(role="user", content="add")]
    first = await llm.achat_with_tools([ADD], chat_history=list(history))
    history += [first.message, *_tool_results(llm, first)]
    second = await llm.achat_with_tools([ADD], chat_history=list(history))
    assert second.message.content == "Tool result: 2"

    history = [ChatMessage(role="user", content="add")]
    stream = await llm.astream_chat_with_tools([ADD], chat_history=list(history))
    last = [r async for r in stream][-1]
    history += [last.message, *_tool_results(llm, last)]
    stream = await llm.astream_chat_with_tools([ADD], chat_history=list(history))
    final = [r async for r in stream][-1]
    assert final.message.content == "Tool result: 2"
    assert _sent_signatures(vertex_emulator) == [_signature(last)]


def test_parallel_tool_calls(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(GEMINI_3)
    for stream in (False, True):
        vertex_emulator.queue_reply(
            tool_calls=[
                {"name": "add", "arguments": {"a": 1, "b": 2}},
                {"name": "add", "arguments": {"a": 3, "b": 4}},
            ]
        )
        history = [ChatMessage(role="user", content="two sums")]
        kwargs: dict[str, Any] = {"chat_history": list(history), "allow_parallel_tool_calls": True}
        if stream:
            *_, first = llm.stream_chat_with_tools([ADD], **kwargs)
        else:
            first = llm.chat_with_tools([ADD], **kwargs)
        results = _tool_results(llm, first)
        assert [m.content for m in results] == ["3", "7"]
        history += [first.message, *results]
        second = llm.chat_with_tools([ADD], chat_history=list(history))
        assert second.message.content == "Tool result: 7"
        # Gemini 3 signs the first call of a parallel batch only.
        assert _sent_signatures(vertex_emulator) == [_signature(first), None]


def test_text_signature_sent_back(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(GEMINI_3)
    history = [ChatMessage(role="user", content="hi")]
    first = llm.chat(list(history))
    extra = first.message.additional_kwargs[EXTRA_CONTENT_KEY]["message"]
    assert extra["google"]["thought_signature"]
    history += [first.message, ChatMessage(role="user", content="and again")]
    *_, streamed = llm.stream_chat(list(history))
    sent = _chats(vertex_emulator)[-1].body["messages"][1]
    assert sent == {"role": "assistant", "content": "You said: hi", "extra_content": extra}
    assert streamed.message.additional_kwargs[EXTRA_CONTENT_KEY]["message"]["google"]


def test_signatures_survive_serialization(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM
) -> None:
    llm = make_llm(GEMINI_3)
    history = [ChatMessage(role="user", content="add")]
    first = llm.chat_with_tools([ADD], chat_history=list(history))
    stored = ChatMessage.model_validate_json(first.message.model_dump_json())  # e.g. memory
    history += [stored, *_tool_results(llm, first)]
    second = llm.chat_with_tools([ADD], chat_history=list(history))
    assert second.message.content == "Tool result: 2"


def test_plain_openai_like_fails_without_signatures(vertex_emulator: VertexEmulator) -> None:
    """Control: LlamaIndex's own OpenAILike drops extra_content and Gemini 3 refuses it."""
    llm = OpenAILike(
        model=f"google/{GEMINI_3}",
        api_base=vertex_emulator.base_url(),
        api_key=vertex_emulator.issue_token(),
        is_chat_model=True,
        is_function_calling_model=True,
        max_retries=0,
    )
    history = [ChatMessage(role="user", content="add")]
    first = llm.chat_with_tools([ADD], chat_history=list(history))
    history += [first.message, *_tool_results(llm, first)]  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="missing a `thought_signature`"):
        llm.chat_with_tools([ADD], chat_history=list(history))


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM, streaming: bool
) -> None:
    agent = FunctionAgent(tools=[add], llm=make_llm(GEMINI_3), streaming=streaming)
    result = await agent.run("What is one plus one?")
    assert str(result) == "Tool result: 2"
    assert [r.status for r in _chats(vertex_emulator)] == [200, 200]
    assert all(_sent_signatures(vertex_emulator))


async def test_function_agent_memory_keeps_signatures(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM
) -> None:
    from llama_index.core.memory import Memory

    agent = FunctionAgent(tools=[add], llm=make_llm(GEMINI_3))
    memory = Memory.from_defaults(session_id="signatures", token_limit=100_000)
    assert str(await agent.run("one plus one?", memory=memory)) == "Tool result: 2"
    assert str(await agent.run("and again?", memory=memory)) == "Tool result: 2"
    # The last request replays both runs from memory (stored as JSON), signatures included.
    sent = _chats(vertex_emulator)[-1].body["messages"]
    assert [m["role"] for m in sent] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "tool",
    ]
    assert len(_sent_signatures(vertex_emulator)) == 2 and all(_sent_signatures(vertex_emulator))
    assert sent[3]["extra_content"]["google"]["thought_signature"]  # the signed final text


async def test_agent_workflow(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    calculator = FunctionAgent(
        name="calculator", description="Adds numbers.", tools=[add], llm=make_llm(GEMINI_3)
    )
    workflow = AgentWorkflow(agents=[calculator])
    handler = workflow.run(user_msg="What is one plus one?")
    async for _ in handler.stream_events():
        pass
    assert str(await handler) == "Tool result: 2"
    assert all(r.status == 200 for r in _chats(vertex_emulator))


def test_merge_extra_content_folds_stream_deltas() -> None:
    """The core helper the stream capture relies on (framework-free)."""
    from vertex_openai.gemini import capture_extra_content, merge_extra_content

    sig = {"google": {"thought_signature": "s1"}}
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "content": ""},
        {"content": "Hi", "extra_content": {"google": {"thought_signature": "m1"}}},
        {"tool_calls": [{"index": 0, "extra_content": sig, "function": {"name": "add"}}]},
        {"tool_calls": [{"index": 0, "id": "call_9", "function": {"arguments": "{}"}}]},
        {"tool_calls": [{"index": 1, "id": "call_10", "extra_content": {"vertex": {"x": 1}}}]},
    ]
    captured = None
    for delta in deltas:
        before = captured
        captured = merge_extra_content(captured, capture_extra_content(delta))
        assert before is None or before is not captured  # a new dict each time
    assert captured == {
        "message": {"google": {"thought_signature": "m1"}},
        "tool_calls": [
            {"id": None, "index": 0, "extra_content": sig},  # restored by position
            {"id": "call_10", "index": 1, "extra_content": {"vertex": {"x": 1}}},
        ],
    }
    assert merge_extra_content(None, None) is None
