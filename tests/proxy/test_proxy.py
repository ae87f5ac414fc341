"""``vertex-openai proxy`` in its own process, used through the real openai SDK.

Every request goes openai SDK -> proxy (Starlette on uvicorn) -> the library's signed
connection -> the emulator, with real google-auth refreshes against the emulator's token
endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from proxy_helpers import LOCATION, SCRIPT, ProxyProcess, child_env

from vertex_openai.testing import VertexEmulator, embedding_vector

from support import chat_requests, fetched, wait_until

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vertex"


def client(proxy: ProxyProcess, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.base_url, api_key=api_key, max_retries=0)


def ask(proxy: ProxyProcess, text: str = "hello", **kwargs: object) -> str | None:
    answer = client(proxy).chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": text}], **kwargs
    )
    return answer.choices[0].message.content


def test_banner_prints_the_lines_to_use(proxy: ProxyProcess) -> None:
    assert proxy.base_url.startswith("http://127.0.0.1:") and proxy.base_url.endswith("/v1")
    port = int(proxy.base_url.rsplit(":", 1)[1].split("/")[0])
    assert port > 0  # --port 0 printed the port it got
    assert "OPENAI_API_KEY=" in proxy.banner
    assert f"curl {proxy.base_url}/chat/completions" in proxy.banner


def test_unary_chat_signed_with_a_google_token(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    assert ask(proxy, "Why is the sky blue?") == "You said: Why is the sky blue?"
    (sent,) = chat_requests(vertex_emulator)
    assert sent.body["model"] == "google/gemini-2.5-flash"  # the bare name got google/
    assert sent.token is not None and vertex_emulator.token_valid(sent.token)
    # Nothing of the client's request but its body reached Google.
    assert "unused" not in sent.headers["authorization"]
    assert not [h for h in sent.headers if h.startswith(("x-stainless", "openai-"))]


def test_stream_is_relayed_as_it_arrives(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    emu = vertex_emulator
    emu.set_chunk_delay(0.2)
    emu.queue_reply(content="one two three four five six seven eight")
    stream = client(proxy).chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "count"}], stream=True
    )
    text, streaming_when_first_text_came = "", None
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content and streaming_when_first_text_came is None:
                # The emulator is still writing the stream: the proxy did not buffer it.
                streaming_when_first_text_came = emu.active_streams
            text += choice.delta.content or ""
    assert text == "one two three four five six seven eight"
    assert streaming_when_first_text_came == 1


def test_embeddings(proxy: ProxyProcess) -> None:
    answer = client(proxy).embeddings.create(model="text-embedding-005", input=["a", "b c"])
    assert [d.index for d in answer.data] == [0, 1]
    for item, text in zip(answer.data, ["a", "b c"], strict=True):
        assert item.embedding == pytest.approx(embedding_vector(text, 16), rel=1e-6)
    assert answer.model == "google/text-embedding-005"


def test_models_default_list(proxy: ProxyProcess) -> None:
    from vertex_openai.proxy import DEFAULT_MODELS  # needs the [proxy] extra

    models = client(proxy).models
    assert [m.id for m in models.list()] == list(DEFAULT_MODELS)
    assert models.retrieve("google/gemini-2.5-pro").id == "google/gemini-2.5-pro"
    assert models.retrieve("gemini-2.5-flash").id == "google/gemini-2.5-flash"
    with pytest.raises(openai.NotFoundError):
        models.retrieve("google/not-listed")


def test_models_from_the_command_line(proxy_factory: Callable[..., ProxyProcess]) -> None:
    proxy = proxy_factory("--model", "gemini-3-pro-preview", "--model", "meta/llama-4-maas")
    models = client(proxy).models.list()
    assert [m.id for m in models] == ["google/gemini-3-pro-preview", "meta/llama-4-maas"]


def test_revoked_token_one_refresh_one_resend(
    proxy_factory: Callable[..., ProxyProcess], vertex_emulator: VertexEmulator
) -> None:
    emu = vertex_emulator
    proxy = proxy_factory("--verbose")  # with the access log: still no token in any output
    assert ask(proxy, "before") == "You said: before"
    emu.revoke()
    assert ask(proxy, "after") == "You said: after"
    assert [r.status for r in chat_requests(emu)] == [200, 401, 200]
    assert fetched(emu) == 2
    proxy.stop()
    assert '"POST /v1/chat/completions HTTP/1.1" 200' in proxy.stdout + proxy.stderr


def test_100_concurrent_calls_one_token_fetch(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    emu = vertex_emulator
    emu.set_token_latency(0.5)  # every call arrives while the first fetch is in flight
    emu.set_latency(2.0, route="chat")
    in_flight: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            in_flight.append(sum(1 for r in chat_requests(emu) if r.status == 0))
            done.wait(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()

    async def calls() -> list[str | None]:
        async with openai.AsyncOpenAI(
            base_url=proxy.base_url, api_key="unused", max_retries=0
        ) as aclient:
            answers = await asyncio.gather(
                *(
                    aclient.chat.completions.create(
                        model="gemini-2.5-flash", messages=[{"role": "user", "content": f"c{i}"}]
                    )
                    for i in range(100)
                )
            )
        return [a.choices[0].message.content for a in answers]

    try:
        answers = asyncio.run(calls())
    finally:
        done.set()
        watcher.join()
    assert answers == [f"You said: c{i}" for i in range(100)]
    assert len(emu.token_requests) == 1
    assert max(in_flight) >= 10  # served side by side, not one after another


def test_vertex_error_becomes_an_openai_error(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    emu = vertex_emulator
    emu.fail(429, message="Resource exhausted, please try again later.", retry_after=7)
    with pytest.raises(openai.RateLimitError) as caught:
        ask(proxy)
    error = caught.value
    assert error.status_code == 429
    assert isinstance(error.body, dict)
    assert "RESOURCE_EXHAUSTED" in error.body["message"] and "try again" in error.body["message"]
    assert error.body["type"] == "RESOURCE_EXHAUSTED"
    assert error.response.headers["retry-after"] == "7"


def test_published_list_wrapped_400_passes_through(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.queue_fixture(FIXTURES / "openapi_400_thought_signature_missing_content_block")
    with pytest.raises(openai.BadRequestError) as caught:
        ask(proxy)
    message = str(caught.value)
    assert "thought_signature" in message and "INVALID_ARGUMENT" in message
    assert "[{" not in message  # Vertex's list wrapper is gone


def test_token_failure_is_a_401_with_the_remedy(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_token(error="invalid_grant", times=5)
    with pytest.raises(openai.AuthenticationError) as caught:
        ask(proxy)
    assert "gcloud auth application-default login" in str(caught.value)
    assert chat_requests(vertex_emulator) == []  # nothing was sent unsigned


def test_a_401_after_the_refresh_names_the_remedy(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail(401, times=2)  # the first answer and the resend after a refresh
    with pytest.raises(openai.AuthenticationError) as caught:
        ask(proxy)
    assert "UNAUTHENTICATED" in str(caught.value)
    assert "gcloud auth application-default login" in str(caught.value)
    assert [r.status for r in chat_requests(vertex_emulator)] == [401, 401]


def test_unreachable_token_endpoint_is_a_503(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_token(disconnect=True, times=10)
    with pytest.raises(openai.InternalServerError) as caught:
        ask(proxy)
    assert caught.value.status_code == 503
    assert "token endpoint" in str(caught.value)


def test_bad_requests_are_refused_before_anything_is_sent(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(openai.BadRequestError, match="partner"):
        client(proxy).chat.completions.create(
            model="llama-4-maas", messages=[{"role": "user", "content": "x"}]
        )
    # A browser cannot send JSON cross-site without a preflight; a form post is refused.
    form = httpx.post(f"{proxy.base_url}/chat/completions", data={"model": "x"})
    assert form.status_code == 415
    # DNS rebinding: another Host is refused when there is no key.
    rebound = httpx.get(f"{proxy.base_url}/models", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403
    unknown = httpx.get(f"{proxy.base_url}/files")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_url"
    assert chat_requests(vertex_emulator) == []


def test_key_is_enforced(
    proxy_factory: Callable[..., ProxyProcess], vertex_emulator: VertexEmulator
) -> None:
    key = "s3cret-proxy-key"
    proxy = proxy_factory(env={"VERTEX_OPENAI_PROXY_KEY": key})
    assert key not in proxy.banner
    for wrong in ("unused", key + "x"):
        with pytest.raises(openai.AuthenticationError) as caught:
            client(proxy, wrong).models.list()
        assert caught.value.code == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            client(proxy, wrong).chat.completions.create(
                model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}]
            )
    assert chat_requests(vertex_emulator) == []
    answer = client(proxy, key).chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "with key"}]
    )
    assert answer.choices[0].message.content == "You said: with key"
    (sent,) = chat_requests(vertex_emulator)
    assert key not in sent.headers["authorization"]  # the client's key stays here


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::"])
def test_non_loopback_host_needs_a_key(host: str, key_file: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "proxy", "--host", host, "--emulator"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
    )
    assert done.returncode == 2
    assert "--key" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


@contextlib.contextmanager
def _long_stream(proxy: ProxyProcess, emu: VertexEmulator) -> Iterator[httpx.Response]:
    """A streamed chat answer through the proxy that takes 40 s if read to the end."""
    emu.set_chunk_delay(0.2)
    emu.queue_reply(content=" ".join(["word"] * 200))
    body = {
        "model": "gemini-2.5-flash",
        "stream": True,
        "messages": [{"role": "user", "content": "long"}],
    }
    url = f"{proxy.base_url}/chat/completions"
    with httpx.Client(timeout=30) as http, http.stream("POST", url, json=body) as response:
        yield response


def test_client_disconnect_frees_the_upstream_stream(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    emu = vertex_emulator
    with _long_stream(proxy, emu) as response:
        assert response.status_code == 200
        next(response.iter_raw())
        assert emu.active_streams == 1
    # The client hung up: the proxy closes its request to Vertex (the emulator's write fails).
    wait_until(lambda: emu.active_streams == 0, seconds=10)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_with_a_stream_open(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator, sig: int
) -> None:
    emu = vertex_emulator
    with _long_stream(proxy, emu) as response:
        next(response.iter_raw())
        assert proxy.stop(sig) == 0
    assert "proxy stopped" in proxy.stderr
    wait_until(lambda: emu.active_streams == 0, seconds=10)


def test_location_flag_is_used(proxy: ProxyProcess, vertex_emulator: VertexEmulator) -> None:
    ask(proxy)
    assert chat_requests(vertex_emulator)[0].location == LOCATION


def test_the_listening_socket_says_tcp() -> None:
    # asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto is IPPROTO_TCP: with
    # proto 0 each answer waited for the client's delayed ACK (found by benchmarks/proxy_bench).
    from vertex_openai.cli.proxy import bind

    with bind("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP


def test_gemini3_signatures_round_trip_untouched(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    # The emulator signs Gemini 3 tool calls and answers 400 when a signature is not sent
    # back: a raw OpenAI client keeps extra_content (openai's models keep unknown fields).
    tools: Any = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    openai_client = client(proxy)
    history: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = openai_client.chat.completions.create(
        model="gemini-3-pro-preview", messages=history, tools=tools
    )
    message = first.choices[0].message.model_dump(exclude_none=True)
    (call,) = message["tool_calls"]
    signature = call["extra_content"]["google"]["thought_signature"]
    history += [message, {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]
    second = openai_client.chat.completions.create(
        model="gemini-3-pro-preview", messages=history, tools=tools
    )
    assert second.choices[0].message.content == "Tool result: sunny"
    sent = chat_requests(vertex_emulator)[-1].body["messages"][1]["tool_calls"][0]
    assert sent["extra_content"]["google"]["thought_signature"] == signature


def test_published_indexless_tool_call_stream_gets_an_index(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    name = "openapi_gemini31_stream_function_call_arguments_docs"
    vertex_emulator.queue_fixture(FIXTURES / name)
    calls: dict[int, dict[str, Any]] = {}
    signatures = []
    for chunk in client(proxy).chat.completions.create(
        model="gemini-3.1-pro-preview", messages=[{"role": "user", "content": "x"}], stream=True
    ):
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                assert isinstance(delta.index, int)  # what JS clients need (OpenMAIC#1556)
                part = calls.setdefault(delta.index, {"id": delta.id, "arguments": ""})
                part["arguments"] += (delta.function.arguments if delta.function else "") or ""
                extra = (delta.model_extra or {}).get("extra_content")
                if extra:
                    signatures.append(extra)
    expected = json.loads((FIXTURES / f"{name}.meta.json").read_text())["expect"]["tool_calls"]
    assert [c["id"] for c in calls.values()] == [c["id"] for c in expected]
    assert [json.loads(c["arguments"]) for c in calls.values()] == [
        c["arguments"] for c in expected
    ]
    assert signatures == [{"google": {"thought_signature": "..."}}]  # as Google published it


def test_cut_stream_ends_with_an_error_event(
    proxy: ProxyProcess, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.cut_stream(after_chunks=2)
    text = ""
    with pytest.raises(openai.APIError, match="ended before the answer was complete"):
        for chunk in client(proxy).chat.completions.create(
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "one two three four"}],
            stream=True,
        ):
            text += "".join(c.delta.content or "" for c in chunk.choices)
    assert text == "You "  # what arrived before the cut was passed on
