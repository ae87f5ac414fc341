"""The ``vertex-openai`` command: chat, list endpoints, diagnose access, run the emulator.

Subcommands::

    vertex-openai chat [PROMPT]      stream an answer (no PROMPT: an interactive conversation)
    vertex-openai endpoints          list self-deployed endpoints (``gcloud ai endpoints list``)
    vertex-openai doctor             check credentials, project, quota project, token and a call
    vertex-openai emulator           serve the offline Vertex emulator until Ctrl-C

``--emulator`` (chat, endpoints, doctor) runs the bundled offline emulator in-process, so every
command can be tried without a Google account.

The CLI is framework-free (standard library + the core): it reaches Vertex through one
:class:`~vertex_openai.connection.VertexConnection`, like every other class of the package.
Errors are one line on stderr and a non-zero exit status (2 for bad input, 1 for failures,
130 for Ctrl-C); access tokens are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

import httpx
import openai

from . import __version__
from .auth import TokenSource, gcloud_adc_path
from .connection import VertexConnection
from .errors import CredentialsError, VertexStreamError
from .target import VertexTarget, resolve_target

if TYPE_CHECKING:
    import google.auth.credentials
    from openai import Stream
    from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

    from .testing import VertexEmulator

__all__ = ["main"]

PROG = "vertex-openai"
DEFAULT_MODEL = "gemini-2.5-flash"
#: Project and location the in-process emulator uses unless --project / --location are given.
EMULATOR_LOCATION = "us-central1"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_LOGIN_FIX = (
    "run `gcloud auth application-default login` (your user account), or set "
    "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file"
)
_NO_CREDENTIALS = f"No Google credentials found. To fix: {_LOGIN_FIX}."
_PROJECT_FIX = (
    "pass --project PROJECT_ID, set GOOGLE_CLOUD_PROJECT, or run "
    "`gcloud config set project PROJECT_ID`"
)
_METADATA_PROBE_SECONDS = 1.0


class CliError(Exception):
    """A failure reported as one line on stderr with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ---------------------------------------------------------------------------------------------
# Argument parsing


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``prog: error: ... (see --help)``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _add_target_args(parser: argparse.ArgumentParser, *, endpoint_id: bool = True) -> None:
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


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Google Vertex AI through its OpenAI-compatible API: chat, list "
        "endpoints, diagnose access, run the offline emulator.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    chat = commands.add_parser(
        "chat",
        help="stream an answer; without PROMPT, an interactive conversation",
        description="Stream a model's answer to stdout. Without PROMPT: an interactive "
        "conversation (exit with Ctrl-D or 'exit'); PROMPT '-' reads the prompt from stdin.",
    )
    chat.add_argument("prompt", nargs="?", metavar="PROMPT", help="the question ('-': stdin)")
    chat.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"model; a bare name gets 'google/' (default {DEFAULT_MODEL})",
    )
    chat.add_argument("--system", metavar="TEXT", help="a system instruction")
    chat.add_argument(
        "--verbose", "-v", action="store_true", help="print target and token usage on stderr"
    )
    _add_target_args(chat)

    endpoints = commands.add_parser(
        "endpoints",
        help="list self-deployed endpoints in a region (like `gcloud ai endpoints list`)",
        description="List the Vertex AI endpoints of a project in one region, with the "
        "parameters to reach each one through vertex-openai.",
    )
    endpoints.add_argument("--json", action="store_true", help="print a JSON list for scripts")
    _add_target_args(endpoints, endpoint_id=False)

    doctor = commands.add_parser(
        "doctor",
        help="check credentials, project, quota project, token and one chat call",
        description="Check, in order: Application Default Credentials, project, quota project, "
        "target URL, a token fetch and one small chat request. Exit status 0 when all pass.",
    )
    doctor.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model for the test call (default {DEFAULT_MODEL})"
    )
    _add_target_args(doctor)

    emulator = commands.add_parser(
        "emulator",
        help="serve the offline Vertex emulator until Ctrl-C",
        description="Serve the bundled Vertex AI emulator (OpenAI-compatible chat and "
        "embeddings, endpoint listing, OAuth token endpoint) until Ctrl-C.",
    )
    emulator.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    emulator.add_argument(
        "--project", default="emulator-project", help="the emulated project (default %(default)s)"
    )
    return parser


# ---------------------------------------------------------------------------------------------
# Credentials discovery (Application Default Credentials, as google-auth searches them)


