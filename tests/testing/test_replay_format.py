"""The replay format (``vertex_openai.testing._replay``, docs/replay.md): one reader for the
proxy's recordings and the published corpus, its scrubbing and its matching rule."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

import vertex_openai
from vertex_openai.testing import VertexEmulator
from vertex_openai.testing._replay import (
    Replay,
    exchange_document,
    read_directory,
    read_exchange,
    scrub,
    write_exchange,
)

from support import target, user

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vertex"


def test_the_published_corpus_is_read_byte_for_byte() -> None:
    exchanges = read_directory(FIXTURES)
    sidecars = sorted(FIXTURES.glob("*.meta.json"))
    assert len(exchanges) == len(sidecars) >= 10
    for exchange, sidecar in zip(exchanges, sidecars, strict=True):
        meta = json.loads(sidecar.read_text())
        base = sidecar.name.removesuffix(".meta.json")
        (payload,) = [
            p for p in (FIXTURES / f"{base}.json", FIXTURES / f"{base}.sse") if p.is_file()
        ]
        assert exchange.name == base
        assert exchange.payload == payload.read_bytes()  # verbatim
        assert exchange.status == meta["status"]
        assert exchange.content_type == meta["content_type"]
        assert exchange.route == meta.get("route", "chat")
        assert not exchange.has_request  # no request published: never matched, only queued


def _document(body: object, answer: bytes, content_type: str = "application/json") -> dict:
    return exchange_document(
        method="POST",
        route="chat",
        endpoint="openapi",
        request_body=body,
        status=200,
        content_type=content_type,
        response=answer,
        project="my-project",
    )


def test_scrubbing() -> None:
    text = (
        "Bearer abc.def token ya29.a0AfB_x-y.z refresh 1//0gAbCdEfGhIjKl "
        "projects/123456789012/locations/x projects/my-project/locations/y my-project-2"
    )
    assert scrub({"k": [text]}, "my-project") == {
        "k": [
            "Bearer REDACTED_TOKEN token REDACTED_TOKEN refresh REDACTED_TOKEN "
            "projects/PROJECT_NUMBER/locations/x projects/PROJECT_ID/locations/y my-project-2"
        ]
    }


def test_written_exchange_round_trips(tmp_path: Path) -> None:
    body = user("hi")
    events = b'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: [DONE]\n\n'
    first = write_exchange(tmp_path, _document(body, events, "text/event-stream"))
    second = write_exchange(tmp_path, _document(body, b'{"x": "ya29.secret"}'))
    assert first.name.startswith("0001-chat-") and second.name.startswith("0002-chat-")
    streamed = read_exchange(first)
    assert streamed.streamed and streamed.payload == events and streamed.has_request
    unary = read_exchange(second)
    assert json.loads(unary.payload) == {"x": "REDACTED_TOKEN"}


def test_matching_rule(tmp_path: Path) -> None:
    body = {"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": "q"}]}
    for answer in (b'{"n": 1}', b'{"n": 2}'):
        write_exchange(tmp_path, _document(body, answer))
    replay = Replay.from_directory(tmp_path)
    reordered = {"messages": body["messages"], "model": body["model"]}  # key order is free
    answers = [replay.answer("POST", "chat", reordered) for _ in range(3)]
    assert [json.loads(a.payload)["n"] for a in answers if a] == [1, 2, 2]  # in order, last repeats
    assert replay.answer("POST", "embeddings", body) is None  # another route
    assert replay.answer("POST", "chat", {**body, "temperature": 0}) is None  # another body


def test_queue_fixture_takes_a_recorded_exchange(
    vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    path = write_exchange(
        tmp_path,
        exchange_document(
            method="POST",
            route="chat",
            endpoint="openapi",
            request_body=user("anything"),
            status=429,
            content_type="application/json",
            response=b'[{"error": {"code": 429, "message": "Quota", '
            b'"status": "RESOURCE_EXHAUSTED"}}]',
            headers={"Retry-After": "3", "Set-Cookie": "no"},
        ),
    )
    assert json.loads(path.read_text())["response"]["headers"] == {"retry-after": "3"}
    vertex_emulator.queue_fixture(path)
    client = vertex_openai.openai_client(**target(vertex_emulator), max_retries=0)
    with pytest.raises(openai.RateLimitError, match="RESOURCE_EXHAUSTED: Quota") as caught:
        client.chat.completions.create(**user("something else"))
    assert caught.value.response.headers["retry-after"] == "3"


def test_strict_needs_a_directory() -> None:
    with pytest.raises(ValueError, match="replay"):
        VertexEmulator(strict=True)
    with pytest.raises(FileNotFoundError):
        VertexEmulator(replay="/nonexistent/dir")
