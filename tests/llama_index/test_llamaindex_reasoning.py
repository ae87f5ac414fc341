"""Reasoning and usage as LlamaIndex users expect them, for every wire form Vertex sends.

Real HTTP to the emulator: a ``ThinkingBlock`` (with ``num_tokens`` when usage gives them)
in ``message.blocks``, the answer alone in ``message.content`` and in streamed ``delta``s,
reasoning deltas in ``additional_kwargs["thinking_delta"]`` (as llama-index-llms-openai does),
usage in ``additional_kwargs`` the same streamed or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vertex_openai.testing import VertexEmulator

from support import (
    REASONING_ANSWER,
    REASONING_FORMS,
    REASONING_QUESTION,
    REASONING_TEXT,
    USAGE_FORMS,
    ReasoningForm,
    chat_requests,
    needs_llama_index,
)

pytestmark = needs_llama_index

QUESTION, ANSWER, REASONING = REASONING_QUESTION, REASONING_ANSWER, REASONING_TEXT


def _llm(make_llm: Callable[..., Any], form: ReasoningForm, **kwargs: Any) -> Any:
    if form.extra_body():
        kwargs["additional_kwargs"] = {"extra_body": form.extra_body()}
    return make_llm(form.model, **form.gemini_options(), **kwargs)


def _thinking(message: Any) -> list[Any]:
    from llama_index.core.base.llms.types import ThinkingBlock

    return [b for b in message.blocks if isinstance(b, ThinkingBlock)]


def _user(text: str = QUESTION) -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content=text)]


@pytest.mark.parametrize("form", REASONING_FORMS, ids=lambda f: f.name)
async def test_reasoning_unary_and_streamed(
    vertex_emulator: VertexEmulator, make_llm: Callable[..., Any], form: ReasoningForm
) -> None:
    form.apply(vertex_emulator)
    llm = _llm(make_llm, form)
    unary = llm.chat(_user())
    assert unary.message.content == ANSWER
    [block] = _thinking(unary.message)
    assert block.content == REASONING
    for responses in (
        list(llm.stream_chat(_user())),
        [r async for r in await llm.astream_chat(_user())],
    ):
        last = responses[-1]
        assert "".join(r.delta or "" for r in responses) == ANSWER
        thinking = "".join(r.additional_kwargs.get("thinking_delta") or "" for r in responses)
        assert thinking == REASONING
        assert last.message.content == ANSWER
        [streamed_block] = _thinking(last.message)
        assert streamed_block.content == REASONING
        assert streamed_block.num_tokens == block.num_tokens
        usage_keys = ("prompt_tokens", "completion_tokens", "total_tokens", "reasoning_tokens")
        assert {k: last.additional_kwargs.get(k) for k in usage_keys} == {
            k: unary.additional_kwargs.get(k) for k in usage_keys
        }
    completion = llm.complete(QUESTION)
    assert completion.text == ANSWER


def test_thinking_block_num_tokens(
    vertex_emulator: VertexEmulator, make_llm: Callable[..., Any]
) -> None:
    vertex_emulator.queue_reply(
        content="<think>hmm</think>ok",
        usage={
            "prompt_tokens": 3,
            "completion_tokens": 1,
            "completion_tokens_details": {"reasoning_tokens": 7},
            "total_tokens": 11,
        },
    )
    response = make_llm().chat(_user())
    assert response.message.content == "ok"
    [block] = _thinking(response.message)
    assert (block.content, block.num_tokens) == ("hmm", 7)
    kwargs = response.additional_kwargs
    assert (kwargs["prompt_tokens"], kwargs["completion_tokens"], kwargs["total_tokens"]) == (
        3,
        8,
        11,
    )
    assert kwargs["reasoning_tokens"] == 7


#: What LlamaIndex users see of each usage form (support.USAGE_FORMS), in
#: ``additional_kwargs`` (completion counts reasoning, as OpenAI's; totals add up).
USAGE_SEEN: dict[str, dict[str, Any]] = {
    "gemini_reasoning_outside_completion": {
        "prompt_tokens": 27,
        "completion_tokens": 549,
        "total_tokens": 576,
        "reasoning_tokens": 504,
        "traffic_type": "PROVISIONED_THROUGHPUT",
    },
    "openai_reasoning_inside_completion": {
        "prompt_tokens": 10,
        "completion_tokens": 30,
        "total_tokens": 40,
        "reasoning_tokens": 20,
    },
    "maas_top_level_zero_and_cache": {
        "prompt_tokens": 26,
        "completion_tokens": 259,
        "total_tokens": 285,
        "cached_tokens": 15,
        "traffic_type": "ON_DEMAND",
    },
    "maas_top_level_count": {
        "prompt_tokens": 5,
        "completion_tokens": 50,
        "total_tokens": 55,
        "reasoning_tokens": 30,
        "traffic_type": "ON_DEMAND",
    },
}


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [(*USAGE_FORMS[name], USAGE_SEEN[name]) for name in USAGE_SEEN],
    ids=list(USAGE_SEEN),
)
async def test_usage_forms(
    vertex_emulator: VertexEmulator,
    make_llm: Callable[..., Any],
    model: str,
    usage: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    llm = make_llm(model)
    seen = []
    vertex_emulator.queue_reply(content="hello", usage=usage)
    seen.append(llm.chat(_user()).additional_kwargs)
    vertex_emulator.queue_reply(content="hello", usage=usage)
    seen.append(list(llm.stream_chat(_user()))[-1].additional_kwargs)
    vertex_emulator.queue_reply(content="hello", usage=usage)
    seen.append([r async for r in await llm.astream_chat(_user())][-1].additional_kwargs)
    for kwargs in seen:
        assert {k: v for k, v in kwargs.items() if k != "thinking_delta"} == expected


def test_reasoning_next_turn(vertex_emulator: VertexEmulator, make_llm: Callable[..., Any]) -> None:
    """Never sent back as the assistant's words; on DeepSeek tool-call steps, sent back as
    reasoning_content (DeepSeek's docs)."""
    from llama_index.core.llms import ChatMessage
    from llama_index.core.tools import FunctionTool

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    tools = [FunctionTool.from_defaults(fn=get_weather)]
    minimax = make_llm("minimaxai/minimax-m2-maas")
    first = minimax.chat(_user())
    minimax.chat([*_user(), first.message, *_user("And at night?")])
    assert chat_requests(vertex_emulator)[-1].body["messages"][1]["content"] == ANSWER
    assert "reasoning_content" not in chat_requests(vertex_emulator)[-1].body["messages"][1]

    form = next(f for f in REASONING_FORMS if f.name == "reasoning_content")
    deepseek = _llm(make_llm, form, is_function_calling_model=True)
    step = deepseek.chat_with_tools(tools, chat_history=_user())
    [call] = deepseek.get_tool_calls_from_response(step)
    result = ChatMessage(
        role="tool", content="sunny", additional_kwargs={"tool_call_id": call.tool_id}
    )
    deepseek.chat_with_tools(tools, chat_history=[*_user(), step.message, result])
    sent = chat_requests(vertex_emulator)[-1].body["messages"][1]
    assert sent["reasoning_content"] == REASONING and sent["tool_calls"]
    assert REASONING not in str(sent.get("content"))