@dataclass(frozen=True)
class _AdcLocation:
    """Where Application Default Credentials would come from, found without a slow probe."""

    source: str | None  # None: nothing found
    path: str | None = None
    gcloud_path: str = ""

    def describe(self) -> str:
        if self.source is None:
            return "nothing"
        return f"{self.source} {self.path}" if self.path else self.source


def _metadata_server_answers(timeout: float = _METADATA_PROBE_SECONDS) -> bool:
    """True when a GCE-style metadata server answers within ``timeout`` (one attempt).

    google-auth's own probe takes up to 3 attempts of 3 s each; this one is short. Honours
    ``NO_GCE_CHECK=true`` like google-auth. Errors in the probe itself count as "maybe": the
    caller then lets google-auth decide.
    """
    if os.environ.get("NO_GCE_CHECK") == "true":
        return False
    logger = logging.getLogger("google.auth.compute_engine._metadata")
    level = logger.level
    logger.setLevel(logging.ERROR)  # ping logs a warning per failed attempt
    try:
        import google.auth.transport.requests
        from google.auth.compute_engine import _metadata

        request = google.auth.transport.requests.Request()
        if _metadata.ping(request, timeout=timeout, retry_count=1):
            return True
        return os.name != "nt" and bool(_metadata.detect_gce_residency_linux())
    except Exception:  # pragma: no cover - unknown google-auth internals: let it decide
        return True
    finally:
        logger.setLevel(level)


def _locate_adc() -> _AdcLocation:
    """The first place google-auth's ADC search would use, in its order."""
    gcloud_path = str(gcloud_adc_path())
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if explicit:
        return _AdcLocation("GOOGLE_APPLICATION_CREDENTIALS file", explicit, gcloud_path)
    if os.path.isfile(gcloud_path):
        return _AdcLocation("gcloud ADC file", gcloud_path, gcloud_path)
    if _metadata_server_answers():
        return _AdcLocation("metadata server", None, gcloud_path)
    return _AdcLocation(None, None, gcloud_path)


def _nothing_found(location: _AdcLocation) -> str:
    return (
        "GOOGLE_APPLICATION_CREDENTIALS is not set, there is no gcloud ADC file at "
        f"{location.gcloud_path}, and no metadata server answered (not on Google Cloud)"
    )


def _require_adc() -> None:
    """Fail fast (not after google-auth's multi-second metadata probe) when ADC has nothing."""
    location = _locate_adc()
    if location.source is None:
        raise CredentialsError(f"{_NO_CREDENTIALS} ({_nothing_found(location)})")
    if location.path and not os.path.isfile(location.path):
        raise CredentialsError(
            f"GOOGLE_APPLICATION_CREDENTIALS={location.path}: file not found. To fix: point it "
            "at an existing key file, or unset it and run `gcloud auth application-default login`"
        )


