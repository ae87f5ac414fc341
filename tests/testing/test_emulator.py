"""Tests of the offline Vertex emulator itself (raw httpx, real google-auth, openai SDK)."""

from __future__ import annotations

import base64
import concurrent.futures
import datetime
import json
import math
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2._client
import httpx
import openai
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import _exponential_backoff
from google.oauth2 import service_account

from vertex_openai.testing import RecordedRequest, VertexEmulator, schema_instance

try:
    import jsonschema
except ImportError:  # pragma: no cover - jsonschema is normally present
    jsonschema = None

GEMINI = "google/gemini-2.5-flash"
GEMINI3 = "google/gemini-3-pro-preview"
SIG_DOC = "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures"


def validate(instance: Any, schema: dict[str, Any]) -> None:
    if jsonschema is not None:
        jsonschema.validate(instance, schema)
        return
    # Fallback: top-level object with every required property present.
    assert isinstance(instance, dict)
    for name in schema.get("required", []):
        assert name in instance


@pytest.fixture
def http(emu: VertexEmulator, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emu.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        yield client


def chat_path(emu: VertexEmulator, endpoint: str = "openapi", version: str = "v1") -> str:
    return emu.base_url(endpoint=endpoint, version=version)[len(emu.url) :] + "/chat/completions"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def sse_events(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.split("\n\n") if line.startswith("data: ")]


# ---------------------------------------------------------------------------- auth


def test_google_auth_refresh_honours_lifetime(emu: VertexEmulator) -> None:
    emu.token_lifetime = 1234
    creds = emu.credentials()
    assert creds._token_uri == emu.token_uri
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token is not None and creds.token.startswith("ya29.emu-")
    assert emu.token_valid(creds.token)
    assert creds.expiry is not None
    remaining = (
        creds.expiry - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    ).total_seconds()
    assert 1224 < remaining <= 1234
    [hit] = emu.token_requests
    assert (hit.grant_type, hit.status) == ("urn:ietf:params:oauth:grant-type:jwt-bearer", 200)
    assert hit.access_token == creds.token
    assert emu.requests == []  # token hits are not Vertex requests


def test_service_account_file_and_quota_project(emu: VertexEmulator, tmp_path: Any) -> None:
    path = emu.write_service_account_file(tmp_path / "sa.json")
    info = json.loads(path.read_text())
    assert info["type"] == "service_account" and info["token_uri"] == emu.token_uri
    assert info["project_id"] == emu.project
    creds = service_account.Credentials.from_service_account_file(
        str(path), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    creds.refresh(google.auth.transport.requests.Request())
    quota = emu.credentials(quota_project_id="billing-project")
    quota.refresh(google.auth.transport.requests.Request())
    headers: dict[str, str] = {}
    quota.apply(headers)
    httpx.post(
        emu.url + chat_path(emu),
        headers=headers,
        json={"model": GEMINI, "messages": [user("hi")]},
    ).raise_for_status()
    [req] = emu.requests
    assert req.headers["x-goog-user-project"] == "billing-project"
    assert req.token == quota.token
    assert req.headers["authorization"] == f"Bearer {quota.token}"
    assert quota.token not in repr(req) and "***" in repr(req)


def test_authorized_user_refresh_grant(emu: VertexEmulator) -> None:
    creds = emu.authorized_user_credentials()
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token is not None and emu.token_valid(creds.token)
    assert emu.token_requests[-1].grant_type == "refresh_token"
    emu.revoke(creds.refresh_token)
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())


def test_invalid_jwt_rejected(emu: VertexEmulator) -> None:
    response = httpx.post(
        emu.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b.c"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # A well-formed assertion signed with a key the emulator does not know.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info = emu.service_account_info()
    info["private_key"] = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    creds = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        creds.refresh(google.auth.transport.requests.Request())
    assert "invalid_grant" in str(caught.value) and not caught.value.retryable
    assert [t.status for t in emu.token_requests] == [400, 400]


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    if response.status_code == 401:  # Google's front end: a plain object
        assert isinstance(body, dict)
        body = [body]
    assert isinstance(body, list) and len(body) == 1  # Google's list-wrapped error
    error: dict[str, Any] = body[0]["error"]
    assert error["code"] == response.status_code
    return error


def test_401_for_unknown_expired_revoked_and_missing_tokens(emu: VertexEmulator) -> None:
    url = emu.url + chat_path(emu)
    payload = {"model": GEMINI, "messages": [user("hi")]}
    short = emu.issue_token(lifetime=0.05)
    revoked = emu.issue_token()
    emu.revoke(revoked)
    time.sleep(0.1)
    for bad in ("ya29.not-issued-here", short, revoked):
        response = httpx.post(url, json=payload, headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
        error = _error(response)
        assert error["status"] == "UNAUTHENTICATED"
        assert error["message"].startswith("Request had invalid authentication credentials.")
        assert error["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"
    missing = httpx.post(url, json=payload)
    assert missing.status_code == 401 and _error(missing)["status"] == "UNAUTHENTICATED"
    assert [r.status for r in emu.requests] == [401, 401, 401, 401]
    # revoke() without argument revokes everything issued so far, not later tokens.
    a = emu.issue_token()
    emu.revoke()
    assert not emu.token_valid(a)
    assert emu.token_valid(emu.issue_token())


def test_bare_model_name_is_400(emu: VertexEmulator, http: httpx.Client) -> None:
    response = http.post(
        chat_path(emu), json={"model": "gemini-2.5-flash", "messages": [user("x")]}
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == (
        "Malformed publisher model name: expected format '<publisher>/<model>'"
    )
    emu.known_models = {GEMINI}
    unknown = http.post(chat_path(emu), json={"model": "google/nope", "messages": [user("x")]})
    assert unknown.status_code == 404 and "Publisher Model" in _error(unknown)["message"]


def test_wrong_project_is_403(emu: VertexEmulator, http: httpx.Client) -> None:
    path = chat_path(emu).replace(emu.project, "someone-else")
    response = http.post(path, json={"model": GEMINI, "messages": [user("x")]})
    assert response.status_code == 403 and _error(response)["status"] == "PERMISSION_DENIED"
    by_number = chat_path(emu).replace(emu.project, emu.project_number)
    assert http.post(by_number, json={"model": GEMINI, "messages": [user("x")]}).is_success


# ---------------------------------------------------------------------------- chat


def test_unary_shape(emu: VertexEmulator, http: httpx.Client, client: openai.OpenAI) -> None:
    raw = http.post(
        chat_path(emu, version="v1beta1"),
        json={
            "model": GEMINI,
            "messages": [{"role": "system", "content": "be nice"}, user("hi there")],
        },
    ).json()
    assert raw["object"] == "chat.completion" and raw["system_fingerprint"] == ""
    assert raw["model"] == GEMINI
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,23}", raw["id"])  # as the published ids
    [choice] = raw["choices"]
    assert choice == {
        "finish_reason": "stop",
        "index": 0,
        "logprobs": None,
        "message": {"role": "assistant", "content": "You said: hi there"},
    }
    assert raw["usage"] == {"completion_tokens": 4, "prompt_tokens": 4, "total_tokens": 8}
    assert emu.requests[-1].api_version == "v1beta1"

    result = client.chat.completions.create(
        model=GEMINI,
        messages=[user([{"type": "text", "text": "one two"}, {"type": "text", "text": "three"}])],  # type: ignore[list-item]
        max_tokens=3,
        n=2,
    )
    assert [c.message.content for c in result.choices] == ["You said: one", "You said: one"]
    assert {c.finish_reason for c in result.choices} == {"length"}


def test_reasoning_tokens_and_thoughts(
    client: openai.OpenAI, http: httpx.Client, emu: VertexEmulator
) -> None:
    result = client.chat.completions.create(
        model=GEMINI, messages=[user("hi")], reasoning_effort="low"
    )
    assert result.usage is not None and result.usage.completion_tokens_details is not None
    assert result.usage.completion_tokens_details.reasoning_tokens == 11
    tagged = client.chat.completions.create(
        model=GEMINI,
        messages=[user("hi")],
        extra_body={
            "extra_body": {
                "google": {
                    "thinking_config": {"include_thoughts": True},
                    "thought_tag_marker": "think",
                }
            }
        },
    )
    assert tagged.choices[0].message.content == "<think>Thinking about: hi</think>You said: hi"
    both = http.post(
        chat_path(emu),
        json={
            "model": GEMINI,
            "messages": [user("hi")],
            "reasoning_effort": "low",
            "extra_body": {"google": {"thinking_config": {"thinking_budget": 10}}},
        },
    )
    assert both.status_code == 400


def test_streaming_shape(emu: VertexEmulator, http: httpx.Client, client: openai.OpenAI) -> None:
    response = http.post(
        chat_path(emu), json={"model": GEMINI, "messages": [user("a b c")], "stream": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "You said: a b c"
    assert all("usage" not in c for c in chunks[:-1])
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {"completion_tokens": 5, "prompt_tokens": 3, "total_tokens": 8}

    stream = client.chat.completions.create(model=GEMINI, messages=[user("hello")], stream=True)
    parts = list(stream)
    assert (
        "".join(p.choices[0].delta.content or "" for p in parts if p.choices) == "You said: hello"
    )
    assert parts[-1].usage is not None and parts[-1].usage.total_tokens == 4


TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "Point": {
            "type": "object",
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            "required": ["lat", "lon"],
            "additionalProperties": False,
        },
    },
    "properties": {
        "city": {"type": "string", "minLength": 1},
        "unit": {"$ref": "#/$defs/Unit"},
        "days": {"type": "integer", "minimum": 3, "maximum": 10},
        "hourly": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "where": {"anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}]},
        "note": {"type": ["string", "null"], "default": None},
        "when": {"type": "string", "format": "date"},
        "limit": {"type": "integer", "exclusiveMinimum": 5, "multipleOf": 2},
    },
    "required": ["city", "unit", "days", "hourly", "tags", "where", "when", "limit"],
    "additionalProperties": False,
}


def test_tool_call_arguments_are_valid(emu: VertexEmulator, client: openai.OpenAI) -> None:
    # Full JSON Schema ($defs, $ref): the argument generator is the point here, not Vertex's
    # schema subset (checked in test_emulator_files.py), so the Gemini check is off.
    emu.gemini_schema_check = False
    tools: Any = [
        {"type": "function", "function": {"name": "noop", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "weather", "parameters": TOOL_SCHEMA}},
    ]
    result = client.chat.completions.create(
        model=GEMINI,
        messages=[user("Paris")],
        tools=tools,
        tool_choice={"type": "function", "function": {"name": "weather"}},
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "weather"
    assert re.fullmatch(r"call_\d+", call.id)
    args = json.loads(call.function.arguments)
    validate(args, TOOL_SCHEMA)
    assert args["city"] == "Paris" and args["unit"] == "celsius" and args["note"] is None

    first = client.chat.completions.create(model=GEMINI, messages=[user("x")], tools=tools)
    assert first.choices[0].message.tool_calls[0].function.name == "noop"  # type: ignore[index]
    none = client.chat.completions.create(
        model=GEMINI, messages=[user("x")], tools=tools, tool_choice="none"
    )
    assert none.choices[0].message.content == "You said: x"
    answered = client.chat.completions.create(
        model=GEMINI,
        tools=tools,
        messages=[
            user("Paris"),
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": call.id, "content": "sunny 21C"},
        ],
    )
    assert answered.choices[0].message.content == "Tool result: sunny 21C"
    assert answered.choices[0].finish_reason == "stop"


def test_structured_output_is_valid(emu: VertexEmulator, client: openai.OpenAI) -> None:
    emu.gemini_schema_check = False  # full JSON Schema: the generator is tested, not Vertex
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}},
        },
        "definitions": {
            "Item": {
                "type": "object",
                "properties": {"price": {"type": "number"}},
                "required": ["price"],
            }
        },
        "required": ["name", "age", "items"],
    }
    result = client.chat.completions.create(
        model=GEMINI,
        messages=[user("Bob")],
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}},
    )
    content = json.loads(result.choices[0].message.content or "")
    validate(content, schema)
    assert content == {"name": "Bob", "age": 1, "items": [{"price": 1.0}]}
    as_object = client.chat.completions.create(
        model=GEMINI, messages=[user("hi")], response_format={"type": "json_object"}
    )
    assert json.loads(as_object.choices[0].message.content or "") == {"text": "hi"}


