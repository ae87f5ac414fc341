"""The ``vertex-openai`` command: chat, list endpoints, diagnose access, run the emulator.

Subcommands::

    vertex-openai chat [PROMPT]      stream an answer (no PROMPT: an interactive conversation)
    vertex-openai endpoints          list self-deployed endpoints (``gcloud ai endpoints list``)
    vertex-openai doctor             check credentials, project, quota project, token and a call
    vertex-openai emulator           serve the offline Vertex emulator until Ctrl-C
    vertex-openai proxy              serve a local OpenAI-compatible endpoint for any OpenAI tool

``--emulator`` (chat, endpoints, doctor) runs the bundled offline emulator in-process, so every
command can be tried without a Google account.

The CLI is framework-free (standard library + the core): it reaches Vertex through one
:class:`~vertex_openai.connection.VertexConnection`, like every other class of the package.
Errors are one line on stderr and a non-zero exit status (2 for bad input, 1 for failures,
130 for Ctrl-C); access tokens are never printed.

One module per command (:mod:`.chat`, :mod:`.endpoints`, :mod:`.doctor`, :mod:`.emulator`,
:mod:`.proxy`),
each with ``add_parser(commands)`` and ``run(args) -> exit status``; :mod:`._common` holds the
parser, the target flags, connecting and error reporting.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence

import openai

from . import chat, doctor, emulator, endpoints, proxy
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe,
    new_parser,
    print_error,
)

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``vertex-openai`` parser with every subcommand, in ``--help`` order."""
    parser, commands = new_parser()
    for command in (chat, endpoints, doctor, emulator, proxy):
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``vertex-openai`` command line; returns the exit status.

    Errors print one line on stderr (no traceback; set ``VERTEX_OPENAI_DEBUG=1`` to see one
    for unexpected errors).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    run: Callable[[argparse.Namespace], int] = args.run
    with warnings.catch_warnings():
        # google-auth's multi-line warning about user credentials without a quota project:
        # `doctor` reports that case with its fix.
        warnings.filterwarnings("ignore", message="Your application has authenticated")
        try:
            if getattr(args, "emulator", False) and args.api_endpoint is not None:
                raise CliError("--emulator and --api-endpoint cannot be combined", EXIT_USAGE)
            return run(args)
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            # `vertex-openai endpoints | head`: stop quietly (and keep Python's exit flush quiet).
            with contextlib.suppress(OSError):
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            return EXIT_OK
        except Exception as exc:
            if os.environ.get("VERTEX_OPENAI_DEBUG") and not isinstance(
                exc, (CliError, openai.OpenAIError, ValueError)
            ):
                raise
            message, code = describe(exc)
            print_error(message)
            return code
