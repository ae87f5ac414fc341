"""Any event loop: one async client per running loop, a closed loop takes its pool with it,
the token source is loop-free (issue 12, item 2)."""

from __future__ import annotations

import asyncio
import gc
import threading
from concurrent.futures import ThreadPoolExecutor

from vertex_openai.testing import VertexEmulator

from support import chat_requests, connect, fetched, needs_langchain, target, user


def test_successive_asyncio_run_calls(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    client = connection.async_openai_client(max_retries=0)  # a failed attempt would raise

    async def ask(text: str) -> str | None:
        answer = await client.chat.completions.create(**user(text))
        return answer.choices[0].message.content

    assert [asyncio.run(ask(f"run {n}")) for n in range(4)] == [
        f"You said: run {n}" for n in range(4)
    ]
    assert fetched(emu) == 1
    gc.collect()
    # Every loop is closed: none of their pools is kept.
    asyncio.run(ask("one more"))
    assert connection._pool().loops() == 0


def test_threads_each_with_its_own_loop_at_once(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.set_latency(0.05)  # requests of different loops overlap
    connection = connect(emu)
    client = connection.async_openai_client(max_retries=0)
    barrier = threading.Barrier(6)
    seen_loops: list[int] = []

    async def calls(thread: int) -> list[str | None]:
        seen_loops.append(id(asyncio.get_running_loop()))
        answers = await asyncio.gather(
            *(client.chat.completions.create(**user(f"{thread}.{i}")) for i in range(5))
        )
        return [a.choices[0].message.content for a in answers]

    def run(thread: int) -> list[str | None]:
        barrier.wait()
        return asyncio.run(calls(thread))

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(run, range(6)))
    assert results == [[f"You said: {t}.{i}" for i in range(5)] for t in range(6)]
    assert len(set(seen_loops)) == 6
    assert fetched(emu) == 1


def test_sync_and_async_together(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    sync_client = connection.openai_client(max_retries=0)
    async_client = connection.async_openai_client(max_retries=0)

    async def mixed() -> list[str | None]:
        # A sync call from a worker thread while the loop awaits its own.
        loop = asyncio.get_running_loop()
        sync_call = loop.run_in_executor(
            None, lambda: sync_client.chat.completions.create(**user("sync"))
        )
        async_answer = await async_client.chat.completions.create(**user("async"))
        sync_answer = await sync_call
        return [sync_answer.choices[0].message.content, async_answer.choices[0].message.content]

    assert sync_client.chat.completions.create(**user("before")).choices[0].message.content
    assert asyncio.run(mixed()) == ["You said: sync", "You said: async"]
    assert asyncio.run(mixed()) == ["You said: sync", "You said: async"]
    assert fetched(emu) == 1


def test_a_refresh_started_on_one_loop_is_awaited_by_another(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    emu.set_token_latency(0.5)  # the first fetch is in flight when the second loop asks
    source = connect(emu).token_source
    barrier = threading.Barrier(3)

    async def token() -> str:
        return await source.atoken(timeout=10)

    def run() -> str:
        barrier.wait()
        return asyncio.run(token())

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(run) for _ in range(2)]
        barrier.wait()
        sync_token = source.token(timeout=10)  # and a sync caller, with no loop at all
        tokens = {f.result() for f in futures} | {sync_token}
    assert len(tokens) == 1
    assert fetched(emu) == 1


@needs_langchain
def test_a_langchain_model_across_asyncio_run_calls(vertex_emulator: VertexEmulator) -> None:
    from vertex_openai import ChatVertexOpenAI

    emu = vertex_emulator
    model = ChatVertexOpenAI(model="gemini-2.5-flash", max_retries=0, **target(emu))

    async def ask(text: str) -> str:
        return str((await model.ainvoke(text)).content)

    assert asyncio.run(ask("first")) == "You said: first"
    assert asyncio.run(ask("second")) == "You said: second"
    assert model.invoke("sync").content == "You said: sync"
    assert len(chat_requests(emu)) == 3


def test_a_long_lived_loop_beside_short_ones(vertex_emulator: VertexEmulator) -> None:
    """Jupyter's shape: one loop that never stops (ipykernel's, in its own thread), used
    while other code runs `asyncio.run` in between; each keeps its own pool."""
    emu = vertex_emulator
    connection = connect(emu)
    client = connection.async_openai_client(max_retries=0)
    kernel = asyncio.new_event_loop()
    thread = threading.Thread(target=kernel.run_forever, daemon=True)
    thread.start()

    async def ask(text: str) -> str | None:
        return (await client.chat.completions.create(**user(text))).choices[0].message.content

    try:
        for cell in range(3):
            future = asyncio.run_coroutine_threadsafe(ask(f"cell {cell}"), kernel)
            assert future.result(timeout=30) == f"You said: cell {cell}"
            assert asyncio.run(ask(f"script {cell}")) == f"You said: script {cell}"
        assert connection._pool().loops() == 1  # the kernel's; the short ones closed theirs
        # A kernel shutting down closes its pool's sockets on its own loop.
        asyncio.run_coroutine_threadsafe(kernel.shutdown_asyncgens(), kernel).result(10)
        assert connection._pool().loops() == 0
    finally:
        kernel.call_soon_threadsafe(kernel.stop)
        thread.join()
        kernel.close()
    assert fetched(emu) == 1