def test_schema_instance_openapi_style() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {"n": {"type": "INTEGER"}, "s": {"type": "STRING", "nullable": True}},
    }
    assert schema_instance(schema, "t") == {"n": 1, "s": "t"}


def test_gemini3_thought_signatures(emu: VertexEmulator, http: httpx.Client) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "exec",
                "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
            },
        }
    ]
    history: list[dict[str, Any]] = [{"role": "system", "content": "sys"}, user("ls")]
    first = http.post(
        chat_path(emu), json={"model": GEMINI3, "messages": history, "tools": tools}
    ).json()
    message = first["choices"][0]["message"]
    call = message["tool_calls"][0]
    signature = call["extra_content"]["google"]["thought_signature"]
    base64.b64decode(signature, validate=True)

    def follow_up(tool_call: dict[str, Any]) -> httpx.Response:
        messages = [
            *history,
            {"role": "assistant", "content": None, "tool_calls": [tool_call]},
            {"role": "tool", "tool_call_id": tool_call["id"], "content": "a.txt"},
        ]
        return http.post(
            chat_path(emu), json={"model": GEMINI3, "messages": messages, "tools": tools}
        )

    stripped = {k: v for k, v in call.items() if k != "extra_content"}
    missing = follow_up(stripped)
    assert missing.status_code == 400
    assert _error(missing)["message"] == (
        "Unable to submit request because function call `exec` in the 2. content block is "
        f"missing a `thought_signature`. Learn more: {SIG_DOC}"
    )
    other = "B" if signature.startswith("A") else "A"  # a signature that is surely different
    altered = {**call, "extra_content": {"google": {"thought_signature": other + signature[1:]}}}
    bad = follow_up(altered)
    assert bad.status_code == 400 and "invalid" in _error(bad)["message"]
    ok = follow_up(call)
    assert ok.status_code == 200
    final = ok.json()["choices"][0]["message"]
    assert final["content"] == "Tool result: a.txt"
    assert final["extra_content"]["google"]["thought_signature"]
    # Earlier turns are not checked; non-Gemini-3 models never check.
    older = [
        *history,
        {"role": "assistant", "tool_calls": [stripped]},
        {"role": "tool", "tool_call_id": "x", "content": "1"},
        user("again"),
    ]
    assert http.post(chat_path(emu), json={"model": GEMINI3, "messages": older}).is_success
    assert follow_up(stripped).status_code == 400
    assert http.post(
        chat_path(emu),
        json={
            "model": GEMINI,
            "messages": [*history, {"role": "assistant", "tool_calls": [stripped]}],
        },
    ).is_success

    streamed = http.post(
        chat_path(emu), json={"model": GEMINI3, "messages": history, "tools": tools, "stream": True}
    )
    chunks = [json.loads(e) for e in sse_events(streamed.text)[:-1]]
    [delta] = [c["choices"][0]["delta"] for c in chunks if "tool_calls" in c["choices"][0]["delta"]]
    [streamed_call] = delta["tool_calls"]
    assert "index" not in streamed_call and streamed_call["function"]["name"] == "exec"
    assert streamed_call["extra_content"]["google"]["thought_signature"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_queue_reply(emu: VertexEmulator, http: httpx.Client, client: openai.OpenAI) -> None:
    emu.queue_reply(content="scripted answer", usage={"prompt_tokens": 99})
    emu.queue_reply(tool_calls=[{"name": "lookup", "arguments": {"q": 1}}])
    emu.queue_reply(raw={"custom": True})
    emu.queue_reply(content="streamed", extra_content={"google": {"thought_signature": "sig"}})
    one = client.chat.completions.create(model=GEMINI, messages=[user("x")])
    assert one.choices[0].message.content == "scripted answer"
    assert one.usage is not None and one.usage.prompt_tokens == 99
    two = client.chat.completions.create(model=GEMINI, messages=[user("x")])
    [call] = two.choices[0].message.tool_calls or []
    assert call.function.name == "lookup" and json.loads(call.function.arguments) == {"q": 1}
    assert two.choices[0].finish_reason == "tool_calls"
    assert http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]}).json() == {
        "custom": True
    }
    streamed = http.post(
        chat_path(emu), json={"model": GEMINI, "messages": [user("x")], "stream": True}
    )
    chunks = [json.loads(e) for e in sse_events(streamed.text)[:-1]]
    assert chunks[1]["choices"][0]["delta"] == {
        "content": "streamed",
        "extra_content": {"google": {"thought_signature": "sig"}},
    }
    assert (
        client.chat.completions.create(model=GEMINI, messages=[user("x")])
        .choices[0]
        .message.content
        == "You said: x"
    )


