"""Plain openai clients on the core: real google-auth refresh, real HTTP through the SDK."""

from __future__ import annotations

import asyncio
import time

import google.auth.exceptions
import openai
import pytest

import vertex_openai
from vertex_openai import CredentialsError, TokenSource, VertexStreamError
from vertex_openai.testing import VertexEmulator

from support import connect, connect_with, fetched, user

OPENAPI = "/v1/projects/emulator-project/locations/us-central1/endpoints/openapi/chat/completions"


def test_openai_client_refreshes_with_google_auth(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = vertex_openai.openai_client(
        project=emu.project,
        location="us-central1",
        api_endpoint=emu.url,
        credentials=emu.credentials(),
    )
    answer = client.chat.completions.create(**user("Why is the sky blue?"))
    assert answer.choices[0].message.content == "You said: Why is the sky blue?"
    (request,) = emu.requests
    assert request.path == OPENAPI and request.status == 200
    assert fetched(emu) == 1
    assert request.token and emu.token_valid(request.token)
    client.chat.completions.create(**user())
    assert fetched(emu) == 1  # fresh token reused


async def test_async_client(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = vertex_openai.async_openai_client(
        project=emu.project,
        location="us-central1",
        api_endpoint=emu.url,
        credentials=emu.credentials(),
        api_version="v1beta1",
    )
    answer = await client.chat.completions.create(**user("async"))
    assert answer.choices[0].message.content == "You said: async"
    assert emu.requests[0].path.startswith(
        "/v1beta1/projects/emulator-project/locations/us-central1/"
    )


async def test_sync_and_async_share_one_token_source(vertex_emulator: VertexEmulator) -> None:
    connection = connect(vertex_emulator)
    await connection.async_openai_client().chat.completions.create(**user())
    connection.openai_client().chat.completions.create(**user())
    assert fetched(vertex_emulator) == 1
    assert connection.openai_client()._client is connection.openai_client()._client


def test_self_deployed_endpoint(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.add_endpoint("mg-endpoint-42", location="europe-west4")
    connection = connect(emu, location="europe-west4", endpoint_id="mg-endpoint-42")
    answer = connection.openai_client().chat.completions.create(
        model=connection.model_name(None), messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == "You said: hi"
    assert emu.requests[0].path == (
        "/v1/projects/emulator-project/locations/europe-west4/endpoints/mg-endpoint-42/chat/completions"
    )


def test_quota_project_header(
    vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = vertex_emulator
    monkeypatch.delenv("GOOGLE_CLOUD_QUOTA_PROJECT", raising=False)
    connect(emu, quota_project="billing").openai_client().chat.completions.create(**user())
    connect(
        emu, credentials=emu.credentials(quota_project_id="from-cred")
    ).openai_client().chat.completions.create(**user())
    connect(emu).openai_client().chat.completions.create(**user())
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "from-env")
    connect(emu).openai_client().chat.completions.create(**user())
    headers = [r.headers.get("x-goog-user-project") for r in emu.requests]
    assert headers == ["billing", "from-cred", None, "from-env"]


def test_static_token_used_as_is_never_refreshed(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    token = emu.issue_token()
    client = connect(emu, credentials=None, api_key=token).openai_client(max_retries=0)
    client.chat.completions.create(**user())
    assert emu.requests[0].token == token
    emu.revoke(token)
    with pytest.raises(openai.AuthenticationError, match="UNAUTHENTICATED"):
        client.chat.completions.create(**user())
    assert emu.token_requests == []
    assert len(emu.requests) == 2  # no retry: a static token cannot be refreshed


def test_401_forces_one_refresh_and_one_retry(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    client.chat.completions.create(**user())
    emu.revoke()
    answer = client.chat.completions.create(**user("again"))
    assert answer.choices[0].message.content == "You said: again"
    assert fetched(emu) == 2
    assert [r.status for r in emu.requests] == [200, 401, 200]


async def test_401_recovery_async(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).async_openai_client(max_retries=0)
    await client.chat.completions.create(**user())
    emu.revoke()
    await client.chat.completions.create(**user())
    assert fetched(emu) == 2
    assert [r.status for r in emu.requests] == [200, 401, 200]


def test_expired_token_is_refreshed(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.token_lifetime = 3  # long enough for the first call on a loaded machine
    client = connect(emu).openai_client()
    client.chat.completions.create(**user())
    time.sleep(3.2)
    client.chat.completions.create(**user())
    first, second = (r.token for r in emu.requests)
    assert first != second and all(r.status == 200 for r in emu.requests)


def test_vertex_error_message_and_status(vertex_emulator: VertexEmulator) -> None:
    client = connect(vertex_emulator).openai_client()
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}]
        )
    message = str(info.value)
    assert "INVALID_ARGUMENT" in message and "Malformed publisher model name" in message
    assert isinstance(info.value.body, dict) and info.value.body["status"] == "INVALID_ARGUMENT"


def test_html_error_page_is_short(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail(404, html=True)
    client = connect(emu).openai_client()
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(**user())
    message = str(info.value)
    assert "HTML error page" in message and emu.url in message and "<html" not in message.lower()


def test_retry_after_is_honoured_by_the_sdk(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail(429, retry_after=0.2)
    answer = connect(emu).openai_client(max_retries=2).chat.completions.create(**user())
    assert answer.choices[0].message.content == "You said: hello"
    assert [r.status for r in emu.requests] == [429, 200]


def test_stream_has_usage_on_last_chunk(vertex_emulator: VertexEmulator) -> None:
    client = connect(vertex_emulator).openai_client()
    chunks = list(client.chat.completions.create(**user("one two three"), stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: one two three"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_cut_stream_raises(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.cut_stream(after_chunks=2)
    client = connect(emu).openai_client()
    with pytest.raises(VertexStreamError):
        for _ in client.chat.completions.create(**user("a b c d e f"), stream=True):
            pass


async def test_cut_stream_raises_async(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.cut_stream(after_chunks=2)
    client = connect(emu).async_openai_client()
    with pytest.raises(VertexStreamError):
        async for _ in await client.chat.completions.create(**user("a b c d"), stream=True):
            pass


def test_malformed_stream_raises(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.malform_stream()
    client = connect(emu).openai_client()
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's SSE parser
        for _ in client.chat.completions.create(**user(), stream=True):
            pass


def test_permanent_credential_failure(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail_token(error="invalid_grant", status=400)
    client = connect(emu).openai_client()
    with pytest.raises(CredentialsError) as info:
        client.chat.completions.create(**user())
    assert not info.value.transient
    assert isinstance(info.value.__cause__, google.auth.exceptions.RefreshError)
    assert "invalid_grant" in str(info.value)
    assert "gcloud auth application-default login" in str(info.value)
    assert len(emu.token_requests) == 1
    assert emu.requests == []  # nothing sent to Vertex without a token


def test_transient_failure_retried_then_raised(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail_token(disconnect=True, times=10)
    source = TokenSource(emu.credentials(), max_attempts=3, backoff=0.01)
    client = connect_with(emu, source).openai_client()
    with pytest.raises(CredentialsError) as info:
        client.chat.completions.create(**user())
    assert info.value.transient
    assert isinstance(info.value.__cause__, google.auth.exceptions.TransportError)
    assert len(emu.token_requests) == 3
    assert emu.requests == []


def test_transient_failure_recovers(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail_token(disconnect=True, times=1)
    source = TokenSource(emu.credentials(), backoff=0.01)
    connect_with(emu, source).openai_client().chat.completions.create(**user())
    assert [t.status for t in emu.token_requests] == [0, 200]


def test_unreachable_token_endpoint(vertex_emulator: VertexEmulator) -> None:
    info = vertex_emulator.service_account_info()
    info["token_uri"] = "http://127.0.0.1:9/token"  # discard port: connection refused
    from google.oauth2 import service_account

    creds = service_account.Credentials.from_service_account_info(info)
    source = TokenSource(creds, max_attempts=2, backoff=0.01)
    with pytest.raises(CredentialsError, match="after 2 attempts"):
        connect_with(vertex_emulator, source).openai_client().chat.completions.create(**user())


def test_hanging_token_endpoint_bounded_by_request_timeout(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    emu.set_token_latency(30)
    client = connect(emu).openai_client(timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="Timed out"):
        client.chat.completions.create(**user())
    assert time.monotonic() - started < 10  # released at its own timeout, not the endpoint's


async def test_first_use_single_flight_asyncio(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.set_token_latency(0.2)
    client = connect(emu).async_openai_client()
    answers = await asyncio.gather(
        *(client.chat.completions.create(**user(f"task {i}")) for i in range(64))
    )
    assert [a.choices[0].message.content for a in answers] == [
        f"You said: task {i}" for i in range(64)
    ]
    assert len(emu.token_requests) == 1


def test_connection_repr_has_no_token(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    token = emu.issue_token()
    connection = connect(emu, credentials=None, api_key=token)
    client = connection.openai_client()
    client.chat.completions.create(**user())
    for text in (
        repr(connection),
        repr(connection.token_source),
        repr(connection.auth),
        client.api_key,
    ):
        assert token not in text


def test_environment_proxy_is_used_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    from vertex_openai.connection import _proxy_for

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "bypass.example.com")
    assert _proxy_for("https://aiplatform.googleapis.com/v1") == "http://proxy.internal:3128"
    assert _proxy_for("https://bypass.example.com/v1") is None
    assert _proxy_for("http://127.0.0.1:8080/v1") is None


async def test_async_stream_complete_under_every_sdk(vertex_emulator: VertexEmulator) -> None:
    # openai 3.x reads an async stream's body again after [DONE]: still complete, no error.
    client = connect(vertex_emulator).async_openai_client()
    stream = await client.chat.completions.create(**user("x y"), stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "You said: x y"
