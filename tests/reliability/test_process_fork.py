"""Fork safety and bounded refresh workers (issue 12, item 3).

Real ``os.fork()``: the child runs the code and reports through a pipe; the emulator (threads
of the parent process) answers both processes over HTTP.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from vertex_openai.testing import VertexEmulator

from support import chat_requests, connect, fetched, user, wait_until

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _in_child(work: Callable[[], Any]) -> str:
    """Run ``work`` in a forked child; its repr (or the child's traceback) comes back."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            report = "ok " + repr(work())
        except BaseException:
            report, code = "error " + traceback.format_exc(), 1
        with os.fdopen(write, "w") as out:
            out.write(report)
        os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), report
    assert report.startswith("ok "), report
    return report[3:]


def _token_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "vertex-openai-token")


def test_fork_during_a_refresh_does_not_block_the_child(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.set_token_latency(2.0)
    connection = connect(emu)
    client = connection.openai_client(max_retries=0, timeout=30)
    parent = threading.Thread(target=lambda: client.chat.completions.create(**user("parent")))
    parent.start()
    wait_until(lambda: _token_threads() == 1)  # the parent's refresh is in flight

    def child() -> str | None:
        # The parent's refresh thread does not exist here: without the reset this would wait
        # for a future nobody completes (the 30 s timeout), holding the credential's lock.
        answer = client.chat.completions.create(**user("child"))
        return answer.choices[0].message.content

    assert _in_child(child) == repr("You said: child")
    parent.join()
    assert fetched(emu) == 2  # the parent's token and the child's own
    assert len({r.token for r in chat_requests(emu)}) == 2


def test_the_child_opens_its_own_sockets(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    client = connection.openai_client(max_retries=0)
    client.chat.completions.create(**user("parent before"))
    pool = connection._pool()
    inherited = pool.sync_transport()
    inherited_connections = list(inherited._pool.connections)
    assert len(inherited_connections) == 1  # a keep-alive socket the child must not use

    def child() -> list[Any]:
        answer = client.chat.completions.create(**user("child"))
        fresh = pool.sync_transport()
        connections = list(fresh._pool.connections)

        async def async_call() -> str | None:
            aclient = connection.async_openai_client(max_retries=0)
            return (
                (await aclient.chat.completions.create(**user("child async")))
                .choices[0]
                .message.content
            )

        return [
            answer.choices[0].message.content,
            fresh is not inherited,
            len(connections) == 1 and connections[0] not in inherited_connections,
            asyncio.run(async_call()),
        ]

    assert _in_child(child) == repr(["You said: child", True, True, "You said: child async"])
    # The parent's socket is intact: the next request goes through it.
    client.chat.completions.create(**user("parent after"))
    assert list(inherited._pool.connections) == inherited_connections
    # The child used the token it inherited (still valid): no fetch of its own was needed.
    assert fetched(emu) == 1


def test_fork_pool_workers_use_an_inherited_client(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    client.chat.completions.create(**user("warm"))
    global _WORKER_CLIENT
    _WORKER_CLIENT = client
    with multiprocessing.get_context("fork").Pool(2) as pool:
        answers = pool.map(_worker_call, range(6))
    assert answers == [f"You said: worker {n}" for n in range(6)]
    assert len(chat_requests(emu)) == 7


_WORKER_CLIENT: Any = None


def _worker_call(number: int) -> str | None:
    answer = _WORKER_CLIENT.chat.completions.create(**user(f"worker {number}"))
    return answer.choices[0].message.content  # type: ignore[no-any-return]


def test_one_refresh_worker_per_identity_under_a_slow_token_endpoint(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    emu.set_token_latency(1.5)
    # 40 models built per request, each with its own credentials object, same identity.
    clients = [connect(emu).openai_client(max_retries=0) for _ in range(40)]
    barrier = threading.Barrier(41)
    peak = 0

    def call(n: int) -> str | None:
        barrier.wait()
        return clients[n].chat.completions.create(**user(f"r{n}")).choices[0].message.content

    with ThreadPoolExecutor(40) as pool:
        futures = [pool.submit(call, n) for n in range(40)]
        barrier.wait()
        while not all(f.done() for f in futures):
            peak = max(peak, _token_threads())
            time.sleep(0.01)
        answers = [f.result() for f in futures]
    assert answers == [f"You said: r{n}" for n in range(40)]
    assert peak == 1
    assert len(emu.token_requests) == 1
    wait_until(lambda: _token_threads() == 0)
