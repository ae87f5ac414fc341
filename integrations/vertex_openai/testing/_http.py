"""The emulator's HTTP side (private): stdlib ThreadingHTTPServer + request handler.

Only transport: read and parse requests, log them in the state, pass them to the route
handlers (``_routes.answer``, ``_oauth.token_endpoint``), and write what those return
(whole responses, chunked SSE streams, dropped connections). No Vertex behaviour is decided
here. Imports the state and the route handlers, never ``emulator.py``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import _routes
from ._oauth import TOKEN_PATH, token_endpoint
from ._records import RecordedRequest
from ._responses import (
    Drop,
    RawStream,
    Reply,
    Response,
    StreamResponse,
    error_response,
    html_response,
)
from ._state import EmulatorState

_MAX_BODY = 64 * 1024 * 1024

#: Listen backlog. socketserver's default ``request_queue_size`` is 5 (CPython
#: ``Lib/socketserver.py``, ``TCPServer``): with a burst of concurrent connects the accept
#: queue overflows, Linux drops the SYNs and each client waits for a retransmit (1 s, then
#: 2 s, ...). The kernel caps it at ``net.core.somaxconn`` (4096 on current Linux).
LISTEN_BACKLOG = 1024


class Server(ThreadingHTTPServer):
    """One thread per connection; tracks open connections so a stop can cut them."""

    daemon_threads = True  # handler threads never keep the interpreter alive
    block_on_close = False  # idle keep-alive handlers would otherwise block server_close()
    request_queue_size = LISTEN_BACKLOG
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        self.state = state
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket) -> None:
        with self._open_lock:
            self._open.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(conn)

    def drop_connections(self) -> None:
        """Shut down every open client connection (a stopping emulator's in-flight ones)."""
        with self._open_lock:
            connections = list(self._open)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping connections (resets, timeouts, a stopped emulator) are routine.
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; streams use chunked transfer-encoding
    server_version = "scaffolding on HTTPServer2"  # what Google front ends call themselves
    sys_version = ""
    disable_nagle_algorithm = True
    server: Server

    _entry: RecordedRequest | None = None

    # ------------------------------------------------------------------ plumbing

    def send_response(self, code: int, message: str | None = None) -> None:
        # Settle the log entry's status before any byte of the answer leaves, so a client
        # that has its answer always finds the final status in ``emulator.requests``.
        if self._entry is not None:
            self.server.state.finish(self._entry, code)
            self._entry = None
        super().send_response(code, message)

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(data) > _MAX_BODY:
                    raise ValueError("body too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        if response.close:
            self.close_connection = True
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _drop(self) -> None:
        """Close the TCP connection without (further) answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, stream: StreamResponse) -> None:
        """Server-sent events over chunked transfer-encoding, with any scripted fault."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        fault = stream.fault

        def write(data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        for sent, event in enumerate(stream.events):
            if fault is not None and fault.kind == "cut" and sent >= fault.after_chunks:
                self._drop()  # no terminating chunk, no [DONE]
                return
            write(f"data: {event}\n\n".encode())
            if fault is not None and fault.kind == "malform" and sent == 0:
                write(b'data: {"choices": [{"delta": {"content": "unterminated\n\n')
            self.server.state.sleep(stream.pause)
        if fault is not None and fault.kind == "cut":
            self._drop()
            return
        if stream.done:
            write(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _raw_stream(self, stream: RawStream) -> None:
        """Verbatim bytes, one chunk per event, paused like a generated stream."""
        self.send_response(stream.status)
        self.send_header("Content-Type", stream.content_type)
        for name, value in stream.headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n, data in enumerate(stream.chunks):
            if n:
                self.server.state.sleep(stream.pause)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def _write(self, reply: Reply) -> None:
        if isinstance(reply, Response):
            self._send(reply)
        elif isinstance(reply, (StreamResponse, RawStream)):
            state = self.server.state
            state.stream_started()
            try:
                if isinstance(reply, StreamResponse):
                    self._stream(reply)
                else:
                    self._raw_stream(reply)
            finally:
                state.stream_ended()
        else:
            self._drop()

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self) -> None:
        state = self.server.state
        try:
            raw_body = self._read_body()
        except (ValueError, OSError):
            self._send(html_response(413, self.path, close=True))
            return
        split = urlsplit(self.path)
        path = split.path
        if path == TOKEN_PATH and self.command == "POST":
            try:
                self._write(token_endpoint(state, self.headers.get("Content-Type", ""), raw_body))
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self._drop()
            return

        target = _routes.resolve(self.command, path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        token = None
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and auth[7:].strip():
            token = auth[7:].strip()
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body.decode("utf-8", "replace")
        entry = RecordedRequest(
            method=self.command,
            path=path,
            route=target.route,
            headers=headers,
            body=body,
            token=token,
            api_version=target.api_version,
            project=target.project,
            location=target.location,
            endpoint_id=target.endpoint_id,
            status=0,
            query={k: v[-1] for k, v in parse_qs(split.query).items()},
            time=time.time(),
        )
        state.record(entry)
        self._entry = entry
        try:
            reply = _routes.answer(state, entry)
            if isinstance(reply, Drop):
                state.finish(entry, 0)  # dropped without an answer
                self._entry = None
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self._drop()
        except Exception:
            # An emulator bug: answer 500 INTERNAL (if nothing was sent yet) and show it.
            traceback.print_exc()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(error_response(500))
        finally:
            if self._entry is not None:  # nothing was sent: the connection was dropped
                state.finish(entry, 0)
                self._entry = None
