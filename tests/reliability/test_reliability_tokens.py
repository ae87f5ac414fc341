"""Token lifecycle under concurrency: single flight, rotation without stalls, 401 recovery."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from vertex_openai.testing import VertexEmulator

from support import connect, fetched, target, user, wait_until


async def test_first_use_64_tasks_one_fetch(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.set_token_latency(0.3)  # every task arrives while the first fetch is in flight
    client = connect(emu).async_openai_client()
    answers = await asyncio.gather(
        *(client.chat.completions.create(**user(f"task {i}")) for i in range(64))
    )
    assert [a.choices[0].message.content for a in answers] == [
        f"You said: task {i}" for i in range(64)
    ]
    assert len(emu.token_requests) == 1


def test_first_use_16_threads_one_fetch(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.set_token_latency(0.3)
    client = connect(emu).openai_client()
    barrier = threading.Barrier(16)

    def call(i: int) -> str | None:
        barrier.wait()
        return client.chat.completions.create(**user(f"thread {i}")).choices[0].message.content

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(call, range(16)))
    assert answers == [f"You said: thread {i}" for i in range(16)]
    assert len(emu.token_requests) == 1


def test_stale_token_rotates_in_background(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    # google-auth calls a token stale 3 min 45 s (225 s) before expiry: with a 226 s lifetime
    # the token is stale after ~1 s and still valid for minutes.
    emu.token_lifetime = 226
    connection = connect(emu)
    client = connection.openai_client()
    client.chat.completions.create(**user("first"))
    old = emu.requests[0].token
    time.sleep(1.1)
    emu.set_token_latency(5.0)  # a slow token endpoint
    client.chat.completions.create(**user("stale window"))
    # The call went out with the old (stale, valid) token and came back while the refresh
    # it triggered was still waiting on the token endpoint: it did not wait for it.
    assert emu.requests[1].token == old
    assert fetched(emu) == 1
    wait_until(lambda: connection.token_source.fetch_count == 2)
    client.chat.completions.create(**user("after"))
    assert emu.requests[2].token not in (None, old)
    assert fetched(emu) == 2  # one background refresh, however many calls in the window


def test_invalid_token_callers_wait_for_one_refresh(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.token_lifetime = 3  # long enough for the first call on a loaded machine
    client = connect(emu).openai_client()
    client.chat.completions.create(**user("first"))
    time.sleep(3.2)  # expired: invalid
    emu.token_lifetime = 3600
    emu.set_token_latency(0.3)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda i: (
                    client.chat.completions.create(**user(f"w{i}")).choices[0].message.content
                ),
                range(8),
            )
        )
    assert answers == [f"You said: w{i}" for i in range(8)]
    assert fetched(emu) == 2
    assert all(r.status == 200 for r in emu.requests)  # nobody sent the expired token
    assert len({r.token for r in emu.requests[1:]}) == 1


def test_revoked_token_one_refresh_one_retry(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    client.chat.completions.create(**user("before"))
    emu.revoke()
    assert client.chat.completions.create(**user("after")).choices[0].message.content == (
        "You said: after"
    )
    assert [r.status for r in emu.requests] == [200, 401, 200]
    assert fetched(emu) == 2


async def test_revoked_under_concurrency_one_refresh(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).async_openai_client(max_retries=0)
    await client.chat.completions.create(**user("warm"))
    emu.revoke()
    emu.set_token_latency(0.2)
    answers = await asyncio.gather(
        *(client.chat.completions.create(**user(f"r{i}")) for i in range(32))
    )
    assert [a.choices[0].message.content for a in answers] == [f"You said: r{i}" for i in range(32)]
    assert fetched(emu) == 2  # 32 rejections of the same token: one refresh


@pytest.mark.parametrize("concurrency", [200])
async def test_load_with_faults(vertex_emulator: VertexEmulator, concurrency: int) -> None:
    emu = vertex_emulator
    emu.fail(429, times=15, retry_after=0.05, route="chat")
    emu.fail(503, times=15, retry_after=0.05, route="chat")
    client = connect(emu).async_openai_client(max_retries=4)
    answers = await asyncio.gather(
        *(client.chat.completions.create(**user(f"call {i}")) for i in range(concurrency))
    )
    # none lost, none crossed
    assert [a.choices[0].message.content for a in answers] == [
        f"You said: call {i}" for i in range(concurrency)
    ]
    statuses = [r.status for r in emu.requests]
    assert statuses.count(429) == 15 and statuses.count(503) == 15
    assert statuses.count(200) == concurrency
    assert len(emu.token_requests) == 1


def test_retry_after_is_waited_for(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail(429, retry_after=0.5)
    connect(emu).openai_client(max_retries=1).chat.completions.create(**user("x"))
    first, second = emu.requests
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time >= 0.45  # a lower bound: noise only makes it longer


def test_langchain_and_llamaindex_first_use_single_flight(vertex_emulator: VertexEmulator) -> None:
    pytest.importorskip("langchain_openai")
    from vertex_openai.langchain import ChatVertexOpenAI

    emu = vertex_emulator
    emu.set_token_latency(0.3)
    llm = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu))
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: llm.invoke(f"t{i}").content, range(16)))
    assert answers == [f"You said: t{i}" for i in range(16)]
    assert len(emu.token_requests) == 1


async def test_llamaindex_64_tasks_one_fetch(vertex_emulator: VertexEmulator) -> None:
    pytest.importorskip("llama_index.core")
    from vertex_openai.llama_index import VertexOpenAILike

    emu = vertex_emulator
    emu.set_token_latency(0.3)
    llm = VertexOpenAILike(model="gemini-2.5-flash", **target(emu))
    answers = await asyncio.gather(*(llm.acomplete(f"a{i}") for i in range(64)))
    assert [a.text for a in answers] == [f"You said: a{i}" for i in range(64)]
    assert len(emu.token_requests) == 1


def test_failed_background_refresh_backs_off_and_warns(
    vertex_emulator: VertexEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = vertex_emulator
    emu.token_lifetime = 226  # stale after ~1 s, valid for minutes
    connection = connect(emu)
    client = connection.openai_client()
    client.chat.completions.create(**user("first"))
    time.sleep(1.1)
    emu.fail_token(error="invalid_grant", times=100)
    for i in range(20):  # every call in the stale window still succeeds with the old token
        client.chat.completions.create(**user(f"stale {i}"))
        time.sleep(0.01)
    assert all(r.status == 200 for r in emu.requests)
    # one failed background refresh, then a back-off: not one token request per call
    assert len(emu.token_requests) == 2
    assert any("Background refresh" in r.getMessage() for r in caplog.records)


def test_models_sharing_a_credentials_object_share_its_token(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    emu.set_token_latency(0.3)
    creds = emu.credentials()  # one object for several models, as users do
    clients = [connect(emu, credentials=creds).openai_client() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda c: c.chat.completions.create(**user("shared")).choices[0].message.content,
                clients,
            )
        )
    assert answers == ["You said: shared"] * 4
    assert len(emu.token_requests) == 1  # refresh() of one object never runs twice at once
    emu.revoke()
    clients[0].chat.completions.create(**user("after revoke"))
    clients[1].chat.completions.create(**user("after revoke"))  # reuses the new token
    assert len(emu.token_requests) == 2