# ---------------------------------------------------------------------------- faults


def test_fail_with_retry_after(emu: VertexEmulator, http: httpx.Client, token: str) -> None:
    emu.fail(429, retry_after=7)
    response = http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]})
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert _error(response)["status"] == "RESOURCE_EXHAUSTED"
    # The openai SDK honours Retry-After and retries 5xx.
    emu.fail(503, times=2, retry_after=0.01, message="try later")
    with openai.OpenAI(base_url=emu.base_url(), api_key=token, max_retries=2) as retrying:
        result = retrying.chat.completions.create(model=GEMINI, messages=[user("x")])
    assert result.choices[0].message.content == "You said: x"
    assert [r.status for r in emu.requests][-3:] == [503, 503, 200]
    # route filter
    emu.fail(500, route="embeddings")
    assert http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]}).is_success
    embed = http.post(
        chat_path(emu).replace("chat/completions", "embeddings"),
        json={"model": "google/e", "input": "x"},
    )
    assert embed.status_code == 500 and _error(embed)["status"] == "INTERNAL"


def test_fail_html_and_unknown_path(emu: VertexEmulator, http: httpx.Client) -> None:
    emu.fail(404, html=True)
    response = http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Error 404 (Not Found)!!1</title>" in response.text
    models = http.get(emu.base_url()[len(emu.url) :] + "/models")
    assert models.status_code == 404 and "Error 404 (Not Found)!!1" in models.text
    assert "/endpoints/openapi/models" in models.text
    assert emu.requests[-1].route == "unknown"


