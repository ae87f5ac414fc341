"""The emulator's listen backlog: bursts of concurrent connects are never dropped.

With socketserver's default backlog of 5, a burst of 200 simultaneous connects overflows
the accept queue; Linux then drops SYNs and each client waits for a retransmit (1 s, then
2 s, ...). The test detects a retransmit without timing anything itself: the client's
connect timeout is 0.5 s with no retries, so a dropped SYN (first retransmit after 1 s)
fails that request deterministically, whereas an accepted connect on loopback is completed
by the kernel at once, however busy the Python side is.
"""

from __future__ import annotations

import concurrent.futures
import threading

import httpx
import pytest

from vertex_openai.testing import VertexEmulator

BURSTS = 3
BURST_SIZE = 200


def _kernel_backlog_cap() -> int | None:
    """Linux caps every listen backlog at net.core.somaxconn (128 before Linux 5.4)."""
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def test_listen_backlog_is_sized_for_bursts() -> None:
    from vertex_openai.testing._http import Server

    assert Server.request_queue_size >= 1024
    assert Server.daemon_threads  # a hung handler never keeps the interpreter alive


def test_three_bursts_of_200_concurrent_connects(vertex_emulator: VertexEmulator) -> None:
    cap = _kernel_backlog_cap()
    if cap is None or cap < BURST_SIZE:
        pytest.skip(f"the kernel caps listen backlogs at {cap} (net.core.somaxconn), below a burst")
    emu = vertex_emulator
    token = emu.issue_token()
    path = f"/v1/projects/{emu.project}/locations/us-central1/endpoints"
    # No keep-alive: every request opens its own TCP connection, so each burst is 200 fresh
    # connects. Connect timeout 0.5 s, no retries (see the module docstring); the other
    # phases get a generous 30 s, as 200 threads on a busy machine may be slow to answer.
    limits = httpx.Limits(max_connections=BURST_SIZE, max_keepalive_connections=0)
    transport = httpx.HTTPTransport(limits=limits, retries=0)
    timeout = httpx.Timeout(30.0, connect=0.5)
    with (
        httpx.Client(
            base_url=emu.url,
            transport=transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        ) as client,
        concurrent.futures.ThreadPoolExecutor(BURST_SIZE) as pool,
    ):
        for burst in range(BURSTS):
            barrier = threading.Barrier(BURST_SIZE)

            def one(_: int, barrier: threading.Barrier = barrier) -> int:
                barrier.wait(timeout=60)  # all 200 connect at once
                return client.get(path).status_code

            futures = [pool.submit(one, i) for i in range(BURST_SIZE)]
            failures: list[BaseException] = []
            statuses: list[int] = []
            for future in futures:
                error = future.exception(timeout=120)
                if error is not None:
                    failures.append(error)
                else:
                    statuses.append(future.result())
            if failures:
                kinds = sorted({type(e).__name__ for e in failures})
                pytest.fail(
                    f"burst {burst + 1}: {len(failures)} of {BURST_SIZE} requests failed "
                    f"({', '.join(kinds)}; first: {failures[0]!r}): connects were dropped "
                    "(listen backlog too small?)"
                )
            assert statuses == [200] * BURST_SIZE
    assert len(emu.requests) == BURSTS * BURST_SIZE
    assert all(r.status == 200 for r in emu.requests)
