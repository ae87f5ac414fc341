"""Reasoning and usage as LangChain users expect them, for every wire form Vertex sends.

Real HTTP to the emulator: the reasoning lands in ``additional_kwargs["reasoning_content"]``
and as a standard reasoning block in ``content_blocks``; ``.text`` / ``.content`` and the
structured-output parsers see the answer alone; streamed chunks carry reasoning as
reasoning; usage_metadata is the same streamed or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from vertex_openai.testing import VertexEmulator

from support import (
    REASONING_ANSWER,
    REASONING_FORMS,
    REASONING_QUESTION,
    REASONING_TEXT,
    USAGE_FORMS,
    ReasoningForm,
    chat_requests,
    needs_langchain,
)

pytestmark = needs_langchain

QUESTION, ANSWER, REASONING = REASONING_QUESTION, REASONING_ANSWER, REASONING_TEXT


def _model(chat_model: Callable[..., Any], form: ReasoningForm, **kwargs: Any) -> Any:
    if form.extra_body():
        kwargs["extra_body"] = form.extra_body()
    kwargs.setdefault("model", form.model)
    return chat_model(**form.gemini_options(), **kwargs)


def _check(message: Any) -> None:
    assert message.content == ANSWER
    assert message.text == ANSWER
    assert message.additional_kwargs["reasoning_content"] == REASONING
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": REASONING}
    texts = [b["text"] for b in message.content_blocks if b["type"] == "text"]
    assert texts == [ANSWER]
    assert message.response_metadata["model_provider"] == "google_vertexai"


@pytest.mark.parametrize("form", REASONING_FORMS, ids=lambda f: f.name)
async def test_reasoning_unary_and_streamed(
    vertex_emulator: VertexEmulator, chat_model: Callable[..., Any], form: ReasoningForm
) -> None:
    form.apply(vertex_emulator)
    model = _model(chat_model, form)
    unary = model.invoke(QUESTION)
    _check(unary)
    for chunks in (list(model.stream(QUESTION)), [c async for c in model.astream(QUESTION)]):
        full = chunks[0]
        for chunk in chunks[1:]:
            full = full + chunk
            # Each chunk: reasoning as a reasoning block, never as text.
            if chunk.additional_kwargs.get("reasoning_content"):
                assert chunk.content_blocks[0]["type"] == "reasoning"
                assert chunk.content_blocks[0]["reasoning"] in REASONING
            for block in chunk.content_blocks:
                if block["type"] == "text":
                    assert block["text"] in ANSWER
        _check(full)
        assert full.usage_metadata == unary.usage_metadata


def test_streamed_reasoning_chunks_are_reasoning(
    vertex_emulator: VertexEmulator, chat_model: Callable[..., Any]
) -> None:
    form = next(f for f in REASONING_FORMS if f.name == "think_tags_cut")
    form.apply(vertex_emulator)
    chunks = list(_model(chat_model, form).stream(QUESTION))
    reasoning = "".join(
        b["reasoning"] for c in chunks for b in c.content_blocks if b["type"] == "reasoning"
    )
    text = "".join(b["text"] for c in chunks for b in c.content_blocks if b["type"] == "text")
    assert (reasoning, text) == (REASONING, ANSWER)
    # The reasoning streamed before the answer, piece by piece (not held to the end).
    kinds = [b["type"] for c in chunks for b in c.content_blocks if b["type"] != "tool_call"]
    assert kinds.index("text") > 10 and kinds[:10] == ["reasoning"] * 10


class City(BaseModel):
    """A city."""

    city: str


@pytest.mark.parametrize("name", ["thought_marker", "thoughts_untagged", "think_tags"])
def test_structured_output_on_a_thinking_model(
    vertex_emulator: VertexEmulator, chat_model: Callable[..., Any], name: str
) -> None:
    form = next(f for f in REASONING_FORMS if f.name == name)
    form.apply(vertex_emulator)
    model = _model(chat_model, form)
    structured = model.with_structured_output(City, method="json_schema", include_raw=True)
    result = structured.invoke("Paris")
    assert result["parsing_error"] is None
    assert result["parsed"] == City(city="Paris")
    assert result["raw"].additional_kwargs["reasoning_content"] == "Thinking about: Paris"
    streamed = list(model.with_structured_output(City, method="json_schema").stream("Paris"))
    assert streamed[-1] == City(city="Paris")


def test_thoughts_without_marker_get_one(
    vertex_emulator: VertexEmulator, chat_model: Callable[..., Any]
) -> None:
    """Untagged, a unary answer's thoughts could not be told from its text: a marker is sent."""
    chat_model(include_thoughts=True).invoke(QUESTION)
    google = chat_requests(vertex_emulator)[-1].body["extra_body"]["google"]
    assert google["thought_tag_marker"] == "thought"
    chat_model(include_thoughts=True, thought_tag_marker="mine").invoke(QUESTION)
    assert (
        chat_requests(vertex_emulator)[-1].body["extra_body"]["google"]["thought_tag_marker"]
        == "mine"
    )


