"""``vertex-openai emulator``: serve the offline Vertex emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import (
    EMULATOR_LOCATION,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    demo_endpoints,
    emulator_class,
)

if TYPE_CHECKING:
    from ._common import Commands


def add_parser(commands: Commands) -> None:
    """Register ``emulator``."""
    parser = commands.add_parser(
        "emulator",
        help="serve the offline Vertex emulator until Ctrl-C",
        description="Serve the bundled Vertex AI emulator (OpenAI-compatible chat and "
        "embeddings, endpoint listing, OAuth token endpoint) until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument(
        "--project", default="emulator-project", help="the emulated project (default %(default)s)"
    )
    parser.add_argument(
        "--replay",
        metavar="DIR",
        help="answer requests that match an exchange recorded in DIR (`vertex-openai proxy "
        "--record DIR`) with the recorded answer; others get the deterministic model",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="with --replay: answer 404 to a request that matches no recorded exchange",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``emulator``: print how to use it, then serve until Ctrl-C."""
    vertex_emulator = emulator_class()
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0..65535 (got {args.port})", EXIT_USAGE)
    if args.strict and not args.replay:
        raise CliError("--strict needs --replay DIR", EXIT_USAGE)
    try:
        emulator = vertex_emulator(
            host=args.host,
            port=args.port,
            project=args.project,
            replay=args.replay,
            strict=args.strict,
        )
    except (OSError, ValueError) as exc:
        raise CliError(f"--replay {args.replay}: {exc}", EXIT_USAGE) from exc
    demo_endpoints(emulator)
    with tempfile.TemporaryDirectory(prefix="vertex-openai-emulator-") as tmp:
        key_file = emulator.write_service_account_file(Path(tmp) / "service-account.json")
        try:
            url = emulator.url  # binds the port
        except OSError as exc:
            raise CliError(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
            ) from exc
        replay = emulator.replay
        lines = [
            f"Vertex AI emulator listening on {url} (project {emulator.project}). Ctrl-C to stop.",
        ]
        if replay is not None:
            matchable = sum(1 for e in replay.exchanges if e.has_request)
            lines.append(
                f"Replaying {matchable} recorded exchanges from {args.replay}"
                + (" (strict: 404 for anything else)." if args.strict else ".")
            )
        lines += [
            "",
            "Use it from another shell:",
            f"  export GOOGLE_APPLICATION_CREDENTIALS={key_file}",
            f"  export GOOGLE_CLOUD_PROJECT={emulator.project}",
            f"  export GOOGLE_CLOUD_LOCATION={EMULATOR_LOCATION}",
            f'  {PROG} chat --api-endpoint {url} "Why is the sky blue?"',
            f"  {PROG} endpoints --api-endpoint {url}",
            "",
            "From Python, pass api_endpoint:",
            f'  ChatVertexOpenAI(model="gemini-2.5-flash", api_endpoint="{url}")',
            f'  vertex_openai.openai_client(api_endpoint="{url}")',
        ]
        if emulator.host not in ("127.0.0.1", "localhost", "::1"):
            lines.append(
                "\nNote: clients accept plain http only for loopback hosts; "
                "reach this emulator through 127.0.0.1."
            )
        print("\n".join(lines), flush=True)
        emulator.serve_forever()  # returns on Ctrl-C
    print("\nEmulator stopped.", file=sys.stderr)
    return EXIT_OK