def test_fail_token_variants(emu: VertexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # google-auth waits ~1 s, 2 s between token retries: skip the waits in this test.
    monkeypatch.setattr(_exponential_backoff, "time", types.SimpleNamespace(sleep=lambda _: None))
    request = google.auth.transport.requests.Request()
    creds = emu.credentials()
    emu.fail_token()
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant") as caught:
        creds.refresh(request)
    assert not caught.value.retryable
    emu.fail_token(error="invalid_client", status=401)
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_client"):
        creds.refresh(request)
    emu.fail_token(error="temporarily_unavailable", status=503, times=3)
    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        creds.refresh(request)
    assert caught.value.retryable
    emu.fail_token(error="internal_failure", status=500)  # google-auth retries, then succeeds
    creds.refresh(request)
    assert creds.token and emu.token_valid(creds.token)
    emu.fail_token(disconnect=True)
    with pytest.raises(google.auth.exceptions.TransportError):
        creds.refresh(request)
    assert [t.status for t in emu.token_requests] == [400, 401, 503, 503, 503, 500, 200, 0]


def test_cut_stream(emu: VertexEmulator, client: openai.OpenAI) -> None:
    emu.cut_stream(after_chunks=2)
    stream = client.chat.completions.create(
        model=GEMINI, messages=[user("one two three")], stream=True
    )
    received = []
    cut: tuple[type[Exception], ...] = (
        httpx.RemoteProtocolError,
        httpx.ReadError,
        openai.APIConnectionError,
    )
    # openai 3.0-3.13 (on httpx2) let httpx2's error through unwrapped; 3.14+ wraps it.
    httpx2 = sys.modules.get("httpx2")
    if httpx2 is not None:
        cut += (httpx2.RemoteProtocolError, httpx2.ReadError)
    with pytest.raises(cut):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 2
    # The next stream is whole again.
    again = client.chat.completions.create(model=GEMINI, messages=[user("ok")], stream=True)
    assert len(list(again)) == 5  # role, 3 words, final


def test_malform_stream(emu: VertexEmulator, client: openai.OpenAI) -> None:
    emu.malform_stream()
    stream = client.chat.completions.create(model=GEMINI, messages=[user("x")], stream=True)
    with pytest.raises(ValueError):
        list(stream)


def test_latency(emu: VertexEmulator, http: httpx.Client) -> None:
    # Lower bounds are exact (noise only adds); the upper bounds leave a loaded machine
    # plenty of room while still telling 1.5 s of latency from none.
    emu.set_latency(1.5, route="chat")
    started = time.monotonic()
    http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]}).raise_for_status()
    assert time.monotonic() - started >= 1.5
    started = time.monotonic()
    http.post(
        chat_path(emu).replace("chat/completions", "embeddings"),
        json={"model": "google/e", "input": "x"},
    )
    assert time.monotonic() - started < 1.2
    emu.set_token_latency(30)  # a hanging token endpoint
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(emu.token_uri, data={"grant_type": "x"}, timeout=0.2)
    emu.reset()
    started = time.monotonic()
    http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]}).raise_for_status()
    assert time.monotonic() - started < 1.2