def test_reasoning_is_not_sent_back_as_words(
    vertex_emulator: VertexEmulator, chat_model: Callable[..., Any]
) -> None:
    form = next(f for f in REASONING_FORMS if f.name == "think_tags")
    model = _model(chat_model, form)
    first = model.invoke(QUESTION)
    model.invoke([("human", QUESTION), first, ("human", "And at night?")])
    sent = chat_requests(vertex_emulator)[-1].body["messages"][1]
    assert sent == {"role": "assistant", "content": ANSWER}


@pytest.mark.parametrize(
    "model_name", ["deepseek-ai/deepseek-v3.2-maas", "moonshotai/kimi-k2-thinking-maas"]
)
def test_reasoning_goes_back_on_tool_call_steps(
    vertex_emulator: VertexEmulator, chat_model: Callable[..., Any], model_name: str
) -> None:
    """DeepSeek's and Moonshot's docs: a tool-call step's reasoning_content must come back
    (as reasoning_content, not as content)."""
    from langchain_core.messages import HumanMessage, ToolMessage

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    form = next(f for f in REASONING_FORMS if f.name == "reasoning_content")
    model = _model(chat_model, form, model=model_name).bind_tools([get_weather])
    history: list[Any] = [HumanMessage(QUESTION)]
    step = model.invoke(history)
    assert step.tool_calls and step.additional_kwargs["reasoning_content"] == REASONING
    answer = model.invoke(
        [*history, step, ToolMessage("sunny", tool_call_id=step.tool_calls[0]["id"])]
    )
    sent = chat_requests(vertex_emulator)[-1].body["messages"][1]
    assert sent["reasoning_content"] == REASONING and sent["content"] in (None, "")
    # The answer after the tool result: its reasoning stays out of a message without tools.
    model.invoke([*history, answer, HumanMessage("thanks")])
    assert "reasoning_content" not in chat_requests(vertex_emulator)[-1].body["messages"][1]
    # Gemini never gets the field (it has thought signatures instead).
    gemini = chat_model(include_thoughts=True)
    gemini.invoke([*history, step.model_copy(update={"tool_calls": []}), HumanMessage("hi")])
    assert "reasoning_content" not in chat_requests(vertex_emulator)[-1].body["messages"][1]


#: What LangChain users see of each usage form (support.USAGE_FORMS): usage_metadata
#: (output counts reasoning, as OpenAI's; totals add up) and the traffic type.
USAGE_SEEN: dict[str, tuple[dict[str, Any], str | None]] = {
    "gemini_reasoning_outside_completion": (
        {
            "input_tokens": 27,
            "output_tokens": 549,
            "total_tokens": 576,
            "input_token_details": {},
            "output_token_details": {"reasoning": 504},
        },
        "PROVISIONED_THROUGHPUT",
    ),
    "openai_reasoning_inside_completion": (
        {
            "input_tokens": 10,
            "output_tokens": 30,
            "total_tokens": 40,
            "input_token_details": {},
            "output_token_details": {"reasoning": 20},
        },
        None,
    ),
    "maas_top_level_zero_and_cache": (
        {
            "input_tokens": 26,
            "output_tokens": 259,
            "total_tokens": 285,
            "input_token_details": {"cache_read": 15},
            "output_token_details": {},
        },
        "ON_DEMAND",
    ),
    "maas_top_level_count": (
        {
            "input_tokens": 5,
            "output_tokens": 50,
            "total_tokens": 55,
            "input_token_details": {},
            "output_token_details": {"reasoning": 30},
        },
        "ON_DEMAND",
    ),
}


@pytest.mark.parametrize(
    ("model_name", "usage", "expected", "traffic"),
    [(*USAGE_FORMS[name], *USAGE_SEEN[name]) for name in USAGE_SEEN],
    ids=list(USAGE_SEEN),
)
async def test_usage_forms(
    vertex_emulator: VertexEmulator,
    chat_model: Callable[..., Any],
    model_name: str,
    usage: dict[str, Any],
    expected: dict[str, Any],
    traffic: str | None,
) -> None:
    model = chat_model(model=model_name)
    results = []
    for how in ("invoke", "stream", "astream"):
        vertex_emulator.queue_reply(content="hello", usage=usage)
        if how == "invoke":
            results.append(model.invoke("hi"))
            continue
        chunks = (
            list(model.stream("hi")) if how == "stream" else [c async for c in model.astream("hi")]
        )
        full = chunks[0]
        for chunk in chunks[1:]:
            full = full + chunk
        results.append(full)
    for message in results:
        assert message.usage_metadata == expected
        assert message.response_metadata.get("traffic_type") == traffic
        meta = message.usage_metadata
        assert meta["input_tokens"] + meta["output_tokens"] == meta["total_tokens"]


def test_summarization_middleware_trusts_reported_tokens(chat_model: Callable[..., Any]) -> None:
    """model_provider and ls_provider agree, so the middleware reads our token counts."""
    middleware = pytest.importorskip("langchain.agents.middleware.summarization")
    model = chat_model()
    message = model.invoke("hi")
    provider = message.response_metadata["model_provider"]
    assert provider == model._get_ls_params()["ls_provider"] == "google_vertexai"
    matches = getattr(middleware, "_provider_matches", None)  # langchain >= 1.1 compares
    assert matches is None or matches(provider, model._get_ls_params()["ls_provider"])
