"""What every command shares: the parser and target flags, connecting, errors and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import httpx
import openai

from .. import __version__
from ..adc import locate_adc
from ..connection import VertexConnection
from ..endpoints import EndpointListError
from ..errors import CredentialsError
from ..sdk_http import http
from ..target import resolve_target

if TYPE_CHECKING:
    import google.auth.credentials

    from ..testing import VertexEmulator

PROG = "vertex-openai"
DEFAULT_MODEL = "gemini-2.5-flash"
#: Project and location the in-process emulator uses unless --project / --location are given.
EMULATOR_LOCATION = "us-central1"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

LOGIN_FIX = (
    "run `gcloud auth application-default login` (your user account), or set "
    "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file"
)
NO_CREDENTIALS = f"No Google credentials found. To fix: {LOGIN_FIX}."
PROJECT_FIX = (
    "pass --project PROJECT_ID, set GOOGLE_CLOUD_PROJECT, or run "
    "`gcloud config set project PROJECT_ID`"
)


class CliError(Exception):
    """A failure reported as one line on stderr with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ---------------------------------------------------------------------------------------------
# Argument parsing


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``prog: error: ... (see --help)``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


if TYPE_CHECKING:
    #: The ``add_subparsers()`` action each command adds its parser to.
    Commands = argparse._SubParsersAction[Parser]