def _read_key_file(path: str | None) -> dict[str, Any]:
    """The public fields of a credential JSON file (type, client_email...), or {}."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    keep = ("type", "client_email", "quota_project_id", "service_account_impersonation_url")
    return {k: data[k] for k in keep if isinstance(data.get(k), str)}


def _account(credentials: Any, key_file: dict[str, Any]) -> str | None:
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    client_email = key_file.get("client_email")
    if client_email:
        return str(client_email)
    impersonation = key_file.get("service_account_impersonation_url")
    if impersonation and "serviceAccounts/" in impersonation:
        return str(impersonation.split("serviceAccounts/", 1)[1].split(":", 1)[0])
    return None


def _credential_type(credentials: Any, key_file: dict[str, Any]) -> str:
    kind = key_file.get("type")
    if kind:
        return str(kind)
    module = type(credentials).__module__
    if module.startswith("google.auth.compute_engine"):
        return "compute_engine"
    if module.startswith("google.oauth2.service_account"):
        return "service_account"
    if module.startswith("google.oauth2.credentials"):
        return "authorized_user"
    return type(credentials).__name__


# ---------------------------------------------------------------------------------------------
# Connection


def _demo_endpoints(emulator: VertexEmulator) -> None:
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


def _start_emulator(stack: contextlib.ExitStack) -> VertexEmulator:
    """An in-process emulator on a free loopback port, stopped when ``stack`` closes."""
    try:
        from .testing import VertexEmulator
    except ImportError as exc:
        raise CliError(
            f"the emulator needs the package {exc.name or '?'!r}: pip install cryptography"
        ) from exc
    emulator = VertexEmulator(port=0)
    _demo_endpoints(emulator)
    stack.enter_context(emulator)
    return emulator


def _quota_project(args: argparse.Namespace) -> str | None:
    value = getattr(args, "quota_project", None) or os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT")
    return value or None


@dataclass
class _Session:
    """A connection plus what the commands report about it."""

    connection: VertexConnection
    emulator: VertexEmulator | None = None


def _connect(
    args: argparse.Namespace, stack: contextlib.ExitStack, *, location: str | None = None
) -> _Session:
    """The connection described by the target flags (and --emulator)."""
    project = args.project
    location = location if location is not None else args.location
    api_endpoint = args.api_endpoint
    credentials: google.auth.credentials.Credentials | None = None
    emulator = None
    if args.emulator:
        emulator = _start_emulator(stack)
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
        _require_adc()
    connection = VertexConnection.create(
        project=project,
        location=location,
        endpoint_id=getattr(args, "endpoint_id", None),
        api_version=args.api_version,
        api_endpoint=api_endpoint,
        credentials=credentials,
        quota_project=_quota_project(args),
    )
    return _Session(connection, emulator)


# ---------------------------------------------------------------------------------------------
# chat


class _Status:
    """A "waiting for the first token" line on stderr (TTY only), erased before any output."""

    def __init__(self, text: str, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._text = text
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            self._enabled = self._stream.isatty()
        except (AttributeError, ValueError):
            self._enabled = False

    def start(self) -> _Status:
        if self._enabled:
            self._thread = threading.Thread(target=self._run, name="vertex-openai-status")
            self._thread.daemon = True
            self._thread.start()
        return self

    def _run(self) -> None:
        frames = "|/-\\"
        started = time.monotonic()
        tick = 0
        while not self._done.is_set():
            elapsed = time.monotonic() - started
            self._stream.write(f"\r{frames[tick % 4]} {self._text} {elapsed:4.1f} s")
            self._stream.flush()
            tick += 1
            self._done.wait(0.1)

    def clear(self) -> None:
        """Stop and erase the status line (idempotent)."""
        if self._thread is None:
            return
        self._done.set()
        self._thread.join()
        self._thread = None
        self._stream.write("\r\x1b[2K")
        self._stream.flush()


@dataclass
class _Answer:
    text: str
    usage: Any = None
    first_token_s: float | None = None
    total_s: float = 0.0


def _stream_answer(
    client: openai.OpenAI,
    model: str,
    messages: list[dict[str, Any]],
    *,
    verbose: bool,
    out: TextIO,
) -> _Answer:
    """Stream one answer to ``out``; the status line shows until the first text arrives."""
    kwargs: dict[str, Any] = {}
    if verbose:
        # Vertex sends usage on the last chunk anyway (VERTEX_FACTS "Response"); ask for it
        # explicitly for servers that honour stream_options.
        kwargs["stream_options"] = {"include_usage": True}
    status = _Status(f"waiting for {model or 'the endpoint'}").start()
    started = time.monotonic()
    parts: list[str] = []
    answer = _Answer("")
    try:
        stream = cast(
            "Stream[ChatCompletionChunk]",
            client.chat.completions.create(
                model=model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                stream=True,
                **kwargs,
            ),
        )
        with stream:
            for chunk in stream:
                if chunk.usage is not None:
                    answer.usage = chunk.usage
                for choice in chunk.choices:
                    text = choice.delta.content if choice.delta is not None else None
                    if not text or choice.index != 0:
                        continue
                    if answer.first_token_s is None:
                        answer.first_token_s = time.monotonic() - started
                        status.clear()
                    out.write(text)
                    out.flush()
                    parts.append(text)
    finally:
        status.clear()
    answer.text = "".join(parts)
    answer.total_s = time.monotonic() - started
    return answer


def _end_line(answer: _Answer, out: TextIO) -> None:
    """End the answer with exactly one newline."""
    if not answer.text.endswith("\n"):
        out.write("\n")
    out.flush()


def _usage_line(answer: _Answer) -> str:
    usage = answer.usage
    timing = f"{answer.total_s:.2f} s"
    if answer.first_token_s is not None:
        timing = f"first token {answer.first_token_s:.2f} s, total {timing}"
    if usage is None:
        return f"[usage] not reported ({timing})"
    line = (
        f"[usage] prompt {usage.prompt_tokens} + completion {usage.completion_tokens} "
        f"= total {usage.total_tokens} tokens"
    )
    details = getattr(usage, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    if reasoning:
        line += f" (reasoning {reasoning})"
    return f"{line} ({timing})"


def _read_prompt(interactive_tty: bool) -> str | None:
    """The next user line, or None at EOF / 'exit'."""
    try:
        line = input("you> ") if interactive_tty else sys.stdin.readline()
    except EOFError:
        return None
    if not interactive_tty and line == "":
        return None  # EOF
    line = line.strip()
    if line in ("exit", "quit", "/exit", "/quit"):
        return None
    return line


def _cmd_chat(args: argparse.Namespace) -> int:
    out = sys.stdout
    with contextlib.ExitStack() as stack:
        session = _connect(args, stack)
        connection = session.connection
        model = connection.model_name(args.model)
        client = connection.openai_client()
        if args.verbose:
            where = f" (in-process emulator {session.emulator.url})" if session.emulator else ""
            print(f"[target] {connection.base_url}{where}", file=sys.stderr)
            print(f"[model] {model or '(ignored by a self-deployed endpoint)'}", file=sys.stderr)
        messages: list[dict[str, Any]] = []
        if args.system:
            messages.append({"role": "system", "content": args.system})

        if args.prompt is not None:
            prompt = sys.stdin.read().rstrip() if args.prompt == "-" else args.prompt
            if not prompt.strip():
                raise CliError("the prompt is empty", EXIT_USAGE)
            messages.append({"role": "user", "content": prompt})
            answer = _stream_answer(client, model, messages, verbose=args.verbose, out=out)
            _end_line(answer, out)
            if args.verbose:
                print(_usage_line(answer), file=sys.stderr)
            return EXIT_OK
        return _chat_loop(client, model, messages, args.verbose)


def _chat_loop(
    client: openai.OpenAI, model: str, messages: list[dict[str, Any]], verbose: bool
) -> int:
    """The interactive conversation: one turn per line until EOF or 'exit'."""
    tty = sys.stdin.isatty()
    if tty:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        print(
            f"Chatting with {model or 'the endpoint'}. Ctrl-D or 'exit' to quit, "
            "Ctrl-C to interrupt an answer.",
            file=sys.stderr,
        )
    status = EXIT_OK
    out = sys.stdout
    while True:
        try:
            prompt = _read_prompt(tty)
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return EXIT_INTERRUPTED
        if prompt is None:
            if tty:
                print(file=sys.stderr)  # after Ctrl-D, leave the shell prompt on its own line
            return status
        if not prompt:
            continue
        messages.append({"role": "user", "content": prompt})
        try:
            answer = _stream_answer(client, model, messages, verbose=verbose, out=out)
        except KeyboardInterrupt:
            messages.pop()
            print("\n(interrupted)", file=sys.stderr)
            continue
        except (openai.APIError, VertexStreamError) as exc:
            # The conversation goes on; the failed turn is dropped.
            messages.pop()
            _print_error(_describe(exc)[0])
            status = EXIT_FAILURE
            continue
        _end_line(answer, out)
        messages.append({"role": "assistant", "content": answer.text})
        if verbose:
            print(_usage_line(answer), file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# endpoints


def _endpoint_location(args: argparse.Namespace) -> str:
    location = args.location or os.environ.get("GOOGLE_CLOUD_LOCATION") or None
    if location is None and args.emulator:
        location = EMULATOR_LOCATION
    if location is None:
        raise CliError(
            "endpoints are regional: pass --location REGION (e.g. us-central1) or set "
            "GOOGLE_CLOUD_LOCATION",
            EXIT_USAGE,
        )
    if location == "global":
        raise CliError(
            "location 'global' has no self-deployed endpoints (they are regional): pass "
            "--location REGION, e.g. --location us-central1",
            EXIT_USAGE,
        )
    return location


def _http_error(response: httpx.Response) -> CliError:
    """A one-line error from Vertex's (normalized) JSON error body."""
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or "")
    if not message:
        message = response.text.strip()[:300] or response.reason_phrase
    return CliError(
        f"Vertex AI answered HTTP {response.status_code}: {message}"
        + _status_hint(response.status_code)
    )


