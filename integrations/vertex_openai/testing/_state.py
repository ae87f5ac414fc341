"""Everything the emulator remembers (private): settings, logs, scripts, tokens, endpoints.

:class:`EmulatorState` is the one owner of mutable emulator state. ``VertexEmulator``
(``emulator.py``) scripts it; the HTTP side (``_http.py``, ``_routes.py``, ``_oauth.py``)
reads and consumes it through the public methods below, never through its attributes.
Every method is thread-safe (one lock); handler threads call them concurrently.

Imports: ``_records``, ``_model`` (QueuedReply, dummy signatures), ``_oauth`` (the token
store) and ``_replay`` (recorded exchanges) only: never the HTTP layer or ``emulator.py``.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections import deque
from dataclasses import replace
from typing import TypeVar

from ._model import DUMMY_SIGNATURES, QueuedReply
from ._oauth import TokenStore
from ._records import (
    Endpoint,
    Fault,
    RawReply,
    RecordedRequest,
    Settings,
    StreamFault,
    TokenFault,
    TokenRequest,
)
from ._replay import Exchange, Replay

# A scripted fault that counts its uses down (TokenFault, StreamFault).
_Counted = TypeVar("_Counted", TokenFault, StreamFault)


class EmulatorState:
    """Settings, request logs, scripted replies/faults/latencies, tokens and endpoints.

    The HTTP layer's interface (what a request handler may call):

    * logs: :meth:`record`, :meth:`finish`, :meth:`record_token`;
    * scripts, consumed one use at a time: :meth:`take_fault`, :meth:`take_token_fault`,
      :meth:`take_stream_fault`, :meth:`pop_reply` / :meth:`push_back_reply`;
    * timing: :meth:`latency_for`, :meth:`token_latency`, :meth:`chunk_delay`, :meth:`sleep`
      (aborted by :meth:`mark_stopping`);
    * tokens: :meth:`check_token`, :meth:`issue_token`, :meth:`refresh_client`;
    * model: :meth:`new_call_id`, :meth:`new_signature`, :meth:`signature_ok`;
    * endpoints: :meth:`endpoint`, :meth:`endpoints_in`;
    * :attr:`settings`, read on each request (``VertexEmulator`` writes it).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._tokens = TokenStore()
        self._log: list[RecordedRequest] = []
        self._token_log: list[TokenRequest] = []
        self._replies: deque[QueuedReply] = deque()
        self._faults: list[Fault] = []
        self._token_faults: list[TokenFault] = []
        self._stream_faults: list[StreamFault] = []
        self._latency: dict[str, float] = {}
        self._token_latency = 0.0
        self._chunk_delay = 0.0
        self._signatures: dict[str, str | None] = {}  # signature -> call id it was issued for
        self._raw: list[RawReply] = []
        self._endpoints: dict[str, Endpoint] = {}
        self._counter = 0
        self._stopping = threading.Event()
        self._replay: Replay | None = None
        self._active_streams = 0

    # ------------------------------------------------------------------ lifecycle

    def mark_running(self) -> None:
        """The server is (again) serving: :meth:`sleep` waits normally."""
        self._stopping.clear()

    def mark_stopping(self) -> None:
        """The server is stopping: every :meth:`sleep` in progress or to come aborts."""
        self._stopping.set()

    def sleep(self, seconds: float) -> None:
        """Wait (latency scripts); a stop in the meantime aborts the exchange."""
        if seconds > 0 and self._stopping.wait(seconds):
            raise ConnectionAbortedError("emulator stopped")

    # ------------------------------------------------------------------ logs

    def record(self, entry: RecordedRequest) -> None:
        """Log a Vertex request on arrival (status 0 until :meth:`finish`)."""
        with self._lock:
            self._log.append(entry)

    def finish(self, entry: RecordedRequest, status: int) -> None:
        """Settle the status of a logged request (called before its answer leaves)."""
        with self._lock:
            for i in range(len(self._log) - 1, -1, -1):  # the newest entries are the likeliest
                if self._log[i] is entry:
                    self._log[i] = replace(entry, status=status)
                    return

    def record_token(self, entry: TokenRequest) -> None:
        with self._lock:
            self._token_log.append(entry)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def token_requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self._token_log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._token_log.clear()

    # ------------------------------------------------------------------ scripting (emulator side)

    def add_reply(self, reply: QueuedReply) -> None:
        with self._lock:
            self._replies.append(reply)

    def add_raw(self, reply: RawReply) -> None:
        with self._lock:
            self._raw.append(reply)

    def take_raw(self, route: str) -> RawReply | None:
        """Consume the first queued verbatim answer for ``route`` (or ``any``)."""
        with self._lock:
            for reply in self._raw:
                if reply.route in ("any", route):
                    self._raw.remove(reply)
                    return reply
        return None

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def add_token_fault(self, fault: TokenFault) -> None:
        with self._lock:
            self._token_faults.append(fault)

    def add_stream_fault(self, fault: StreamFault) -> None:
        with self._lock:
            self._stream_faults.append(fault)

    def set_latency(self, route: str, seconds: float) -> None:
        with self._lock:
            if seconds <= 0:
                self._latency.pop(route, None)
            else:
                self._latency[route] = seconds

    def set_token_latency(self, seconds: float) -> None:
        with self._lock:
            self._token_latency = max(0.0, seconds)

    def set_chunk_delay(self, seconds: float) -> None:
        with self._lock:
            self._chunk_delay = max(0.0, seconds)

    def add_endpoint(self, endpoint: Endpoint) -> None:
        with self._lock:
            self._endpoints[endpoint.endpoint_id] = endpoint

    def reset(self) -> None:
        """Clear queued replies, faults, latencies and logs (tokens and endpoints stay)."""
        with self._lock:
            self._replies.clear()
            self._raw.clear()
            self._faults.clear()
            self._token_faults.clear()
            self._stream_faults.clear()
            self._latency.clear()
            self._token_latency = 0.0
            self._chunk_delay = 0.0
            self._log.clear()
            self._token_log.clear()

    # ------------------------------------------------------------------ scripts (HTTP side)

    def take_fault(self, route: str) -> Fault | None:
        """Consume one use of the first scripted fault for ``route`` (or ``any``)."""
        with self._lock:
            for fault in self._faults:
                if fault.route in ("any", route):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def take_token_fault(self) -> TokenFault | None:
        return self._take_first(self._token_faults)

    def take_stream_fault(self) -> StreamFault | None:
        return self._take_first(self._stream_faults)

    def _take_first(self, faults: list[_Counted]) -> _Counted | None:
        """The first scripted fault, used once more (dropped when used up)."""
        with self._lock:
            if not faults:
                return None
            fault = faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.pop(0)
            return fault

    def pop_reply(self) -> QueuedReply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def push_back_reply(self, reply: QueuedReply) -> None:
        """Put back a reply taken for a request that was then rejected."""
        with self._lock:
            self._replies.appendleft(reply)

    def latency_for(self, route: str) -> float:
        """The scripted delay for ``route`` (a route-specific value beats ``any``)."""
        with self._lock:
            return self._latency.get(route, self._latency.get("any", 0.0))

    def token_latency(self) -> float:
        with self._lock:
            return self._token_latency

    def chunk_delay(self) -> float:
        with self._lock:
            return self._chunk_delay

    # ------------------------------------------------------------------ replay and streams

    def set_replay(self, replay: Replay | None) -> None:
        with self._lock:
            self._replay = replay

    def replay(self) -> Replay | None:
        with self._lock:
            return self._replay

    def replayed(self, entry: RecordedRequest) -> Exchange | bool | None:
        """The recorded answer to ``entry``; False when none matches and replay is strict;
        None when none matches (or nothing is replayed) and the model answers."""
        replay = self.replay()
        if replay is None:
            return None
        found = replay.answer(entry.method, entry.route, entry.body, self.settings.project)
        if found is None and replay.strict:
            return False
        return found

    def stream_started(self) -> None:
        with self._lock:
            self._active_streams += 1

    def stream_ended(self) -> None:
        with self._lock:
            self._active_streams -= 1

    def active_streams(self) -> int:
        with self._lock:
            return self._active_streams

    # ------------------------------------------------------------------ tokens

    def issue_token(self, lifetime: float | None = None) -> str:
        """A new access token (``settings.token_lifetime`` unless ``lifetime`` is given)."""
        return self._tokens.issue(self.settings.token_lifetime if lifetime is None else lifetime)

    def issue_refresh_token(self, client_id: str) -> str:
        return self._tokens.issue_refresh_token(client_id)

    def check_token(self, token: str) -> bool:
        return self._tokens.check(token)

    def revoke(self, token: str | None) -> None:
        self._tokens.revoke(token)

    def refresh_client(self, refresh_token: str) -> str | None:
        return self._tokens.refresh_client(refresh_token)

    # ------------------------------------------------------------------ model

    def new_call_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"call_{self._counter}"

    def new_signature(self, call_id: str | None = None) -> str:
        """Issue a Gemini 3 thought signature (for the function call ``call_id``, or for text)
        that :meth:`signature_ok` will accept on that call."""
        signature = base64.b64encode(secrets.token_bytes(48)).decode()
        with self._lock:
            self._signatures[signature] = call_id
        return signature

    def signature_ok(self, signature: str, call_id: str | None = None) -> bool:
        """Whether ``signature`` may sign the call ``call_id``: one of the documented
        placeholders, or a signature this emulator issued for that very call (a text
        signature, or another call's, does not belong to it)."""
        if self.settings.accept_dummy_signatures and signature in DUMMY_SIGNATURES:
            return True
        with self._lock:
            if signature not in self._signatures:
                return False
            issued_for = self._signatures[signature]
        return call_id is None or issued_for == call_id

    # ------------------------------------------------------------------ endpoints

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        with self._lock:
            return self._endpoints.get(endpoint_id)

    def endpoints_in(self, location: str) -> list[Endpoint]:
        with self._lock:
            return [e for e in self._endpoints.values() if e.location == location]
