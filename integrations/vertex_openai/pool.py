"""Connection pools shared per host and client options, one per event loop, reset after fork.

Every :class:`~vertex_openai.connection.VertexConnection` of a process that talks to the same
origin with the same transport options (proxy, TLS context, limits, socket options) uses one
:class:`SharedPool`: one set of sockets however many models are built.

* Sync requests share one ``HTTPTransport`` (of httpx, or of httpx2 under openai 3.x:
  :mod:`vertex_openai.sdk_http`).
* Async requests get an ``AsyncHTTPTransport`` *per running event loop*: asyncio
  connections belong to the loop that opened them, so one model works from successive
  ``asyncio.run`` calls, from several threads each running its own loop at once, and from
  Jupyter's loop. When a loop shuts down (``asyncio.run`` returning) its pool's sockets are
  closed on it; a loop closed without shutting down has its pool dropped when the next loop
  asks.
* In a forked child (``os.register_at_fork``) every pool forgets its transports without
  closing them (the sockets are the parent's) and gets a new lock; the child opens its own
  connections on first use.
* A pool lives while a client leases it, and for the 8 most recently used hosts × options
  beyond that (idle keep-alive sockets for the next model built per request); closing the
  last client (:meth:`SharedPool.release`) closes its sockets at once.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
import weakref
from collections.abc import AsyncGenerator, Hashable
from typing import Any

from .sdk_http import http

__all__ = ["AsyncPooledTransport", "PooledTransport", "SharedPool", "shared_pool"]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # another async library (trio through anyio): one pool for it
        return None


class SharedPool:
    """The sockets of one origin and set of transport options (see the module doc).

    Args:
        options: keyword arguments of ``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport``
            (``verify``, ``limits``, ``proxy``, ``socket_options``...).
    """

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._lock = threading.Lock()
        self._sync: http.HTTPTransport | None = None
        # id(loop) → (weak reference to the loop, its transport, the async generator that
        # closes it when the loop shuts down)
        self._async: dict[int, tuple[Any, http.AsyncHTTPTransport, Any]] = {}
        self._leases = 0
        _ALL_POOLS.add(self)

    def __repr__(self) -> str:
        return f"SharedPool(leases={self._leases}, loops={len(self._async)})"

    def acquire(self) -> SharedPool:
        """Count one more user (a client); returns the pool."""
        with self._lock:
            self._leases += 1
        return self

    def release(self, *, close: bool = True) -> list[http.AsyncHTTPTransport]:
        """Count one user less; with ``close``, the last one closes the sync sockets now.

        Returns the async transports to close (on their loop) when this was the last lease.
        Without ``close`` (a client collected without being closed) idle sockets stay for
        the next client of this host, as long as the pool is kept (:func:`shared_pool`).
        """
        with self._lock:
            self._leases = max(0, self._leases - 1)
            if self._leases or not close:
                return []
            sync, self._sync = self._sync, None
            loops, self._async = self._async, {}
        if sync is not None:
            sync.close()
        return [transport for _, transport, _ in loops.values()]

    def sync_transport(self) -> http.HTTPTransport:
        """The sync transport (created on first use)."""
        transport = self._sync
        if transport is None:
            with self._lock:
                transport = self._sync
                if transport is None:
                    transport = self._sync = http.HTTPTransport(**self._options)
        return transport

    async def async_transport(self) -> http.AsyncHTTPTransport:
        """The async transport of the running event loop (created on first use there)."""
        loop = _running_loop()
        key = id(loop)
        entry = self._async.get(key)
        if entry is not None and entry[0]() is loop:
            return entry[1]
        with self._lock:
            entry = self._async.get(key)
            if entry is not None and entry[0]() is loop:
                return entry[1]
            # Loops that are gone or closed without shutting down take their transports
            # with them.
            for old in [k for k, (ref, *_) in self._async.items() if _loop_gone(ref)]:
                del self._async[old]
            transport = http.AsyncHTTPTransport(**self._options)
            closer = self._closer(key, transport) if loop is not None else None
            self._async[key] = (_ref(loop), transport, closer)
        if closer is not None:
            # Started here, so the loop tracks it: asyncio.run() (and any loop shut down with
            # shutdown_asyncgens) closes it while the loop still runs, and its `finally`
            # closes this loop's sockets gracefully.
            await closer.asend(None)
        return transport

    async def _closer(
        self, key: int, transport: http.AsyncHTTPTransport
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                entry = self._async.get(key)
                if entry is not None and entry[1] is transport:
                    del self._async[key]
            await transport.aclose()

    def loops(self) -> int:
        """How many event loops have a transport here (for diagnostics and tests)."""
        with self._lock:
            return sum(1 for ref, *_ in self._async.values() if not _loop_gone(ref))

    def _after_fork_in_child(self) -> None:
        # The parent's transports are kept, unused, for the child's lifetime: closing them
        # (or letting them be collected, which closes them) could send a TLS close_notify on
        # a socket the parent still uses.
        _INHERITED.append((self._sync, self._async))
        self._lock = threading.Lock()
        self._sync = None
        self._async = {}


def _no_loop() -> None:
    """The "loop" of code running under another async library."""
    return None


def _ref(loop: asyncio.AbstractEventLoop | None) -> Any:
    return weakref.ref(loop) if loop is not None else _no_loop


def _loop_gone(ref: Any) -> bool:
    if ref is _no_loop:
        return False
    loop = ref()
    return loop is None or bool(loop.is_closed())


class PooledTransport(http.BaseTransport):
    """A lease on a :class:`SharedPool` for one sync client; ``close()`` ends the lease."""

    def __init__(self, pool: SharedPool) -> None:
        self._pool = pool.acquire()
        self._closed = False
        self._finalizer = weakref.finalize(self, pool.release, close=False)

    def handle_request(self, request: http.Request) -> http.Response:
        return self._pool.sync_transport().handle_request(request)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._finalizer.detach()
            self._pool.release()  # async transports of other loops go with their loop


class AsyncPooledTransport(http.AsyncBaseTransport):
    """A lease on a :class:`SharedPool` for one async client; ``aclose()`` ends the lease."""

    def __init__(self, pool: SharedPool) -> None:
        self._pool = pool.acquire()
        self._closed = False
        self._finalizer = weakref.finalize(self, pool.release, close=False)

    async def handle_async_request(self, request: http.Request) -> http.Response:
        transport = await self._pool.async_transport()
        return await transport.handle_async_request(request)

    def release(self) -> None:
        """End the lease without a loop to close sockets on (they are dropped)."""
        if not self._closed:
            self._closed = True
            self._finalizer.detach()
            self._pool.release()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        entry = self._pool._async.get(id(_running_loop()))
        here = entry[1] if entry is not None else None
        # The last lease: this loop's sockets are closed now; another loop's cannot be
        # closed from here and are freed with their transport.
        for transport in self._pool.release():
            if transport is here:
                await transport.aclose()


_POOLS: weakref.WeakValueDictionary[Hashable, SharedPool] = weakref.WeakValueDictionary()
_ALL_POOLS: weakref.WeakSet[SharedPool] = weakref.WeakSet()
_POOLS_LOCK = threading.Lock()
_INHERITED: list[Any] = []  # a forked child's copies of the parent's transports
#: How many pools (hosts × transport options) are kept while no client uses them.
RECENT_POOLS = 8
_RECENT: collections.OrderedDict[Hashable, SharedPool] = collections.OrderedDict()


def shared_pool(key: Hashable, options: dict[str, Any]) -> SharedPool:
    """The process's pool for ``key`` (origin + transport options), built from ``options``.

    The pools of the :data:`RECENT_POOLS` most recently used keys are kept even while no
    client leases them, so models built and dropped one per request reuse the keep-alive
    sockets (and TLS sessions) of the ones before, as langchain-openai's cached default httpx
    clients do; older pools are dropped with their sockets. ``close()`` of the last client
    closes a pool's sockets at once.
    """
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = SharedPool(options)
        _RECENT[key] = pool
        _RECENT.move_to_end(key)
        while len(_RECENT) > RECENT_POOLS:
            _RECENT.popitem(last=False)
        return pool


def _after_fork_in_child() -> None:
    global _POOLS_LOCK
    _POOLS_LOCK = threading.Lock()
    for pool in list(_ALL_POOLS):
        pool._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)