def test_stop_is_prompt_with_hanging_request() -> None:
    emu = VertexEmulator().start()
    emu.set_token_latency(60)  # the handler sleeps; stop() must wake it and drop the socket
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        time.sleep(0.1)
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 2
        try:
            answer = sock.recv(100)
        except ConnectionResetError:
            answer = b""
        assert answer == b""  # closed without an answer


# ---------------------------------------------------------------------------- embeddings


def test_embeddings(emu: VertexEmulator, http: httpx.Client, client: openai.OpenAI) -> None:
    path = chat_path(emu).replace("chat/completions", "embeddings")
    body = http.post(
        path, json={"model": "google/text-embedding-005", "input": ["a b", "c"]}
    ).json()
    assert body["object"] == "list" and body["model"] == "google/text-embedding-005"
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    first, second = (d["embedding"] for d in body["data"])
    assert len(first) == 16 and math.isclose(sum(v * v for v in first), 1.0, rel_tol=1e-9)
    assert first != second and [d["index"] for d in body["data"]] == [0, 1]
    again = http.post(
        path, json={"model": "google/text-embedding-005", "input": "a b", "dimensions": 8}
    ).json()
    assert len(again["data"][0]["embedding"]) == 8
    b64 = http.post(
        path, json={"model": "google/x", "input": "a b", "encoding_format": "base64"}
    ).json()
    decoded = struct.unpack("<16f", base64.b64decode(b64["data"][0]["embedding"]))
    assert all(math.isclose(x, y, rel_tol=1e-6) for x, y in zip(decoded, first, strict=True))
    # openai SDK (asks for base64 by default and decodes it)
    result = client.embeddings.create(model="google/text-embedding-005", input=["a b"])
    sdk_vector = result.data[0].embedding
    assert all(math.isclose(x, y, rel_tol=1e-6) for x, y in zip(sdk_vector, first, strict=True))
    assert http.post(path, json={"model": "google/x", "input": [[1, 2, 3]]}).status_code == 400
    assert http.post(path, json={"model": "x", "input": "a"}).status_code == 400