def new_parser() -> tuple[argparse.ArgumentParser, Commands]:
    """The top-level parser and the subcommand action each command adds its parser to."""
    parser = Parser(
        prog=PROG,
        description="Google Vertex AI through its OpenAI-compatible API: chat, list "
        "endpoints, diagnose access, run the offline emulator.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    return parser, commands


def add_target_args(parser: argparse.ArgumentParser, *, endpoint_id: bool = True) -> None:
    """The ``target`` flags: --project, --location, [--endpoint-id], ..., --emulator."""
    group = parser.add_argument_group("target")
    group.add_argument(
        "--project", help="Google Cloud project (default: GOOGLE_CLOUD_PROJECT, else ADC's)"
    )
    if endpoint_id:
        location_help = (
            "'global', a region such as us-central1, or us / eu "
            "(default: GOOGLE_CLOUD_LOCATION, else global)"
        )
    else:  # endpoints are regional
        location_help = "a region such as us-central1 (default: GOOGLE_CLOUD_LOCATION)"
    group.add_argument("--location", help=location_help)
    if endpoint_id:
        group.add_argument(
            "--endpoint-id", help="a self-deployed Model Garden endpoint (needs a region)"
        )
    group.add_argument(
        "--api-endpoint",
        metavar="URL",
        help="replaces scheme and host: dedicated endpoint DNS, Private Service Connect, "
        "or an emulator's URL",
    )
    group.add_argument(
        "--api-version", choices=("v1", "v1beta1"), help="Vertex API version (default v1)"
    )
    group.add_argument(
        "--quota-project",
        metavar="PROJECT",
        help="project billed for quota (header x-goog-user-project; default: "
        "GOOGLE_CLOUD_QUOTA_PROJECT, else the credential's)",
    )
    group.add_argument(
        "--emulator",
        action="store_true",
        help="run the bundled offline Vertex emulator in-process (no Google account needed)",
    )


def quota_project(args: argparse.Namespace) -> str | None:
    """--quota-project, else GOOGLE_CLOUD_QUOTA_PROJECT."""
    value = getattr(args, "quota_project", None) or os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT")
    return value or None


# ---------------------------------------------------------------------------------------------
# Connecting


def require_adc() -> None:
    """Fail fast (not after google-auth's multi-second metadata probe) when ADC has nothing."""
    location = locate_adc(probe_metadata=True)
    if not location.found:
        raise CredentialsError(f"{NO_CREDENTIALS} ({location.nothing_found()})")
    if not location.exists:
        raise CredentialsError(
            f"GOOGLE_APPLICATION_CREDENTIALS={location.path}: file not found. To fix: point it "
            "at an existing key file, or unset it and run `gcloud auth application-default login`"
        )


def demo_endpoints(emulator: VertexEmulator) -> None:
    """Two self-deployed endpoints in the emulator, so `endpoints --emulator` shows something."""
    emulator.add_endpoint(
        "1234567890123456789",
        display_name="gemma-3-12b-it",
        location=EMULATOR_LOCATION,
        model="google/gemma-3-12b-it",
    )
    endpoint_id = "mg-endpoint-3f6c2a1e-7b9d-4e21-9a0f-2c5d8e1b4a77"
    emulator.add_endpoint(
        endpoint_id,
        display_name="llama-3.1-8b-instruct-dedicated",
        location=EMULATOR_LOCATION,
        model="meta/llama-3.1-8b-instruct",
        dedicated_dns=(
            f"{endpoint_id}.{EMULATOR_LOCATION}-{emulator.project_number}.prediction.vertexai.goog"
        ),
    )


def emulator_class() -> type[VertexEmulator]:
    """:class:`~vertex_openai.testing.VertexEmulator`, or a CliError naming what is missing."""
    try:
        from ..testing import VertexEmulator
    except ImportError as exc:
        raise CliError(
            f"the emulator needs the package {exc.name or '?'!r}: "
            'pip install "vertex-openai[testing]"'
        ) from exc
    return VertexEmulator


def start_emulator(
    stack: contextlib.ExitStack, *, replay: str | None = None, strict: bool = False
) -> VertexEmulator:
    """An in-process emulator on a free loopback port, stopped when ``stack`` closes;
    ``replay``: a directory of recorded exchanges it answers matching requests with."""
    try:
        emulator = emulator_class()(port=0, replay=replay, strict=strict)
    except (OSError, ValueError) as exc:
        raise CliError(f"--replay {replay}: {exc}", EXIT_USAGE) from exc
    demo_endpoints(emulator)
    stack.enter_context(emulator)
    return emulator


@dataclass
class Session:
    """A connection plus what the commands report about it."""

    connection: VertexConnection
    emulator: VertexEmulator | None = None


def connect(
    args: argparse.Namespace, stack: contextlib.ExitStack, *, location: str | None = None
) -> Session:
    """The connection described by the target flags (and --emulator)."""
    project = args.project
    location = location if location is not None else args.location
    api_endpoint = args.api_endpoint
    credentials: google.auth.credentials.Credentials | None = None
    emulator = None
    if args.emulator:
        emulator = start_emulator(
            stack, replay=getattr(args, "replay", None), strict=getattr(args, "strict", False)
        )
        credentials = emulator.credentials()
        api_endpoint = emulator.url
        project = project or emulator.project
        location = location or EMULATOR_LOCATION
    else:
        # Bad flags are reported before credentials are looked for (the project may still
        # come from the credential, so only its validity is checked here).
        resolve_target(
            project=project,
            location=location,
            endpoint_id=getattr(args, "endpoint_id", None),
            api_version=args.api_version,
            api_endpoint=api_endpoint,
            default_project=lambda: "project-from-credentials",
        )
        require_adc()
    connection = VertexConnection.create(
        project=project,
        location=location,
        endpoint_id=getattr(args, "endpoint_id", None),
        api_version=args.api_version,
        api_endpoint=api_endpoint,
        credentials=credentials,
        quota_project=quota_project(args),
    )
    return Session(connection, emulator)


# ---------------------------------------------------------------------------------------------
# Errors


def status_hint(status: int) -> str:
    """What to check after an HTTP error status from Vertex ('' when nothing specific)."""
    if status == 403:
        return (
            " (check the IAM role roles/aiplatform.user, the project, and that the Vertex AI "
            "API is enabled)"
        )
    if status == 404:
        return " (check the model, endpoint id and location)"
    return ""


def describe(exc: BaseException) -> tuple[str, int]:
    """One line for an exception and the exit status."""
    if isinstance(exc, CliError):
        return str(exc), exc.exit_code
    if isinstance(exc, CredentialsError):
        return str(exc), EXIT_FAILURE
    if isinstance(exc, EndpointListError):
        hint = status_hint(exc.status_code) if exc.status_code is not None else ""
        return f"{exc}{hint}", EXIT_FAILURE
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = exc.message
        return (
            f"Vertex AI answered HTTP {exc.status_code}: {message}{status_hint(exc.status_code)}",
            EXIT_FAILURE,
        )
    if isinstance(exc, openai.APIConnectionError):
        where = exc.request.url.copy_with(query=None) if exc.request is not None else "Vertex AI"
        if isinstance(exc, openai.APITimeoutError):
            return f"no answer in time from {where}", EXIT_FAILURE
        cause = exc.__cause__
        detail = str(cause) if cause is not None and str(cause) else exc.message
        return f"could not reach {where}: {detail}", EXIT_FAILURE
    if isinstance(exc, (openai.OpenAIError, httpx.HTTPError, http.HTTPError)):
        return str(exc) or type(exc).__name__, EXIT_FAILURE
    if isinstance(exc, (ValueError, TypeError)):
        return str(exc), EXIT_USAGE
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), 1
    return f"unexpected error: {type(exc).__name__}: {exc}", EXIT_FAILURE


def print_error(message: str) -> None:
    """``vertex-openai: error: <message on one line>`` on stderr."""
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
