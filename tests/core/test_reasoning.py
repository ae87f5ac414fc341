"""Reasoning apart from the answer (vertex_openai.reasoning) and usage read one way (usage).

The splitter on its own (every cut of a tag across chunks), then the plain openai client over
real HTTP to the emulator: every wire form, unary and streamed, reaches the user as ``content``
(the answer) and ``reasoning_content`` (the reasoning).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import vertex_openai
from vertex_openai.reasoning import (
    ReasoningSplitter,
    StreamReasoning,
    hints_from_request,
    mark_thoughts,
    split_reasoning,
)
from vertex_openai.testing import VertexEmulator
from vertex_openai.usage import Usage, read_usage

from support import REASONING_FORMS, ReasoningForm, chat_requests, target

SPLITS = [
    # (text, marker, starts_inside, reasoning, answer)
    ("<think>abc</think>\n\nanswer", None, False, "abc", "answer"),
    ("\n<think>abc</think>answer", None, False, "abc", "answer"),
    ("<thought>t1</thought><thought>t2</thought> ans", "thought", False, "t1t2", "ans"),
    ("<think>a</think><thought>b</thought>c", "thought", False, "ab", "c"),
    ("reason</think>ans", None, True, "reason", "ans"),
    ("reason, cut by max_tokens", None, True, "reason, cut by max_tokens", ""),
    ("<think>reason</think>ans", None, True, "reason", "ans"),  # an opening tag after all
    ("<th", None, True, "<th", ""),
    ("<think>unfinished", None, False, "unfinished", ""),
    # Not reasoning: a tag later in the text, a lone closing tag, a cut tag at the end.
    ("hello <think>x</think>", None, False, None, "hello <think>x</think>"),
    ("use </think> to close", None, False, None, "use </think> to close"),
    ("<thi", None, False, None, "<thi"),
    ("\n plain", None, False, None, "\n plain"),
    ("<thought>x</thought>y", None, False, None, "<thought>x</thought>y"),
]


@pytest.mark.parametrize(("text", "marker", "inside", "reasoning", "answer"), SPLITS)
def test_split_whole_and_in_every_cut(
    text: str, marker: str | None, inside: bool, reasoning: str | None, answer: str
) -> None:
    assert split_reasoning(text, marker, starts_inside=inside) == (reasoning, answer)
    for size in range(1, len(text) + 1):
        splitter = ReasoningSplitter(marker, starts_inside=inside)
        got_reasoning = got_answer = ""
        for start in range(0, len(text), size):
            r, a = splitter.feed(text[start : start + size])
            got_reasoning, got_answer = got_reasoning + r, got_answer + a
        r, a = splitter.flush()
        got = (got_reasoning + r if splitter.found else None, got_answer + a)
        assert got == (reasoning, answer), size


def test_hints_from_the_request() -> None:
    def hints(payload: dict[str, Any]) -> Any:
        return hints_from_request(json.dumps(payload).encode())

    v31 = "deepseek-ai/deepseek-v3.1-maas"
    assert hints({"model": v31}).starts_inside is False  # thinking off: no reasoning at all
    on = {"chat_template_kwargs": {"thinking": True}}
    assert hints({"model": v31, **on}).starts_inside is True
    assert hints({"model": "deepseek-ai/deepseek-v3.2-maas", **on}).starts_inside is False
    marker = {"extra_body": {"google": {"thought_tag_marker": "t"}}}
    assert hints({"model": "google/gemini-2.5-flash", **marker}).marker == "t"
    camel = {"extra_body": {"google": {"thoughtTagMarker": "c"}}}
    assert hints({"model": "google/gemini-2.5-flash", **camel}).marker == "c"


def test_a_marker_for_thoughts_asked_without_one() -> None:
    for config in ({"include_thoughts": True}, {"includeThoughts": True}):
        for key in ("thinking_config", "thinkingConfig"):
            payload: dict[str, Any] = {"extra_body": {"google": {key: config}}}
            assert mark_thoughts(payload)
            assert payload["extra_body"]["google"]["thought_tag_marker"] == "thought"
    mine: dict[str, Any] = {
        "extra_body": {"google": {"thinking_config": config, "thoughtTagMarker": "m"}}
    }
    assert not mark_thoughts(mine) and "thought_tag_marker" not in mine["extra_body"]["google"]
    assert not mark_thoughts({"extra_body": {"google": {"thinking_config": {}}}})
    assert not mark_thoughts({"messages": []})


def test_flagged_thought_delta_keeps_its_signature() -> None:
    stream = StreamReasoning()
    chunk: dict[str, Any] = {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": "pondering",
                    "extra_content": {"google": {"thought": True, "thought_signature": "sig"}},
                },
            }
        ]
    }
    assert stream.normalize_chunk(chunk)
    delta = chunk["choices"][0]["delta"]
    assert delta == {
        "content": "",
        "reasoning_content": "pondering",
        "extra_content": {"google": {"thought_signature": "sig"}},
    }


def _client(emu: VertexEmulator) -> Any:
    return vertex_openai.openai_client(**target(emu), max_retries=0)


def _request(form: ReasoningForm) -> dict[str, Any]:
    model = form.model if "/" in form.model else f"google/{form.model}"
    extra: dict[str, Any] = dict(form.extra_body() or {})
    google: dict[str, Any] = {}
    if form.include_thoughts:
        google["thinking_config"] = {"include_thoughts": True}
    if form.marker:
        google["thought_tag_marker"] = form.marker
    if google:
        extra["extra_body"] = {"google": google}
    return {"model": model, "extra_body": extra or None}


@pytest.mark.parametrize("form", REASONING_FORMS, ids=lambda f: f.name)
async def test_plain_client_sees_answer_and_reasoning(
    vertex_emulator: VertexEmulator, form: ReasoningForm
) -> None:
    form.apply(vertex_emulator)
    messages = [{"role": "user", "content": "Why"}]
    client = _client(vertex_emulator)
    answer = client.chat.completions.create(messages=messages, **_request(form))
    message = answer.choices[0].message
    assert message.content == "You said: Why"
    assert (message.model_extra or {})["reasoning_content"] == "Thinking about: Why"
    text = reasoning = ""
    for chunk in client.chat.completions.create(messages=messages, stream=True, **_request(form)):
        for choice in chunk.choices:
            text += choice.delta.content or ""
            reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
    assert (text, reasoning) == ("You said: Why", "Thinking about: Why")
    aclient = vertex_openai.async_openai_client(**target(vertex_emulator), max_retries=0)
    async_answer = await aclient.chat.completions.create(messages=messages, **_request(form))
    assert async_answer.choices[0].message.content == "You said: Why"


def test_a_lone_closing_tag_is_text_for_other_models(vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.queue_reply(content="Close it with </think>.")
    answer = _client(vertex_emulator).chat.completions.create(
        model="google/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == "Close it with </think>."
    assert "reasoning_content" not in (answer.choices[0].message.model_extra or {})


def _events(*deltas: dict[str, Any], done: bool = True, finish: bool = True) -> bytes:
    chunks = [{"id": "x", "choices": [{"index": 0, "delta": d}]} for d in deltas]
    if finish:
        chunks.append({"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


@pytest.mark.parametrize(("done", "finish"), [(True, True), (True, False), (False, True)], ids=str)
def test_held_text_is_never_lost(vertex_emulator: VertexEmulator, done: bool, finish: bool) -> None:
    """A stream ending on what might start a tag: the text comes out (before [DONE], or at
    the end of a stream without [DONE])."""
    body = _events({"content": "<"}, {"content": "thin"}, done=done, finish=finish)
    vertex_emulator.queue_raw(200, body, "text/event-stream")
    text = ""
    for chunk in _client(vertex_emulator).chat.completions.create(
        model="google/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}], stream=True
    ):
        for choice in chunk.choices:
            text += choice.delta.content or ""
    assert text == "<thin"


def test_reasoning_field_and_tags_together(vertex_emulator: VertexEmulator) -> None:
    body = _events(
        {"reasoning": "a"}, {"content": "<"}, {"content": "think>b</thi"}, {"content": "nk>c"}
    )
    vertex_emulator.queue_raw(200, body, "text/event-stream")
    text = reasoning = ""
    for chunk in _client(vertex_emulator).chat.completions.create(
        model="qwen/qwen3-next-80b-a3b-thinking-maas",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    ):
        for choice in chunk.choices:
            text += choice.delta.content or ""
            reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
    assert (text, reasoning) == ("c", "ab")
    assert len(chat_requests(vertex_emulator)) == 1


USAGES = [
    # Gemini 3.x (Vertex examples page): reasoning outside completion_tokens.
    (
        {
            "prompt_tokens": 27,
            "completion_tokens": 45,
            "completion_tokens_details": {"reasoning_tokens": 504},
            "total_tokens": 576,
            "extra_properties": {"google": {"traffic_type": "PROVISIONED_THROUGHPUT"}},
        },
        Usage(27, 549, 576, 504, None, "PROVISIONED_THROUGHPUT"),
    ),
    # OpenAI's convention: reasoning inside completion_tokens.
    (
        {
            "prompt_tokens": 1,
            "completion_tokens": 9,
            "total_tokens": 10,
            "completion_tokens_details": {"reasoning_tokens": 4},
        },
        Usage(1, 9, 10, 4),
    ),
    # MaaS: a top-level 0 is not a count; cached tokens.
    (
        {
            "prompt_tokens": 26,
            "completion_tokens": 259,
            "total_tokens": 285,
            "reasoning_tokens": 0,
            "prompt_tokens_details": {"cached_tokens": 15},
            "extra_properties": {"google": {"traffic_type": "ON_DEMAND"}},
        },
        Usage(26, 259, 285, None, 15, "ON_DEMAND"),
    ),
    ({"prompt_tokens": 2, "completion_tokens": 3, "reasoning_tokens": 2}, Usage(2, 3, 5, 2)),
    ({"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 9}, Usage(2, 7, 9)),
    ({"total_tokens": 9}, None),
    (None, None),
]


@pytest.mark.parametrize(("usage", "expected"), USAGES)
def test_read_usage(usage: Any, expected: Usage | None) -> None:
    read = read_usage(usage)
    assert read == expected
    if read is not None:
        assert read.input_tokens + read.output_tokens == read.total_tokens


def test_every_choice_of_n_is_read(vertex_emulator: VertexEmulator) -> None:
    """With ``n=2``, the first choice settling does not stop the stream being read: the
    second choice's tags, arriving after, are still reasoning."""
    chunks = [
        {"id": "x", "choices": [{"index": 0, "delta": {"content": "<think>a</think>A"}}]},
        {"id": "x", "choices": [{"index": 0, "delta": {"content": " more"}}]},
        {"id": "x", "choices": [{"index": 1, "delta": {"content": "<think>b</think>B"}}]},
        {"id": "x", "choices": [{"index": 1, "delta": {}, "finish_reason": "stop"}]},
    ]
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    vertex_emulator.queue_raw(200, body + b"data: [DONE]\n\n", "text/event-stream")
    seen: dict[int, list[str]] = {0: ["", ""], 1: ["", ""]}
    for chunk in _client(vertex_emulator).chat.completions.create(
        model="minimaxai/minimax-m2-maas",
        messages=[{"role": "user", "content": "hi"}],
        n=2,
        stream=True,
    ):
        for choice in chunk.choices:
            seen[choice.index][0] += choice.delta.content or ""
            seen[choice.index][1] += (choice.delta.model_extra or {}).get("reasoning_content") or ""
    assert seen == {0: ["A more", "a"], 1: ["B", "b"]}