def _list_endpoints(connection: VertexConnection) -> list[dict[str, Any]]:
    """Every endpoint of the target's project and location, following nextPageToken."""
    client = connection.http_client()
    url = f"{connection.target.location_url}/endpoints"
    items: list[dict[str, Any]] = []
    page_token: str | None = None
    seen: set[str] = set()
    while True:
        params = {"pageToken": page_token} if page_token else None
        try:
            response = client.get(url, params=params, timeout=60.0)
        except httpx.HTTPError as exc:
            raise CliError(f"could not reach {connection.target.origin}: {exc}") from exc
        if response.status_code >= 400:
            raise _http_error(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise CliError(f"Vertex AI answered with invalid JSON for GET {url}") from exc
        if not isinstance(data, dict):
            raise CliError(f"Vertex AI answered an unexpected listing for GET {url}")
        items.extend(e for e in data.get("endpoints") or [] if isinstance(e, dict))
        page_token = data.get("nextPageToken") or None
        if page_token is None or page_token in seen:
            return items
        seen.add(page_token)


def _endpoint_row(
    raw: dict[str, Any], target: VertexTarget, api_endpoint: str | None
) -> dict[str, Any]:
    name = str(raw.get("name", ""))
    endpoint_id = name.rsplit("/", 1)[-1]
    location = target.location
    parts = name.split("/")
    if len(parts) >= 6 and parts[2] == "locations":
        location = parts[3]
    models = []
    for model in raw.get("deployedModels") or []:
        if isinstance(model, dict):
            models.append(
                {
                    "id": model.get("id"),
                    "display_name": model.get("displayName"),
                    "model": model.get("model"),
                }
            )
    dns = raw.get("dedicatedEndpointDns") if raw.get("dedicatedEndpointEnabled", True) else None
    dns = dns if isinstance(dns, str) and dns else None
    parameters: dict[str, str] = {"endpoint_id": endpoint_id, "location": location}
    if dns:
        # Once a dedicated endpoint is enabled the shared regional host no longer serves it
        # (VERTEX_FACTS "Base URLs").
        parameters["api_endpoint"] = f"https://{dns}"
    elif api_endpoint:
        parameters["api_endpoint"] = api_endpoint
    return {
        "endpoint_id": endpoint_id,
        "display_name": raw.get("displayName"),
        "name": name,
        "project": target.project,
        "location": location,
        "deployed_models": models,
        "dedicated_endpoint_dns": dns,
        "parameters": parameters,
    }


def _table(headers: Sequence[str], rows: Sequence[tuple[Sequence[str], str]]) -> str:
    """Aligned columns; each row is followed by its indented ``use:`` line."""
    widths = [max(len(h), *(len(r[0][i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(headers)]
    for cells, use in rows:
        lines += [line(cells), f"    use: {use}"]
    return "\n".join(lines)


def _cmd_endpoints(args: argparse.Namespace) -> int:
    location = _endpoint_location(args)
    with contextlib.ExitStack() as stack:
        session = _connect(args, stack, location=location)
        target = session.connection.target
        raw = _list_endpoints(session.connection)
    shown_endpoint = None if args.emulator else args.api_endpoint
    rows = [_endpoint_row(item, target, shown_endpoint) for item in raw]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    where = f"project {target.project}, location {target.location}"
    if not rows:
        print(f"No endpoints in {where}.")
        return EXIT_OK
    print(f"{len(rows)} endpoint{'s' if len(rows) != 1 else ''} in {where}:\n")
    table_rows = []
    for row in rows:
        models = ", ".join(
            str(m["display_name"] or m["id"] or m["model"] or "?") for m in row["deployed_models"]
        )
        params = ", ".join(f"{k}={json.dumps(v)}" for k, v in row["parameters"].items())
        cells = [
            row["endpoint_id"],
            str(row["display_name"] or ""),
            models or "(none deployed)",
            row["dedicated_endpoint_dns"] or "-",
        ]
        table_rows.append((cells, params))
    headers = ["ENDPOINT_ID", "DISPLAY_NAME", "DEPLOYED_MODELS", "DEDICATED_DNS"]
    print(_table(headers, table_rows))
    print(
        "\n`use:` are the parameters for ChatVertexOpenAI / VertexOpenAIEmbeddings / "
        "VertexOpenAILike / vertex_openai.openai_client (CLI: --endpoint-id, --location, "
        "--api-endpoint)."
    )
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# doctor


class _Report:
    """The doctor's checklist: one line per check with a verdict and, when needed, a fix."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.failures = 0
        self.warnings = 0

    def _line(self, verdict: str, name: str, detail: str, fix: str | None) -> None:
        print(f"{verdict:<4}  {name:<13} {detail}", file=self._out)
        if fix:
            print(f"{'':<4}  {'':<13} fix: {fix}", file=self._out)
        self._out.flush()

    def ok(self, name: str, detail: str) -> None:
        self._line("ok", name, detail, None)

    def warn(self, name: str, detail: str, fix: str) -> None:
        self.warnings += 1
        self._line("warn", name, detail, fix)

    def fail(self, name: str, detail: str, fix: str) -> None:
        self.failures += 1
        self._line("FAIL", name, detail, fix)

    def skip(self, name: str, why: str) -> None:
        self._line("skip", name, why, None)


@dataclass
class _DoctorCredentials:
    source: TokenSource
    credentials: Any
    key_file: dict[str, Any]


def _doctor_credentials(
    args: argparse.Namespace, report: _Report, stack: contextlib.ExitStack
) -> tuple[_DoctorCredentials | None, VertexEmulator | None]:
    quota = _quota_project(args)
    if args.emulator:
        emulator = _start_emulator(stack)
        creds = emulator.credentials()
        report.ok(
            "credentials",
            f"service_account from the in-process emulator at {emulator.url}, "
            f"account {emulator.client_email}",
        )
        return _DoctorCredentials(TokenSource(creds, quota_project=quota), creds, {}), emulator
    location = _locate_adc()
    if location.source is None:
        report.fail("credentials", f"none found: {_nothing_found(location)}", _LOGIN_FIX)
        return None, None
    if location.path and not os.path.isfile(location.path):
        report.fail(
            "credentials",
            f"GOOGLE_APPLICATION_CREDENTIALS={location.path}: file not found",
            "point GOOGLE_APPLICATION_CREDENTIALS at an existing key file, or unset it and "
            "run `gcloud auth application-default login`",
        )
        return None, None
    source = TokenSource(None, quota_project=quota)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the quota-project warning is our own check
            resolved = source.credentials()
    except CredentialsError as exc:
        cause = exc.__cause__ or exc
        report.fail("credentials", f"{location.describe()}: {cause}", _LOGIN_FIX)
        return None, None
    key_file = _read_key_file(location.path)
    kind = _credential_type(resolved, key_file)
    detail = f"{kind} from {location.describe()}"
    account = _account(resolved, key_file)
    if account:
        detail += f", account {account}"
    elif kind == "authorized_user":
        detail += " (your gcloud user login)"
    report.ok("credentials", detail)
    return _DoctorCredentials(source, resolved, key_file), None


def _doctor_project(
    args: argparse.Namespace,
    report: _Report,
    found: _DoctorCredentials | None,
    emulator: VertexEmulator | None,
) -> str | None:
    project: str | None = None
    origin = ""
    if args.project:
        project, origin = args.project, "--project"
    elif emulator is not None:
        project, origin = emulator.project, "the in-process emulator"
    else:
        for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"):
            if os.environ.get(name):
                project, origin = os.environ[name], name
                break
        else:
            if found is not None:
                try:
                    project = found.source.default_project()
                except CredentialsError:
                    project = None
                origin = "the ADC credentials"
    if project is None:
        report.fail("project", "none found", _PROJECT_FIX)
        return None
    report.ok("project", f"{project} (from {origin})")
    return project


def _doctor_quota_project(
    args: argparse.Namespace, report: _Report, found: _DoctorCredentials | None, project: str | None
) -> None:
    if found is None:
        report.skip("quota project", "no credentials")
        return
    origin = None
    if args.quota_project:
        origin = "--quota-project"
    elif os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT"):
        origin = "GOOGLE_CLOUD_QUOTA_PROJECT"
    quota = found.source.quota_project()
    if quota and origin is None:
        origin = "the credentials (quota_project_id)"
    if quota:
        report.ok("quota project", f"{quota} (from {origin}; header x-goog-user-project)")
        return
    kind = _credential_type(found.credentials, found.key_file)
    if kind == "authorized_user":
        target = project or "PROJECT_ID"
        report.warn(
            "quota project",
            "none set with user credentials: Vertex may answer 'quota exceeded' or "
            "'API not enabled' for the gcloud client's project",
            f"run `gcloud auth application-default set-quota-project {target}` or pass "
            f"--quota-project {target}",
        )
        return
    report.ok("quota project", "none set (not needed: quota goes to the credential's project)")


def _doctor_target(
    args: argparse.Namespace, report: _Report, project: str | None, emulator: VertexEmulator | None
) -> VertexTarget | None:
    if project is None:
        report.skip("target", "no project")
        return None
    location = args.location
    api_endpoint = args.api_endpoint
    if emulator is not None:
        api_endpoint = emulator.url
        location = location or EMULATOR_LOCATION
    try:
        target = resolve_target(
            project=project,
            location=location,
            endpoint_id=args.endpoint_id,
            api_version=args.api_version,
            api_endpoint=api_endpoint,
        )
    except ValueError as exc:
        report.fail("target", str(exc), "fix the flag or environment variable named above")
        return None
    report.ok("target", f"{target.base_url} (location {target.location})")
    return target


def _doctor_token(report: _Report, found: _DoctorCredentials | None) -> bool:
    if found is None:
        report.skip("token", "no credentials")
        return False
    started = time.monotonic()
    try:
        token = found.source.token(timeout=60.0)
    except CredentialsError as exc:
        report.fail(
            "token",
            f"fetch failed after {time.monotonic() - started:.2f} s: {exc}",
            "re-run `gcloud auth application-default login` (user) or check the key file "
            "(service account deleted or key revoked?) and the machine's clock",
        )
        return False
    elapsed = time.monotonic() - started
    if not token:
        report.fail("token", "the credential returned an empty token", _LOGIN_FIX)
        return False
    detail = f"fetched in {elapsed:.2f} s"
    expiry = getattr(found.credentials, "expiry", None)
    if isinstance(expiry, datetime.datetime):
        now = datetime.datetime.now(datetime.timezone.utc)
        if expiry.tzinfo is None:
            now = now.replace(tzinfo=None)
        minutes = int((expiry - now).total_seconds() // 60)
        detail += f", valid for {minutes} min"
    account = _account(found.credentials, found.key_file)
    if account and _credential_type(found.credentials, found.key_file) == "compute_engine":
        detail += f", account {account}"
    report.ok("token", detail + " (not shown)")
    return True


def _doctor_chat(
    args: argparse.Namespace,
    report: _Report,
    found: _DoctorCredentials | None,
    target: VertexTarget | None,
    token_ok: bool,
) -> None:
    if found is None or target is None or not token_ok:
        report.skip("chat", "needs credentials, a target and a token")
        return
    connection = VertexConnection(target, found.source)
    try:
        model = target.model_name(args.model)
    except ValueError as exc:
        report.fail("chat", str(exc), "pass --model, e.g. --model gemini-2.5-flash")
        return
    client = connection.openai_client(max_retries=0, timeout=60.0)
    started = time.monotonic()
    try:
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Reply with the single word: ok"}],
            max_tokens=32,
        )
    except openai.APIStatusError as exc:
        message, _ = _describe(exc)
        report.fail("chat", message, _chat_fix(exc.status_code, target, message))
        return
    except (openai.APIError, VertexStreamError) as exc:
        report.fail(
            "chat",
            _describe(exc)[0],
            f"check the network / proxy to {target.origin} (and --api-endpoint)",
        )
        return
    elapsed = time.monotonic() - started
    label = model or "the endpoint"
    text = ""
    finish = None
    if response.choices:
        text = (response.choices[0].message.content or "").strip()
        finish = response.choices[0].finish_reason
    if text:
        snippet = text if len(text) <= 60 else text[:57] + "..."
        report.ok("chat", f"{label} answered in {elapsed:.2f} s: {json.dumps(snippet)}")
    else:
        report.ok(
            "chat",
            f"{label} answered in {elapsed:.2f} s (no text within max_tokens=32, "
            f"finish_reason={finish})",
        )


def _chat_fix(status: int, target: VertexTarget, message: str) -> str:
    project = target.project
    if status == 400 and "publisher model name" in message:
        return "use the publisher/model form, e.g. --model google/gemini-2.5-flash"
    if status == 401:
        return "the token was refused: re-run `gcloud auth application-default login`"
    if status == 403:
        return (
            f"grant roles/aiplatform.user on project {project} to this account, and enable "
            f"the API: `gcloud services enable aiplatform.googleapis.com --project {project}`"
        )
    if status == 404:
        return (
            f"check --model, --endpoint-id and the location ({target.location}): not every "
            "model is served in every region (try --location global)"
        )
    if status == 429:
        return "quota exhausted: retry later, use --location global, or request more quota"
    return "see Vertex's message above"


def _cmd_doctor(args: argparse.Namespace) -> int:
    out = sys.stdout
    report = _Report(out)
    with contextlib.ExitStack() as stack:
        found, emulator = _doctor_credentials(args, report, stack)
        project = _doctor_project(args, report, found, emulator)
        _doctor_quota_project(args, report, found, project)
        target = _doctor_target(args, report, project, emulator)
        token_ok = _doctor_token(report, found)
        _doctor_chat(args, report, found, target, token_ok)
    if report.failures:
        print(f"\n{report.failures} check(s) failed.", file=out)
        return EXIT_FAILURE
    suffix = f" ({report.warnings} warning(s))" if report.warnings else ""
    print(f"\nAll checks passed{suffix}.", file=out)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# emulator


def _cmd_emulator(args: argparse.Namespace) -> int:
    try:
        from .testing import VertexEmulator
    except ImportError as exc:
        raise CliError(
            f"the emulator needs the package {exc.name or '?'!r}: pip install cryptography"
        ) from exc
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0..65535 (got {args.port})", EXIT_USAGE)
    emulator = VertexEmulator(host=args.host, port=args.port, project=args.project)
    _demo_endpoints(emulator)
    with tempfile.TemporaryDirectory(prefix="vertex-openai-emulator-") as tmp:
        key_file = emulator.write_service_account_file(Path(tmp) / "service-account.json")
        try:
            url = emulator.url  # binds the port
        except OSError as exc:
            raise CliError(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
            ) from exc
        lines = [
            f"Vertex AI emulator listening on {url} (project {emulator.project}). Ctrl-C to stop.",
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


# ---------------------------------------------------------------------------------------------
# Errors and main


def _status_hint(status: int) -> str:
    if status == 403:
        return (
            " (check the IAM role roles/aiplatform.user, the project, and that the Vertex AI "
            "API is enabled)"
        )
    if status == 404:
        return " (check the model, endpoint id and location)"
    return ""


def _describe(exc: BaseException) -> tuple[str, int]:
    """One line for an exception and the exit status."""
    if isinstance(exc, CliError):
        return str(exc), exc.exit_code
    if isinstance(exc, CredentialsError):
        return str(exc), EXIT_FAILURE
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = exc.message
        return (
            f"Vertex AI answered HTTP {exc.status_code}: {message}{_status_hint(exc.status_code)}",
            EXIT_FAILURE,
        )
    if isinstance(exc, openai.APIConnectionError):
        where = exc.request.url.copy_with(query=None) if exc.request is not None else "Vertex AI"
        if isinstance(exc, openai.APITimeoutError):
            return f"no answer in time from {where}", EXIT_FAILURE
        cause = exc.__cause__
        detail = str(cause) if cause is not None and str(cause) else exc.message
        return f"could not reach {where}: {detail}", EXIT_FAILURE
    if isinstance(exc, (openai.OpenAIError, httpx.HTTPError)):
        return str(exc) or type(exc).__name__, EXIT_FAILURE
    if isinstance(exc, (ValueError, TypeError)):
        return str(exc), EXIT_USAGE
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), 1
    return f"unexpected error: {type(exc).__name__}: {exc}", EXIT_FAILURE


def _print_error(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


_COMMANDS = {
    "chat": _cmd_chat,
    "endpoints": _cmd_endpoints,
    "doctor": _cmd_doctor,
    "emulator": _cmd_emulator,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``vertex-openai`` command line; returns the exit status.

    Errors print one line on stderr (no traceback; set ``VERTEX_OPENAI_DEBUG=1`` to see one
    for unexpected errors).
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    with warnings.catch_warnings():
        # google-auth's multi-line warning about user credentials without a quota project:
        # `doctor` reports that case with its fix.
        warnings.filterwarnings("ignore", message="Your application has authenticated")
        try:
            if getattr(args, "emulator", False) and args.api_endpoint is not None:
                raise CliError("--emulator and --api-endpoint cannot be combined", EXIT_USAGE)
            return _COMMANDS[args.command](args)
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
            message, code = _describe(exc)
            _print_error(message)
            return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
