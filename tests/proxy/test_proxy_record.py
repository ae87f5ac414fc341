"""``proxy --record DIR`` then replay: ``VertexEmulator(replay=DIR)``, ``vertex-openai
emulator --replay DIR`` and ``vertex-openai proxy --emulator --replay DIR``."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from proxy_helpers import LOCATION, SCRIPT, ProxyProcess, child_env, start_proxy

import vertex_openai
from vertex_openai.testing import VertexEmulator

from support import chat_requests, target

UNARY = "recorded answer 42"  # not what the deterministic model would say
STREAMED = "streamed recorded words"


def _chat(client: openai.OpenAI, text: str, model: str = "gemini-2.5-flash") -> str | None:
    answer = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return answer.choices[0].message.content


def _stream(client: openai.OpenAI, text: str, model: str = "gemini-2.5-flash") -> str:
    chunks = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], stream=True
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def _embed(client: openai.OpenAI, model: str = "text-embedding-005") -> list[list[float]]:
    return [d.embedding for d in client.embeddings.create(model=model, input=["x", "y z"]).data]


@pytest.fixture
def recording(
    proxy_factory: Callable[..., ProxyProcess], vertex_emulator: VertexEmulator, tmp_path: Path
) -> dict[str, Any]:
    """Four exchanges recorded through the proxy: unary, stream, embeddings, a 403."""
    emu = vertex_emulator
    folder = tmp_path / "recorded"
    proxy = proxy_factory("--record", str(folder))
    client = openai.OpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
    emu.queue_reply(content=UNARY)
    assert _chat(client, "first") == UNARY
    emu.queue_reply(content=STREAMED)
    assert _stream(client, "second") == STREAMED
    vectors = _embed(client)
    emu.fail(403, message=f"Permission denied on resource projects/{emu.project_number}/x")
    with pytest.raises(openai.PermissionDeniedError):
        _chat(client, "third")
    assert proxy.stop() == 0
    tokens = [t.access_token for t in emu.token_requests if t.access_token]
    tokens += [r.token for r in emu.requests if r.token]
    return {"folder": folder, "vectors": vectors, "tokens": tokens, "number": emu.project_number}


def test_recorded_files_hold_no_secret(recording: dict[str, Any]) -> None:
    files = sorted(recording["folder"].glob("*.exchange.json"))
    assert [f.name.split("-")[1] for f in files] == ["chat", "chat", "embeddings", "chat"]
    assert recording["tokens"]
    for path in files:
        text = path.read_text()
        for token in recording["tokens"]:
            assert token not in text
        assert "ya29." not in text and "authorization" not in text.lower()
        assert recording["number"] not in text
    documents = [json.loads(f.read_text()) for f in files]
    assert documents[0]["request"]["body"]["model"] == "google/gemini-2.5-flash"
    assert documents[0]["response"]["body"]["choices"][0]["message"]["content"] == UNARY
    assert documents[1]["response"]["events"][-1] == "data: [DONE]"
    error = documents[3]["response"]
    assert error["status"] == 403
    # As Vertex sent it: list-wrapped, the message without the status name the transport adds.
    (wrapped,) = error["body"]
    assert wrapped["error"]["message"] == "Permission denied on resource projects/PROJECT_NUMBER/x"
    assert wrapped["error"]["status"] == "PERMISSION_DENIED"


def test_replay_in_process(recording: dict[str, Any]) -> None:
    with VertexEmulator(replay=recording["folder"], strict=True) as emu:
        client = vertex_openai.openai_client(**target(emu), max_retries=0)
        model = "google/gemini-2.5-flash"  # what the proxy sent (a bare name gets google/)
        assert _chat(client, "first", model) == UNARY
        assert _stream(client, "second", model) == STREAMED
        assert _embed(client, "google/text-embedding-005") == recording["vectors"]
        with pytest.raises(openai.PermissionDeniedError, match="PROJECT_NUMBER"):
            _chat(client, "third", model)
        with pytest.raises(openai.NotFoundError, match="No recorded exchange"):
            _chat(client, "never recorded", model)
        assert [r.status for r in chat_requests(emu)] == [200, 200, 403, 404]
    with VertexEmulator(replay=recording["folder"]) as emu:  # not strict: the model answers
        client = vertex_openai.openai_client(**target(emu), max_retries=0)
        assert _chat(client, "never recorded", "google/gemini-2.5-flash") == (
            "You said: never recorded"
        )
        assert _chat(client, "first", "google/gemini-2.5-flash") == UNARY


def test_replay_with_the_emulator_command(
    recording: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    process = subprocess.Popen(
        [str(SCRIPT), "emulator", "--port", "0", "--replay", str(recording["folder"]), "--strict"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if not line or ("--api-endpoint" in line and "endpoints" in line):
                break
        text = "".join(lines)
        assert "Replaying 4 recorded exchanges" in text
        url = text.split("listening on ", 1)[1].split()[0]
        key = text.split("export GOOGLE_APPLICATION_CREDENTIALS=", 1)[1].split()[0]
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", key)
        client = vertex_openai.openai_client(
            project="emulator-project", location=LOCATION, api_endpoint=url, max_retries=0
        )
        assert _chat(client, "first", "google/gemini-2.5-flash") == UNARY
        with pytest.raises(openai.NotFoundError):
            _chat(client, "not recorded", "google/gemini-2.5-flash")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_replay_through_the_proxy_with_its_own_emulator(
    recording: dict[str, Any], tmp_path: Path
) -> None:
    # Any OpenAI tool, offline: the proxy in front of an emulator replaying the recording.
    proxy = start_proxy(
        None,
        tmp_path / "unused.json",
        "--emulator",
        "--replay",
        str(recording["folder"]),
        "--strict",
    )
    try:
        assert "Serving the offline emulator" in proxy.banner
        client = openai.OpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
        assert _chat(client, "first") == UNARY
        assert _stream(client, "second") == STREAMED
        assert _embed(client) == recording["vectors"]
        with pytest.raises(openai.NotFoundError):
            _chat(client, "not recorded")
    finally:
        assert proxy.stop() == 0, proxy.stderr


def test_replay_needs_the_emulator(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "proxy", "--replay", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
    )
    assert done.returncode == 2 and "--replay needs --emulator" in done.stderr


def test_a_stream_is_recorded_as_vertex_sent_it(
    proxy_factory: Callable[..., ProxyProcess], vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    # Gemini streams each tool call whole and without "index" (the emulator's default shape):
    # the client gets the index the transport adds, the recording keeps Vertex's events.
    proxy = proxy_factory("--record", str(tmp_path))
    client = openai.OpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
    tools: Any = [
        {
            "type": "function",
            "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    indices = [
        call.index
        for chunk in client.chat.completions.create(
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "look it up"}],
            tools=tools,
            stream=True,
        )
        for choice in chunk.choices
        for call in choice.delta.tool_calls or []
    ]
    assert indices == [0]
    proxy.stop()
    (path,) = tmp_path.glob("*.exchange.json")
    events = json.loads(path.read_text())["response"]["events"]
    (with_call,) = [json.loads(e[6:]) for e in events if '"tool_calls"' in e]
    (call,) = with_call["choices"][0]["delta"]["tool_calls"]
    assert "index" not in call and call["function"]["name"] == "lookup"
    with VertexEmulator(replay=tmp_path, strict=True) as emu:  # and it replays
        again = vertex_openai.openai_client(**target(emu), max_retries=0)
        chunks = again.chat.completions.create(
            model="google/gemini-2.5-flash",
            messages=[{"role": "user", "content": "look it up"}],
            tools=tools,
            stream=True,
        )
        names = [
            call.function.name
            for chunk in chunks
            for choice in chunk.choices
            for call in choice.delta.tool_calls or []
            if call.function
        ]
        assert names == ["lookup"]