# ---------------------------------------------------------------------------- endpoints


def test_endpoint_listing_and_self_deployed_chat(emu: VertexEmulator, http: httpx.Client) -> None:
    for i in range(5):
        emu.add_endpoint(f"mg-endpoint-{i}", display_name=f"ep {i}", model="google/gemma-3-1b-it")
    emu.add_endpoint(
        "eu-1",
        location="europe-west4",
        dedicated_dns="eu-1.europe-west4-1.prediction.vertexai.goog",
    )
    path = f"/v1beta1/projects/{emu.project}/locations/us-central1/endpoints"
    names, token = [], None
    pages = 0
    while True:
        params = {"pageSize": "2", **({"pageToken": token} if token else {})}
        page = http.get(path, params=params).json()
        pages += 1
        names += [e["name"] for e in page["endpoints"]]
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == 3 and len(names) == 5
    assert names[0] == f"projects/{emu.project}/locations/us-central1/endpoints/mg-endpoint-0"
    assert emu.requests[-1].query == {
        "pageSize": "2",
        "pageToken": token or emu.requests[-1].query["pageToken"],
    }
    [eu] = http.get(path.replace("us-central1", "europe-west4")).json()["endpoints"]
    assert eu["dedicatedEndpointDns"] == "eu-1.europe-west4-1.prediction.vertexai.goog"
    assert eu["deployedModels"][0].keys() >= {"id", "model", "displayName"} and eu["createTime"]
    assert http.get(path.replace("us-central1", "asia-east1")).json() == {}

    chat = http.post(
        chat_path(emu, endpoint="mg-endpoint-3"), json={"model": "", "messages": [user("yo")]}
    ).json()
    assert (
        chat["model"] == "google/gemma-3-1b-it"
        and chat["choices"][0]["message"]["content"] == "You said: yo"
    )
    assert emu.requests[-1].endpoint_id == "mg-endpoint-3"
    missing = http.post(chat_path(emu, endpoint="nope"), json={"messages": [user("yo")]})
    assert missing.status_code == 404 and _error(missing)["status"] == "NOT_FOUND"


