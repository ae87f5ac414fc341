"""``vertex-openai proxy``: a local OpenAI-compatible endpoint for any OpenAI tool.

Serves :func:`vertex_openai.proxy.create_app` with uvicorn on one socket bound here (so
``--port 0`` can print the port it got) until Ctrl-C or SIGTERM, then drains the open requests
for a few seconds and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    add_target_args,
    connect,
)

if TYPE_CHECKING:
    from ._common import Commands

#: Where the client key may come from instead of the command line (where `ps` would show it).
KEY_ENV = "VERTEX_OPENAI_PROXY_KEY"
#: Seconds open requests get to finish after Ctrl-C / SIGTERM before they are cancelled.
GRACE_SECONDS = 5


def add_parser(commands: Commands) -> None:
    """Register ``proxy``."""
    parser = commands.add_parser(
        "proxy",
        help="serve an OpenAI-compatible endpoint on localhost that signs requests for Vertex",
        description="Serve POST /v1/chat/completions, POST /v1/embeddings and GET /v1/models "
        "on a local port; every request is sent to Vertex AI with a fresh Google token "
        "(Application Default Credentials). Point any OpenAI tool at the printed "
        "OPENAI_BASE_URL. Ctrl-C to stop.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument(
        "--port", type=int, default=8088, help="TCP port (default %(default)s; 0: any free port)"
    )
    parser.add_argument(
        "--key",
        help="a key every client must send as its bearer token (OPENAI_API_KEY); required "
        f"with a non-loopback --host (default: {KEY_ENV})",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="M",
        help="a model GET /v1/models lists (repeatable; bare names get 'google/')",
    )
    parser.add_argument(
        "--record",
        metavar="DIR",
        help="write each exchange to DIR in the emulator's replay format (tokens and "
        "project numbers scrubbed)",
    )
    parser.add_argument(
        "--replay",
        metavar="DIR",
        help="with --emulator: the emulator answers requests matching an exchange recorded "
        "in DIR with the recorded answer (offline tests of any OpenAI tool)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="with --replay: 404 for a request that matches no recorded exchange",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log each request (method, path, status)"
    )
    add_target_args(parser)
    parser.set_defaults(run=run)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the proxy on this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv6 for an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP
    # (CPython Lib/asyncio/base_events.py, _set_nodelay); with proto 0 every answer written
    # in two parts (headers, body) waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def _server_class() -> Any:
    """uvicorn's Server, stopped by :func:`_stop_on_signals` rather than by uvicorn's own
    handlers (which re-raise the signal once the server is down: a KeyboardInterrupt or a
    SIGTERM death instead of exit status 0).

    A stop asked for is acted on from the main loop's next tick, never during start-up:
    uvicorn 0.30 returns without its shutdown (and the app's lifespan shutdown) when
    ``should_exit`` is already set as start-up ends.
    """
    import uvicorn

    class Server(uvicorn.Server):  # type: ignore[misc]
        stop_requested = False

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        async def on_tick(self, counter: int) -> bool:
            if self.stop_requested:
                self.should_exit = True
            result: bool = await super().on_tick(counter)
            return result

    return Server


@contextlib.contextmanager
def _stop_on_signals(server: Any) -> Iterator[None]:
    """Ctrl-C / SIGTERM stop ``server`` (a second Ctrl-C stops waiting for open requests).

    Installed before the banner is printed: a signal sent as soon as the port is announced
    still stops the proxy cleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(sig: int, frame: FrameType | None) -> None:
        if server.stop_requested and sig == signal.SIGINT:
            server.force_exit = True
        server.stop_requested = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args: argparse.Namespace) -> int:
    """``proxy``: check the options, connect, print how to use it, serve until a signal."""
    key = args.key or os.environ.get(KEY_ENV) or None
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0..65535 (got {args.port})", EXIT_USAGE)
    if not is_loopback(args.host) and key is None:
        raise CliError(
            f"--host {args.host} would let other machines use your Google credentials: pass "
            f"--key KEY (or set {KEY_ENV}) so that every client must present it, or keep the "
            "default --host 127.0.0.1",
            EXIT_USAGE,
        )
    if args.replay and not args.emulator:
        raise CliError(
            "--replay needs --emulator (it replays into the offline emulator)", EXIT_USAGE
        )
    if args.strict and not args.replay:
        raise CliError("--strict needs --replay DIR", EXIT_USAGE)
    if key is not None and (len(key) < 8 or any(c.isspace() for c in key)):
        raise CliError("--key must be at least 8 characters, without spaces", EXIT_USAGE)
    try:
        import uvicorn

        from ..proxy import create_app
    except ImportError as exc:
        raise CliError(
            f'the proxy needs the package {exc.name or "?"!r}: pip install "vertex-openai[proxy]"'
        ) from exc
    with contextlib.ExitStack() as stack:
        session = connect(args, stack)
        connection = session.connection
        if args.record:
            os.makedirs(args.record, exist_ok=True)
        app = create_app(connection, key=key, models=args.model, record=args.record)
        sock = stack.enter_context(bind(args.host, args.port))
        port = sock.getsockname()[1]
        shown_host = f"[{args.host.strip('[]')}]" if ":" in args.host else args.host
        base = f"http://{shown_host}:{port}/v1"
        target = connection.target
        config = uvicorn.Config(
            app,
            log_level="info" if args.verbose else "warning",
            access_log=bool(args.verbose),
            timeout_graceful_shutdown=GRACE_SECONDS,
            server_header=False,
            lifespan="on",
        )
        server = _server_class()(config)
        lines = [
            f"vertex-openai proxy on {base} -> Vertex AI (project {target.project}, location "
            f"{target.location}, endpoint {target.endpoint}). Ctrl-C to stop."
        ]
        if session.emulator is not None:
            lines.append(f"Serving the offline emulator ({session.emulator.url}), not Google.")
        if args.record:
            lines.append(f"Recording every exchange to {os.path.abspath(args.record)}")
        auth = '-H "Authorization: Bearer $OPENAI_API_KEY" ' if key else ""
        lines += [
            "",
            "Point any OpenAI tool at it:",
            f"OPENAI_BASE_URL={base}",
            "OPENAI_API_KEY=" + ("<your --key>" if key else "unused"),
            "",
            f"  curl {base}/chat/completions -H 'Content-Type: application/json' {auth}"
            '-d \'{"model": "gemini-2.5-flash", "messages": '
            '[{"role": "user", "content": "Hi"}]}\'',
        ]
        with _stop_on_signals(server):
            print("\n".join(lines), flush=True)
            server.run(sockets=[sock])
    print(f"{PROG} proxy stopped.", file=sys.stderr)
    return EXIT_OK
