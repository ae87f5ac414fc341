"""The emulator's defaults follow Google's published shapes; each old shape stays a switch.

Real HTTP (httpx, the plain openai SDK) against the emulator; no mocks.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from vertex_openai.testing import VertexEmulator

GEMINI = "google/gemini-2.5-flash"
GEMINI3 = "google/gemini-3-pro-preview"
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "vertex"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "exec",
            "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def http(emu: VertexEmulator, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emu.base_url(), headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        yield client


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def chat(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/chat/completions", json=body)


def events(response: httpx.Response) -> list[str]:
    return [b[len("data: ") :] for b in response.text.split("\n\n") if b.startswith("data: ")]


def chunks(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(e) for e in events(response) if e != "[DONE]"]


def plain_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body, dict), body  # not list-wrapped
    error: dict[str, Any] = body["error"]
    return error


def listed_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    error: dict[str, Any] = body[0]["error"]
    assert error["code"] == response.status_code
    return error


# ----------------------------------------------------------------- 1. Gemini stream shape


def test_gemini_stream_tool_calls_are_indexless_one_per_chunk(
    emu: VertexEmulator, http: httpx.Client
) -> None:
    emu.queue_reply(
        tool_calls=[{"name": "exec", "arguments": {"cmd": "ls"}}, {"name": "exec", "arguments": {}}]
    )
    response = chat(http, model=GEMINI3, messages=[user("ls")], tools=TOOLS, stream=True)
    parts = chunks(response)
    call_chunks = [c for c in parts if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]
    assert len(call_chunks) == 2
    calls = [c["choices"][0]["delta"]["tool_calls"] for c in call_chunks]
    assert all(len(one) == 1 and "index" not in one[0] for one in calls)
    first, second = calls[0][0], calls[1][0]
    assert first["function"] == {"name": "exec", "arguments": '{"cmd": "ls"}'}
    assert first["extra_content"]["google"]["thought_signature"]
    assert "extra_content" not in second  # only the step's first call is signed
    final = parts[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["usage"]["total_tokens"] >= 1  # usage on the finish_reason chunk
    assert all("usage" not in c for c in parts[:-1])
    assert events(response)[-1] == "[DONE]"

    # Unary Gemini answers keep "tool_calls" (googleapis/python-genai#2868).
    unary = chat(http, model=GEMINI, messages=[user("ls")], tools=TOOLS).json()
    assert unary["choices"][0]["finish_reason"] == "tool_calls"

    # Non-Gemini models keep OpenAI's shape.
    maas = chunks(
        chat(
            http,
            model="meta/llama-3.3-70b-instruct-maas",
            messages=[user("ls")],
            tools=TOOLS,
            stream=True,
        )
    )
    [delta] = [c["choices"][0]["delta"] for c in maas if "tool_calls" in c["choices"][0]["delta"]]
    assert delta["tool_calls"][0]["index"] == 0
    assert maas[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_gemini_stream_tool_call_index_switch(emu: VertexEmulator, http: httpx.Client) -> None:
    emu.gemini_stream_tool_call_index = True
    parts = chunks(chat(http, model=GEMINI, messages=[user("ls")], tools=TOOLS, stream=True))
    [delta] = [c["choices"][0]["delta"] for c in parts if "tool_calls" in c["choices"][0]["delta"]]
    assert delta["tool_calls"][0]["index"] == 0
    assert parts[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_openai_sdk_reads_the_indexless_stream(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=GEMINI,
        messages=[user("ls")],
        tools=TOOLS,
        stream=True,  # type: ignore[arg-type]
    )
    parts = list(stream)
    calls = [tc for p in parts if p.choices for tc in p.choices[0].delta.tool_calls or []]
    assert [c.function.name for c in calls if c.function] == ["exec"]
    assert parts[-1].choices[0].finish_reason == "stop"


def test_thought_deltas_are_flagged(emu: VertexEmulator, http: httpx.Client) -> None:
    google: dict[str, Any] = {"thinking_config": {"include_thoughts": True}}
    body = {"model": GEMINI, "messages": [user("hi")], "extra_body": {"google": google}}
    parts = chunks(chat(http, **body, stream=True))
    deltas = [c["choices"][0]["delta"] for c in parts if c["choices"]]
    thoughts = [d for d in deltas if d.get("extra_content") == {"google": {"thought": True}}]
    assert [d["content"] for d in thoughts] == ["Thinking about: hi"]
    answer = "".join(d.get("content", "") for d in deltas if d not in thoughts)
    assert answer == "You said: hi"
    # Unary: unchanged (thought inline, untagged); with a marker: tagged, no flag.
    assert chat(http, **body).json()["choices"][0]["message"]["content"] == (
        "Thinking about: hi\nYou said: hi"
    )
    google["thought_tag_marker"] = "think"
    tagged = chunks(chat(http, **body, stream=True))
    assert not any("extra_content" in c["choices"][0]["delta"] for c in tagged if c["choices"])


# ----------------------------------------------------------------- 2. thought signatures


def _first_step(http: httpx.Client) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    history = [{"role": "system", "content": "sys"}, user("ls")]
    message = chat(http, model=GEMINI3, messages=history, tools=TOOLS).json()["choices"][0][
        "message"
    ]
    return history, message["tool_calls"][0]


def _with_signature(call: dict[str, Any], signature: str | None) -> dict[str, Any]:
    stripped = {k: v for k, v in call.items() if k != "extra_content"}
    if signature is None:
        return stripped
    return {**stripped, "extra_content": {"google": {"thought_signature": signature}}}


def _turn(history: list[dict[str, Any]], *steps: dict[str, Any]) -> list[dict[str, Any]]:
    messages = list(history)
    for call in steps:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": "ok"})
    return messages


@pytest.mark.parametrize(
    "placeholder", ["skip_thought_signature_validator", "context_engineering_is_the_way_to_go"]
)
def test_documented_placeholders_pass(
    emu: VertexEmulator, http: httpx.Client, placeholder: str
) -> None:
    history, call = _first_step(http)
    messages = _turn(history, _with_signature(call, placeholder))
    assert chat(http, model=GEMINI3, messages=messages, tools=TOOLS).status_code == 200
    emu.accept_dummy_signatures = False
    rejected = chat(http, model=GEMINI3, messages=messages, tools=TOOLS)
    assert rejected.status_code == 400 and "invalid" in listed_error(rejected)["message"]


def test_signature_must_belong_to_its_call(http: httpx.Client) -> None:
    history, call = _first_step(http)
    _, other = _first_step(http)
    signature = other["extra_content"]["google"]["thought_signature"]
    messages = _turn(history, _with_signature(call, signature))  # another call's signature
    response = chat(http, model=GEMINI3, messages=messages, tools=TOOLS)
    assert response.status_code == 400
    error = listed_error(response)
    assert (
        error["status"] == "INVALID_ARGUMENT"
        and "invalid `thought_signature`" in (error["message"])
    )
    text = chat(http, model=GEMINI3, messages=[user("hi")]).json()["choices"][0]["message"]
    text_signature = text["extra_content"]["google"]["thought_signature"]
    messages = _turn(history, _with_signature(call, text_signature))  # a text part's signature
    assert chat(http, model=GEMINI3, messages=messages, tools=TOOLS).status_code == 400
    assert chat(http, model=GEMINI3, messages=_turn(history, call), tools=TOOLS).is_success


def test_every_step_of_the_current_turn_is_checked(http: httpx.Client) -> None:
    history, call = _first_step(http)
    second = chat(http, model=GEMINI3, messages=_turn(history, call), tools=TOOLS)
    assert second.is_success
    # An unsigned first call in the second step of the current turn: content block 4
    # (user, assistant, tool, assistant).
    unsigned = _with_signature({**call, "id": "call_x"}, None)
    response = chat(http, model=GEMINI3, messages=_turn(history, call, unsigned), tools=TOOLS)
    assert response.status_code == 400
    assert (
        "function call `exec` in the 4. content block is missing"
        in (listed_error(response)["message"])
    )
    # The same history is an earlier turn once a user message follows: not checked.
    older = [*_turn(history, call, unsigned), user("again")]
    assert chat(http, model=GEMINI3, messages=older).is_success


def test_parallel_calls_only_the_first_is_signed(emu: VertexEmulator, http: httpx.Client) -> None:
    emu.queue_reply(
        tool_calls=[{"name": "exec", "arguments": {}}, {"name": "exec", "arguments": {}}]
    )
    history = [user("ls")]
    message = chat(http, model=GEMINI3, messages=history, tools=TOOLS).json()["choices"][0][
        "message"
    ]
    first, second = message["tool_calls"]
    assert "extra_content" not in second
    messages = [
        *history,
        {"role": "assistant", "content": None, "tool_calls": [first, second]},
        {"role": "tool", "tool_call_id": first["id"], "content": "a"},
        {"role": "tool", "tool_call_id": second["id"], "content": "b"},
    ]
    assert chat(http, model=GEMINI3, messages=messages, tools=TOOLS).is_success


def test_2026_wording(emu: VertexEmulator, http: httpx.Client) -> None:
    history, call = _first_step(http)
    messages = _turn(history, _with_signature(call, None))
    assert emu.signature_error_wording == "2025"
    emu.signature_error_wording = "2026"
    response = chat(http, model=GEMINI3, messages=messages, tools=TOOLS)
    error = listed_error(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == (
        "Function call is missing a thought_signature in functionCall parts. This is required "
        "for tools to work correctly, and missing thought_signature may lead to degraded model "
        "performance. Additional data, function call `default_api:exec` , position 2. Please "
        "refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
    )


# ----------------------------------------------------------------- 3. MaaS partner models


@pytest.mark.parametrize(
    ("model", "body", "reasoning", "content"),
    [
        ("deepseek-ai/deepseek-v3.2-maas", {"reasoning_effort": "high"}, True, "You said: hi"),
        ("deepseek-ai/deepseek-v3.2-maas", {}, False, "You said: hi"),
        ("openai/gpt-oss-120b-maas", {}, True, "You said: hi"),
        ("zai-org/glm-4.7-maas", {"reasoning_effort": "low"}, True, "You said: hi"),
        ("moonshotai/kimi-k2-thinking-maas", {}, True, "You said: hi"),
        ("qwen/qwen3-next-80b-a3b-thinking-maas", {}, True, "You said: hi"),
        (
            "deepseek-ai/deepseek-r1-0528-maas",
            {},
            False,
            "<think>Thinking about: hi</think>\n\nYou said: hi",
        ),
        (
            "minimaxai/minimax-m2-maas",
            {},
            False,
            "<think>Thinking about: hi</think>\n\nYou said: hi",
        ),
        (
            "deepseek-ai/deepseek-v3.1-maas",
            {"reasoning_effort": "medium"},
            False,
            "Thinking about: hi</think>You said: hi",
        ),
        ("deepseek-ai/deepseek-v3.1-maas", {}, False, "You said: hi"),
        ("meta/llama-3.3-70b-instruct-maas", {"reasoning_effort": "low"}, False, "You said: hi"),
    ],
)
def test_maas_reasoning_forms(
    http: httpx.Client, model: str, body: dict[str, Any], reasoning: bool, content: str
) -> None:
    raw = chat(http, model=model, messages=[user("hi")], **body).json()
    message = raw["choices"][0]["message"]
    assert message["content"] == content
    assert (message.get("reasoning_content") is not None) is reasoning
    # The thinking page's SGLang-style keys: null when unused, on all but DeepSeek R1.
    r1 = "deepseek-r1" in model
    assert ("reasoning_content" in message) is (reasoning or not r1)
    assert ("tool_calls" in message) is not r1 and ("system_fingerprint" in raw) is r1
    if reasoning:
        assert message["reasoning_content"] == "Thinking about: hi"
    streamed = chunks(chat(http, model=model, messages=[user("hi")], stream=True, **body))
    deltas = [c["choices"][0]["delta"] for c in streamed if c["choices"]]
    assert "".join(d.get("content") or "" for d in deltas) == content
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == (
        "Thinking about: hi" if reasoning else ""
    )


def test_maas_extra_keys(emu: VertexEmulator, http: httpx.Client) -> None:
    model = "deepseek-ai/deepseek-r1-0528-maas"
    raw = chat(http, model=model, messages=[user("hi")]).json()
    assert raw["metadata"] == {"weight_version": "default"}
    assert raw["choices"][0]["matched_stop"] == 1
    usage = raw["usage"]
    assert usage["extra_properties"] == {"google": {"traffic_type": "ON_DEMAND"}}
    # A top-level reasoning_tokens of 0 although the model reasoned (Google's examples).
    assert usage["prompt_tokens_details"] is None and usage["reasoning_tokens"] == 0
    assert "completion_tokens_details" not in usage
    emu.maas_reasoning_tokens = "count"
    counted = chat(http, model=model, messages=[user("hi")]).json()["usage"]
    assert counted["reasoning_tokens"] == 3
    emu.maas_reasoning_tokens = "zero"
    streamed = chunks(chat(http, model=model, messages=[user("hi")], stream=True))
    assert all(c["metadata"] == {"weight_version": "default"} for c in streamed)
    assert streamed[-1]["choices"][0]["matched_stop"] == 1
    assert streamed[-1]["usage"]["extra_properties"]["google"]["traffic_type"] == "ON_DEMAND"
    # Gemini answers carry none of these.
    gemini = chat(http, model=GEMINI, messages=[user("hi")]).json()
    assert "metadata" not in gemini and "extra_properties" not in gemini["usage"]
    emu.maas_extra_keys = False
    bare = chat(http, model=model, messages=[user("hi")]).json()
    assert "metadata" not in bare and set(bare["usage"]) == {
        "completion_tokens",
        "prompt_tokens",
        "total_tokens",
    }


def test_maas_reasoning_switch(emu: VertexEmulator, http: httpx.Client) -> None:
    model = "deepseek-ai/deepseek-v3.2-maas"
    emu.maas_reasoning = "always"
    message = chat(http, model=model, messages=[user("hi")]).json()["choices"][0]["message"]
    assert message["reasoning_content"] == "Thinking about: hi"
    emu.maas_reasoning = "never"
    message = chat(http, model="deepseek-ai/deepseek-r1-0528-maas", messages=[user("hi")]).json()[
        "choices"
    ][0]["message"]
    assert message["content"] == "You said: hi"


# ----------------------------------------------------------------- 4. stream framing


def test_stream_switches(emu: VertexEmulator, http: httpx.Client) -> None:
    body = {"model": GEMINI, "messages": [user("a b")], "stream": True}
    emu.send_done = False
    response = chat(http, **body)
    assert "[DONE]" not in events(response) and chunks(response)[-1]["usage"]
    emu.send_done = True
    emu.maas_capture_stream_shape = True
    parts = chunks(chat(http, **body))
    assert all("id" not in c and "created" not in c for c in parts)
    assert all(c["choices"][0]["delta"].get("role") == "assistant" for c in parts[:-1])
    emu.maas_capture_stream_shape = False
    emu.separate_usage_chunk = True
    parts = chunks(chat(http, **body))
    assert parts[-2]["choices"][0]["finish_reason"] == "stop" and "usage" not in parts[-2]
    assert parts[-1]["choices"] == [] and parts[-1]["usage"]["total_tokens"] == 6


# ----------------------------------------------------------------- 5. errors


def test_401_is_a_plain_object_with_reasons(emu: VertexEmulator) -> None:
    url = emu.base_url() + "/chat/completions"
    payload = {"model": GEMINI, "messages": [user("hi")]}
    missing = httpx.post(url, json=payload)
    assert missing.status_code == 401
    error = plain_error(missing)
    assert error["status"] == "UNAUTHENTICATED"
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"
    assert error["message"].startswith("Request is missing required authentication credential")
    expired = emu.issue_token(lifetime=0.01)
    time.sleep(0.05)
    for bad in ("ya29.unknown", expired):
        response = httpx.post(url, json=payload, headers={"Authorization": f"Bearer {bad}"})
        assert plain_error(response)["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"


def test_other_errors_are_list_wrapped_and_429_retry_info(
    emu: VertexEmulator, http: httpx.Client, client: openai.OpenAI
) -> None:
    emu.fail(429, retry_delay="1.5s")
    response = chat(http, model=GEMINI, messages=[user("x")])
    error = listed_error(response)
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}
    ]
    for status, name in ((400, "INVALID_ARGUMENT"), (403, "PERMISSION_DENIED"), (404, "NOT_FOUND")):
        emu.fail(status)
        assert listed_error(chat(http, model=GEMINI, messages=[user("x")]))["status"] == name
    emu.fail(429)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=GEMINI, messages=[user("x")])


# ----------------------------------------------------------------- 6. verbatim fixtures


def test_queue_raw_json_is_served_verbatim(emu: VertexEmulator, http: httpx.Client) -> None:
    body = b'[{\n  "error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "m"}\n}]\n'
    emu.queue_raw(400, body, "application/json", {"X-Fixture": "yes"})
    response = chat(http, model=GEMINI, messages=[user("x")])
    assert response.status_code == 400 and response.content == body
    assert response.headers["x-fixture"] == "yes"
    assert response.headers["content-type"] == "application/json"
    assert emu.requests[-1].status == 400 and emu.requests[-1].body["model"] == GEMINI
    # Only the next one; an embeddings route fixture waits for an embeddings request.
    emu.queue_raw(200, b'{"data": []}', "application/json", route="embeddings")
    assert chat(http, model=GEMINI, messages=[user("x")]).json()["object"] == "chat.completion"
    assert http.post("/embeddings", json={"model": "x/y", "input": "a"}).content == b'{"data": []}'


def test_queue_raw_stream_arrives_one_event_at_a_time(
    emu: VertexEmulator, http: httpx.Client, token: str
) -> None:
    sse = b'data: {"n": 1}\n\ndata: {"n": 2}\r\n\r\ndata: [DONE]\n\n'
    # An unauthenticated request gets its 401; the fixture stays queued for the next one.
    emu.queue_raw(200, sse, "text/event-stream")
    url = emu.base_url() + "/chat/completions"
    assert httpx.post(url, json={"model": GEMINI, "messages": []}).status_code == 401
    emu.set_chunk_delay(0.3)
    arrivals: list[tuple[float, bytes]] = []
    with http.stream("POST", "/chat/completions", json={"model": GEMINI, "stream": True}) as r:
        assert r.headers["content-type"] == "text/event-stream"
        for piece in r.iter_raw():
            arrivals.append((time.monotonic(), piece))
    assert b"".join(p for _, p in arrivals) == sse
    assert [p for _, p in arrivals] == [
        b'data: {"n": 1}\n\n',
        b'data: {"n": 2}\r\n\r\n',
        b"data: [DONE]\n\n",
    ]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(arrivals)]
    assert all(gap > 0.2 for gap in gaps), gaps
    assert [r.status for r in emu.requests] == [401, 200]


@pytest.mark.parametrize(
    "fixture",
    sorted(
        p for p in FIXTURES.glob("*") if p.suffix in (".json", ".sse") and ".meta." not in p.name
    )
    if FIXTURES.is_dir()
    else [],
    ids=lambda p: p.name,
)
def test_queue_fixture_serves_each_published_fixture(
    emu: VertexEmulator, http: httpx.Client, fixture: pathlib.Path
) -> None:
    meta = json.loads(
        fixture.with_name(fixture.name[: -len(fixture.suffix)] + ".meta.json").read_text()
    )
    emu.queue_fixture(fixture)
    response = chat(http, model=GEMINI, messages=[user("x")])
    assert response.status_code == meta["status"]
    assert response.headers["content-type"] == meta["content_type"]
    assert response.content == fixture.read_bytes()


def test_queue_fixture_by_name(
    emu: VertexEmulator, http: httpx.Client, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "cap.sse").write_bytes(b'data: {"a": 1}\n\n')
    (tmp_path / "cap.meta.json").write_text('{"status": 200, "content_type": "text/event-stream"}')
    emu.queue_fixture(tmp_path / "cap")
    assert chat(http, model=GEMINI, messages=[user("x")]).content == b'data: {"a": 1}\n\n'
    (tmp_path / "bare.json").write_bytes(b"{}")  # no sidecar: 200, JSON
    emu.queue_fixture(tmp_path / "bare.json")
    response = chat(http, model=GEMINI, messages=[user("x")])
    assert response.status_code == 200 and response.content == b"{}"
    with pytest.raises(FileNotFoundError):
        emu.queue_fixture(tmp_path / "absent")


# ----------------------------------------------------------------- 7. embeddings limits


def test_embeddings_input_limits(emu: VertexEmulator, http: httpx.Client) -> None:
    def embed(model: str, count: int) -> httpx.Response:
        return http.post("/embeddings", json={"model": model, "input": ["t"] * count})

    assert embed("google/text-embedding-005", 250).is_success
    too_many = embed("google/text-embedding-005", 251)
    assert too_many.status_code == 400
    assert listed_error(too_many)["status"] == "INVALID_ARGUMENT"
    assert embed("google/gemini-embedding-001", 1).is_success
    assert embed("google/gemini-embedding-001", 2).status_code == 400
    emu.gemini_embedding_max_inputs = 250
    emu.embeddings_max_inputs = 300
    assert embed("google/gemini-embedding-001", 2).is_success
    assert embed("google/text-embedding-005", 300).is_success


# ----------------------------------------------------------------- reasoning switches


def test_reasoning_field_name_switch(emu: VertexEmulator, http: httpx.Client) -> None:
    body = {"model": "deepseek-ai/deepseek-v3.2-maas", "reasoning_effort": "high"}
    emu.maas_reasoning_field = "reasoning"
    message = chat(http, messages=[user("hi")], **body).json()["choices"][0]["message"]
    assert message["reasoning"] == "Thinking about: hi"
    assert message["reasoning_content"] is None  # the SGLang key, unused
    deltas = [
        c["choices"][0]["delta"]
        for c in chunks(chat(http, messages=[user("hi")], stream=True, **body))
        if c["choices"]
    ]
    assert "".join(d.get("reasoning") or "" for d in deltas) == "Thinking about: hi"


THOUGHTS = {"extra_body": {"google": {"thinking_config": {"include_thoughts": True}}}}
MARKED = {
    "extra_body": {
        "google": {"thinking_config": {"include_thoughts": True}, "thought_tag_marker": "t"}
    }
}


def _streamed(http: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    streamed = chunks(chat(http, model=GEMINI, messages=[user("hi")], stream=True, **body))
    return [c["choices"][0]["delta"] for c in streamed if c["choices"]]


def test_thought_deltas_flagged_or_tagged(emu: VertexEmulator, http: httpx.Client) -> None:
    # Without a marker: one content delta flagged extra_content.google.thought, then the text.
    deltas = _streamed(http, **THOUGHTS)
    flagged = [d for d in deltas if d.get("extra_content", {}).get("google", {}).get("thought")]
    assert [d["content"] for d in flagged] == ["Thinking about: hi"]
    # With a marker: inline in the tags (docs) unless flag_thought_deltas.
    text = "".join(d.get("content") or "" for d in _streamed(http, **MARKED))
    assert text == "<t>Thinking about: hi</t>You said: hi"
    emu.flag_thought_deltas = True
    deltas = _streamed(http, **MARKED)
    flagged = [d for d in deltas if d.get("extra_content", {}).get("google", {}).get("thought")]
    assert [d["content"] for d in flagged] == ["Thinking about: hi"]
    rest = "".join(d.get("content") or "" for d in deltas if d not in flagged)
    assert rest == "You said: hi"


def test_stream_chunk_chars_cuts_tags(emu: VertexEmulator, http: httpx.Client) -> None:
    emu.stream_chunk_chars = 2
    pieces = [d["content"] for d in _streamed(http, **MARKED) if d.get("content")]
    assert "".join(pieces) == "<t>Thinking about: hi</t>You said: hi"
    assert pieces[:2] == ["<t", ">T"] and all(len(p) <= 2 for p in pieces)


def test_gemini_totals_count_thinking(http: httpx.Client) -> None:
    usage = chat(
        http,
        model=GEMINI,
        messages=[user("hi")],
        extra_body={"google": {"thinking_config": {"thinking_budget": 100}}},
    ).json()["usage"]
    reasoning = usage["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] + reasoning
