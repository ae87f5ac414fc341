"""LlamaIndex on Gemini's real stream shape: index-less parallel tool calls, unsigned history.

The emulator streams Gemini tool calls as Google does (each call whole in one delta, no
``index``, parallel calls in separate chunks, the signature on the first only, then
``finish_reason: "stop"``); without the core's fix LlamaIndex merges two such calls into one
(name ``get_timeget_time``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from vertex_openai.llama_index import VertexOpenAILike
from vertex_openai.testing import VertexEmulator

from support import GEMINI3, chat_requests

MakeLLM = Callable[..., VertexOpenAILike]
CALLED: list[str] = []


def get_time(city: str) -> str:
    """The local time in a city."""
    CALLED.append(city)
    return f"noon in {city}"


GET_TIME = FunctionTool.from_defaults(fn=get_time)


def _two_calls(first: str, second: str) -> list[dict[str, Any]]:
    return [
        {"name": "get_time", "arguments": {"city": first}},
        {"name": "get_time", "arguments": {"city": second}},
    ]


def _raw_stream_tool_calls(emu: VertexEmulator) -> None:
    assert emu.gemini_stream_tool_call_index is False  # the published shape is the default


@pytest.mark.parametrize("use_async", [False, True])
async def test_stream_chat_with_tools_keeps_parallel_calls_apart(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM, use_async: bool
) -> None:
    _raw_stream_tool_calls(vertex_emulator)
    llm = make_llm(GEMINI3)
    vertex_emulator.queue_reply(tool_calls=_two_calls("Paris", "Rome"))
    history = [ChatMessage(role="user", content="time in Paris and Rome?")]
    kwargs: dict[str, Any] = {"chat_history": history, "allow_parallel_tool_calls": True}
    if use_async:
        last = [r async for r in await llm.astream_chat_with_tools([GET_TIME], **kwargs)][-1]
    else:
        *_, last = llm.stream_chat_with_tools([GET_TIME], **kwargs)
    calls = llm.get_tool_calls_from_response(last)
    assert [c.tool_name for c in calls] == ["get_time", "get_time"]
    assert [c.tool_kwargs for c in calls] == [{"city": "Paris"}, {"city": "Rome"}]
    assert len({c.tool_id for c in calls}) == 2


@pytest.mark.parametrize("workflow", [False, True])
async def test_function_agent_three_streamed_turns_of_parallel_calls(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM, workflow: bool
) -> None:
    CALLED.clear()
    for pair in (("Paris", "Rome"), ("Oslo", "Lima"), ("Kyiv", "Doha")):
        vertex_emulator.queue_reply(tool_calls=_two_calls(*pair))
    agent = FunctionAgent(
        name="clock", description="Tells the time.", tools=[get_time], llm=make_llm(GEMINI3)
    )
    assert agent.streaming  # FunctionAgent streams by default
    runner: Any = AgentWorkflow(agents=[agent]) if workflow else agent
    result = await runner.run("What time is it in six cities?")
    assert CALLED == ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Doha"]
    assert str(result) == "Tool result: noon in Doha"
    requests = chat_requests(vertex_emulator)
    assert len(requests) == 4 and all(r.status == 200 for r in requests)
    assert all(r.body["stream"] is True for r in requests)
    # Every step went back with the signature Gemini gave its first call (the emulator checks
    # it belongs to that call).
    steps = [m for m in requests[-1].body["messages"] if m["role"] == "assistant"]
    assert len(steps) == 3
    for step in steps:
        first, second = step["tool_calls"]
        assert first["extra_content"]["google"]["thought_signature"]
        assert "extra_content" not in second
        assert json.loads(first["function"]["arguments"]) != json.loads(
            second["function"]["arguments"]
        )


def test_history_without_signatures_gets_the_placeholder(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM
) -> None:
    """A Gemini 3 conversation whose tool calls no model signed (another model's history)."""
    llm = make_llm(GEMINI3)
    history = [
        ChatMessage(role="user", content="time in Bern?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ToolCallBlock(
                    tool_call_id="call_from_elsewhere",
                    tool_name="get_time",
                    tool_kwargs={"city": "Bern"},
                )
            ],
        ),
        ChatMessage(
            role="tool",
            content="noon in Bern",
            additional_kwargs={"tool_call_id": "call_from_elsewhere"},
        ),
    ]
    answer = llm.chat_with_tools([GET_TIME], chat_history=history)
    assert answer.message.content == "Tool result: noon in Bern"
    (request,) = chat_requests(vertex_emulator)
    assert request.status == 200
    sent = request.body["messages"][1]["tool_calls"][0]
    assert sent["extra_content"]["google"]["thought_signature"] == (
        "skip_thought_signature_validator"
    )
