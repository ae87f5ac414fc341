"""Parity with the adapters we wrap: langchain-openai's socket options, environment proxies,
signing through google-auth's Credentials.apply(), universe_domain refused, close()/aclose()
(issue 12, item 7)."""

from __future__ import annotations

import asyncio
import json
import pathlib
import socket
import sys
from typing import Any

import pytest
from google.oauth2 import service_account

import vertex_openai
from vertex_openai import CredentialsError, VertexConnection
from vertex_openai.connection import _proxy_for, default_socket_options
from vertex_openai.errors import UniverseDomainError
from vertex_openai.testing import VertexEmulator

from support import LOCATION, chat_requests, connect, installed, needs_langchain, target, user

linux = pytest.mark.skipif(sys.platform != "linux", reason="Linux TCP option numbers")
TCP_KEEPIDLE = 4  # <netinet/tcp.h> on Linux


def _sockets(connection: VertexConnection) -> list[socket.socket]:
    pool = connection._pool().sync_transport()._pool
    return [c._connection._network_stream.get_extra_info("socket") for c in pool.connections]


@linux
def test_langchain_openai_keepalive_defaults_on_every_socket(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    connection.openai_client().chat.completions.create(**user())
    (sock,) = _sockets(connection)
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert sock.getsockopt(socket.IPPROTO_TCP, TCP_KEEPIDLE) == 60
    assert connection.socket_options == default_socket_options()


@linux
def test_explicit_socket_options_and_none(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    tuned = connect(
        emu,
        socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (6, TCP_KEEPIDLE, 30)],
    )
    bare = connect(emu, socket_options=())
    tuned.openai_client().chat.completions.create(**user("tuned"))
    bare.openai_client().chat.completions.create(**user("bare"))
    assert tuned._pool() is not bare._pool()  # other options, other pool
    assert _sockets(tuned)[0].getsockopt(socket.IPPROTO_TCP, TCP_KEEPIDLE) == 30
    assert _sockets(bare)[0].getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
    with pytest.raises(ValueError, match="triples"):
        connect(emu, socket_options=[(1, 2)])


@needs_langchain
def test_http_socket_options_of_the_langchain_classes(vertex_emulator: VertexEmulator) -> None:
    from vertex_openai import ChatVertexOpenAI, VertexOpenAIEmbeddings

    emu = vertex_emulator
    chat = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu))
    assert chat.connection.socket_options == default_socket_options()
    tuned = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    chat = ChatVertexOpenAI(model="gemini-2.5-flash", http_socket_options=tuned, **target(emu))
    assert chat.connection.socket_options == tuple(tuned)
    assert chat.invoke("hi").content == "You said: hi"
    # OpenAIEmbeddings has no http_socket_options: the same defaults as ChatOpenAI's.
    embeddings = VertexOpenAIEmbeddings(model="text-embedding-005", **target(emu))
    assert embeddings.connection.socket_options == default_socket_options()


def test_langchain_openai_environment_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGCHAIN_OPENAI_TCP_KEEPALIVE", "0")
    assert default_socket_options() == ()
    monkeypatch.setenv("LANGCHAIN_OPENAI_TCP_KEEPALIVE", "1")
    monkeypatch.setenv("LANGCHAIN_OPENAI_TCP_KEEPIDLE", "15")
    if sys.platform == "linux":
        assert (socket.IPPROTO_TCP, TCP_KEEPIDLE, 15) in default_socket_options()


def test_all_proxy_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    url = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1"
    monkeypatch.setenv("ALL_PROXY", "http://proxy.internal:3128")
    assert _proxy_for(url) == "http://proxy.internal:3128"
    monkeypatch.setenv("HTTPS_PROXY", "http://https-proxy.internal:3128")
    assert _proxy_for(url) == "http://https-proxy.internal:3128"  # the scheme's own wins
    monkeypatch.setenv("NO_PROXY", ".googleapis.com")
    assert _proxy_for(url) is None
    assert _proxy_for("http://127.0.0.1:8080/v1") is None  # never for loopback
    # And the connection's pool is built with it (no request needed to see it).
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("HTTPS_PROXY")
    connection = VertexConnection.create(
        project="p", location=LOCATION, api_endpoint="https://psc.example.com", api_key="t"
    )
    assert connection._pool()._options["proxy"] == "http://proxy.internal:3128"


class _BoundaryCredentials(service_account.Credentials):  # type: ignore[misc]
    """A real google-auth credential whose apply() adds a header (as google-auth's regional
    access boundary adds x-allowed-locations)."""

    def apply(self, headers: Any, token: str | None = None) -> None:
        super().apply(headers, token=token)
        headers["x-allowed-locations"] = "0x1"


def test_signed_through_credentials_apply(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    creds = _BoundaryCredentials.from_service_account_info(
        emu.service_account_info(), scopes=[vertex_openai.CLOUD_PLATFORM_SCOPE]
    ).with_quota_project("billed-by-the-credential")
    connection = connect(emu, credentials=creds)
    connection.openai_client().chat.completions.create(**user())
    (request,) = chat_requests(emu)
    assert request.headers["x-allowed-locations"] == "0x1"
    assert request.headers["x-goog-user-project"] == "billed-by-the-credential"
    assert request.headers["authorization"] == f"Bearer {request.token}"
    # The quota_project argument wins over the credential's.
    other = connect(emu, credentials=creds, quota_project="billed-by-the-argument")
    other.openai_client().chat.completions.create(**user())
    assert chat_requests(emu)[1].headers["x-goog-user-project"] == "billed-by-the-argument"


def test_another_universe_is_refused_before_anything_is_sent(
    vertex_emulator: VertexEmulator, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = vertex_emulator
    info = {**emu.service_account_info(), "universe_domain": "example-universe.com"}
    creds = service_account.Credentials.from_service_account_info(info)
    with pytest.raises(UniverseDomainError, match=r"example-universe\.com") as caught:
        connect(emu, credentials=creds)
    assert isinstance(caught.value, ValueError) and "googleapis.com" in str(caught.value)
    if installed("langchain_openai"):
        from vertex_openai import ChatVertexOpenAI

        with pytest.raises(ValueError, match="universe domain"):
            ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu, credentials=creds))
    # Through ADC: refused on first use, as a CredentialsError, still before any request.
    key = tmp_path / "other-universe.json"
    key.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    client = vertex_openai.openai_client(
        project=emu.project, location=LOCATION, api_endpoint=emu.url, max_retries=0
    )
    with pytest.raises(CredentialsError, match="universe domain"):
        client.chat.completions.create(**user())
    assert emu.requests == [] and emu.token_requests == []


def test_close_and_aclose_release_the_sockets(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    # Options of its own: a pool no other connection of the test process shares.
    connection = connect(emu, socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)])
    connection.openai_client().chat.completions.create(**user())
    pool = connection._pool()
    assert pool._sync is not None
    connection.close()
    assert pool._sync is None  # the last lease: its sockets are closed
    # Usable again afterwards, with new clients.
    connection.openai_client().chat.completions.create(**user("again"))

    async def async_use() -> None:
        client = connection.async_openai_client()
        await client.chat.completions.create(**user("async"))
        assert pool.loops() == 1
        await connection.aclose()
        assert pool.loops() == 0

    asyncio.run(async_use())
    assert [r.status for r in chat_requests(emu)] == [200, 200, 200]