# ---------------------------------------------------------------------------- load, packaging


def test_64_concurrent_requests(emu: VertexEmulator, token: str) -> None:
    emu.set_latency(0.3)
    barrier = threading.Barrier(64)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    with httpx.Client(
        timeout=10, limits=limits, headers={"Authorization": f"Bearer {token}"}
    ) as shared:

        def one(i: int) -> str:
            barrier.wait()
            response = shared.post(
                emu.url + chat_path(emu), json={"model": GEMINI, "messages": [user(f"n{i}")]}
            )
            response.raise_for_status()
            content: str = response.json()["choices"][0]["message"]["content"]
            return content

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(64) as pool:
            answers = list(pool.map(one, range(64)))
    assert answers == [f"You said: n{i}" for i in range(64)]
    assert time.monotonic() - started < 10  # 64 x 0.3 s = 19 s if serialised
    assert len(emu.requests) == 64 and all(r.status == 200 for r in emu.requests)
    assert len({r.headers.get("host") for r in emu.requests}) == 1


def test_reset_keeps_tokens(emu: VertexEmulator, http: httpx.Client, token: str) -> None:
    emu.fail(500, times=5)
    emu.queue_reply(content="never")
    emu.reset()
    assert emu.requests == [] and emu.token_valid(token)
    assert (
        http.post(chat_path(emu), json={"model": GEMINI, "messages": [user("x")]}).json()[
            "choices"
        ][0]["message"]["content"]
        == "You said: x"
    )


def test_recorded_request_repr_masks_authorization() -> None:
    entry = RecordedRequest(
        method="POST",
        path="/x",
        route="chat",
        headers={"authorization": "Bearer ya29.secret-token"},
        body=None,
        token="ya29.secret-token",
        api_version="v1",
        project="p",
        location="l",
        endpoint_id="openapi",
        status=200,
    )
    assert "secret" not in repr(entry)


def test_import_does_not_pull_frameworks() -> None:
    def frameworks() -> list[str]:
        roots = ("langchain", "langchain_core", "langchain_openai", "llama_index")
        return [m for m in sys.modules if m.split(".")[0] in roots]

    if not frameworks():  # this process imported vertex_openai.testing above
        return
    # Something else in this session loaded a framework: check in a fresh interpreter.
    code = (
        "import sys, vertex_openai.testing\n"
        "roots = ('langchain', 'langchain_core', 'langchain_openai', 'llama_index')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in roots]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
