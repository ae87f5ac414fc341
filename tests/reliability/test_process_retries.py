"""Vertex-aware retries: RetryInfo and Retry-After honoured through the openai SDK's own
retry loop, backoff from 1 s for 429 / 503, a persistent 401 refreshed once per interval, the
401 resend only for a replayable body (issue 12, item 6)."""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from openai._models import FinalRequestOptions

import vertex_openai.auth
from vertex_openai.cli import main
from vertex_openai.retries import parse_duration, retry_after_header
from vertex_openai.sdk_http import http
from vertex_openai.testing import VertexEmulator

from support import LOCATION, chat_requests, connect, fetched, user


def _failure(client: openai.OpenAI) -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(**user())
    return caught.value


def _sdk_wait(client: openai.OpenAI, error: openai.APIStatusError, max_retries: int = 2) -> float:
    """What the openai SDK itself would sleep before its next retry of this answer."""
    options = FinalRequestOptions(method="post", url="/chat/completions", max_retries=max_retries)
    return client._calculate_retry_timeout(max_retries, options, error.response.headers)


def test_retry_info_delay_is_what_the_sdk_waits(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    emu.fail(429, retry_delay="1.5s")
    error = _failure(client)
    assert isinstance(error, openai.RateLimitError)
    assert "RESOURCE_EXHAUSTED" in str(error)
    assert error.response.headers["retry-after-ms"] == "1500"
    assert _sdk_wait(client, error) == 1.5  # not the SDK's 0.5 s


def test_retried_within_max_retries_then_answered(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=2)
    emu.fail(429, retry_delay="1.2s")
    emu.fail(503)
    answer = client.chat.completions.create(**user("third time"))
    assert answer.choices[0].message.content == "You said: third time"
    requests = chat_requests(emu)
    assert [r.status for r in requests] == [429, 503, 200]
    assert [r.headers.get("x-stainless-retry-count") for r in requests] == ["0", "1", "2"]


def test_retry_after_header_is_honoured(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    emu.fail(503, retry_after=2)
    error = _failure(client)
    assert error.response.headers["retry-after-ms"] == "2000"
    assert _sdk_wait(client, error) == 2.0


def test_backoff_from_one_second_with_jitter(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    first = connect(emu).openai_client(max_retries=0)
    waits = []
    for _ in range(5):
        emu.fail(429)
        waits.append(_sdk_wait(first, _failure(first)))
    assert all(1.0 <= w <= 1.25 for w in waits), waits
    assert len(set(waits)) > 1  # jitter
    # After one retry (the SDK's x-stainless-retry-count: 1) the backoff doubles.
    retried = connect(emu).openai_client(max_retries=1)
    emu.fail(503, times=2)
    wait = _sdk_wait(retried, _failure(retried))
    assert 2.0 <= wait <= 2.5, wait


def test_capped_at_sixty_seconds_and_at_the_request_timeout(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    emu.fail(429, retry_delay="3600s")
    error = _failure(connect(emu).openai_client(max_retries=0))
    assert error.response.headers["retry-after-ms"] == "60000"
    emu.fail(429, retry_delay="30s")
    error = _failure(connect(emu).openai_client(max_retries=0, timeout=5.0))
    assert error.response.headers["retry-after-ms"] == "5000"


def test_other_errors_keep_the_sdk_schedule(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    emu.fail(400)
    assert "retry-after-ms" not in _failure(client).response.headers
    emu.fail(500)
    assert "retry-after-ms" not in _failure(client).response.headers


def test_durations_and_dates() -> None:
    assert parse_duration("1.5s") == 1.5
    assert parse_duration("53s") == 53.0
    assert parse_duration("0.000001s") == 1e-06
    assert parse_duration("soon") is None and parse_duration(7) is None
    assert retry_after_header({"retry-after": "3"}) == 3.0
    in_ten = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 10))
    assert 8.0 <= (retry_after_header({"retry-after": in_ten}) or 0) <= 10.0


def test_persistent_401_refreshes_once_per_interval(
    vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = vertex_emulator
    # A shorter interval than the 30 s default (our constant, read at each 401).
    monkeypatch.setattr(vertex_openai.auth, "REJECTION_INTERVAL", 2.0)
    client = connect(emu).openai_client(max_retries=0)
    client.chat.completions.create(**user("ok"))
    emu.fail(401, times=1000)  # every request is refused from now on
    for _ in range(5):
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(**user())
    # One refresh for the first 401 (and its one resend), none for the next four.
    assert fetched(emu) == 2
    assert len(chat_requests(emu)) == 1 + 2 + 4
    # Once the interval is over, one more refresh (and resend); then none again.
    time.sleep(2.1)
    for _ in range(3):
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(**user())
    assert fetched(emu) == 3
    assert len(chat_requests(emu)) == 7 + 2 + 2


def test_a_concurrent_401_burst_resends_with_the_new_token(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    client = connection.openai_client(max_retries=0)
    client.chat.completions.create(**user("warm"))
    emu.revoke()  # the token dies: every request of the burst gets a 401 first
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: client.chat.completions.create(**user(f"{n}")), range(8)))
    assert [a.choices[0].message.content for a in answers] == [f"You said: {n}" for n in range(8)]
    assert fetched(emu) == 2


def test_401_resend_only_with_a_replayable_body(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    signed = connection.http_client()
    url = connection.base_url + "/chat/completions"
    body = b'{"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}]}'
    signed.post(url, content=body, headers={"content-type": "application/json"})
    emu.revoke()
    # In memory: refreshed and sent again.
    replayed = signed.post(url, content=body, headers={"content-type": "application/json"})
    assert replayed.status_code == 200
    assert [r.status for r in chat_requests(emu)] == [200, 401, 200]

    def streamed() -> Iterator[bytes]:
        yield body

    emu.revoke()
    once = signed.post(url, content=streamed(), headers={"content-type": "application/json"})
    # A generator cannot be replayed: the 401 comes back as it is, no second (empty) send.
    assert once.status_code == 401
    assert [r.status for r in chat_requests(emu)] == [200, 401, 200, 401]
    assert isinstance(once.request.stream, http.SyncByteStream)


def test_the_cli_gets_the_same_policy(
    vertex_emulator: VertexEmulator,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = vertex_emulator
    key = emu.write_service_account_file(tmp_path / "key.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    emu.fail(429, retry_delay="1.1s")
    argv = ["chat", "--api-endpoint", emu.url, "--location", LOCATION, "hello"]
    assert main(argv) == 0
    assert capsys.readouterr().out == "You said: hello\n"
    assert [r.status for r in chat_requests(emu)] == [429, 200]
