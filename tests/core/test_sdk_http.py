"""The HTTP library of our clients is the one the installed openai SDK is built on
(vertex_openai.sdk_http): httpx2 under openai 3.x, httpx under 2.x."""

from __future__ import annotations

import httpx
import openai
import pytest

from vertex_openai.pool import PooledTransport
from vertex_openai.sdk_http import http, sdk_uses_httpx2
from vertex_openai.testing import VertexEmulator
from vertex_openai.transport import VertexTransport

from support import connect, user

needs_httpx2_sdk = pytest.mark.skipif(
    not sdk_uses_httpx2(), reason="the installed openai is built on httpx 0.x (openai < 3)"
)


async def test_clients_are_of_the_library_the_sdk_is_built_on(
    vertex_emulator: VertexEmulator,
) -> None:
    connection = connect(vertex_emulator)
    client, aclient = connection.openai_client(), connection.async_openai_client()
    # The SDK's own default clients derive from the class we hand it: no adaptation layer.
    assert issubclass(openai.DefaultHttpxClient, type(client._client))
    assert issubclass(openai.DefaultAsyncHttpxClient, type(aclient._client))
    answer = client.chat.completions.create(**user("sync"))
    assert answer.choices[0].message.content == "You said: sync"
    answer = await aclient.chat.completions.create(**user("async"))
    assert answer.choices[0].message.content == "You said: async"


@needs_httpx2_sdk
async def test_openai_3_clients_hold_httpx2_clients(vertex_emulator: VertexEmulator) -> None:
    import httpx2
    from openai._httpx2 import is_legacy_httpx_async_client, is_legacy_httpx_sync_client

    emu = vertex_emulator
    connection = connect(emu, socket_options=[(6, 1, 1)])  # TCP_NODELAY
    client, aclient = connection.openai_client(), connection.async_openai_client()
    assert http is httpx2
    assert isinstance(client._client, httpx2.Client)
    assert isinstance(aclient._client, httpx2.AsyncClient)
    assert not isinstance(client._client, httpx.Client)
    # What openai 3.x tests to choose its adaptation layer (openai/_httpx2.py).
    assert not is_legacy_httpx_sync_client(client._client)
    assert not is_legacy_httpx_async_client(aclient._client)

    # Same layers as under openai 2.x: Vertex transport → pooled lease → the shared pool.
    transport = client._client._transport
    assert isinstance(transport, VertexTransport) and isinstance(transport, httpx2.BaseTransport)
    assert isinstance(transport._inner, PooledTransport)
    chunks = list(client.chat.completions.create(**user("streamed"), stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    pool = transport._inner._pool
    assert isinstance(pool.sync_transport(), httpx2.HTTPTransport)
    assert pool._options["socket_options"] == [(6, 1, 1)]

    answer = await aclient.chat.completions.create(**user("async"))
    assert answer.choices[0].message.content == "You said: async"
    assert emu.token_valid(emu.requests[-1].token or "")

    # Vertex's error body still reaches the SDK's exception, through httpx2 responses.
    with pytest.raises(openai.BadRequestError, match="INVALID_ARGUMENT: Malformed"):
        client.chat.completions.create(**user(model="no-publisher"))


def test_vertex_auth_signs_a_callers_own_httpx_client(vertex_emulator: VertexEmulator) -> None:
    """connection.auth works with an httpx 0.x client whatever openai is installed (and
    with an httpx2 one under openai 3.x)."""
    emu = vertex_emulator
    connection = connect(emu)
    url = connection.base_url + "/chat/completions"
    clients: list[httpx.Client | http.Client] = [httpx.Client(auth=connection.auth)]
    if http is not httpx:
        clients.append(http.Client(auth=connection.auth))
    for client in clients:
        with client:
            response = client.post(url, json=user("own client"))
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == "You said: own client"
        assert emu.token_valid(emu.requests[-1].token or "")
