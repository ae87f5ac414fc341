"""``vertex-openai doctor``: check credentials, project, quota project, target, token, a call.

One line per check (``ok``, ``warn``, ``FAIL`` or ``skip``) with a ``fix:`` line when needed;
exit status 0 when nothing failed. Access tokens are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import openai

from ..adc import locate_adc
from ..auth import TokenSource
from ..connection import VertexConnection
from ..errors import CredentialsError, VertexStreamError
from ..target import VertexTarget, resolve_target
from ._common import (
    DEFAULT_MODEL,
    EMULATOR_LOCATION,
    EXIT_FAILURE,
    EXIT_OK,
    LOGIN_FIX,
    PROJECT_FIX,
    add_target_args,
    describe,
    quota_project,
    start_emulator,
)

if TYPE_CHECKING:
    from ..testing import VertexEmulator
    from ._common import Commands


def add_parser(commands: Commands) -> None:
    """Register ``doctor``."""
    parser = commands.add_parser(
        "doctor",
        help="check credentials, project, quota project, token and one chat call",
        description="Check, in order: Application Default Credentials, project, quota project, "
        "target URL, a token fetch and one small chat request. Exit status 0 when all pass.",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model for the test call (default {DEFAULT_MODEL})"
    )
    add_target_args(parser)
    parser.set_defaults(run=run)


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


class Report:
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
class DoctorCredentials:
    source: TokenSource
    credentials: Any
    key_file: dict[str, Any]


def check_credentials(
    args: argparse.Namespace, report: Report, stack: contextlib.ExitStack
) -> tuple[DoctorCredentials | None, VertexEmulator | None]:
    quota = quota_project(args)
    if args.emulator:
        emulator = start_emulator(stack)
        creds = emulator.credentials()
        report.ok(
            "credentials",
            f"service_account from the in-process emulator at {emulator.url}, "
            f"account {emulator.client_email}",
        )
        return DoctorCredentials(TokenSource(creds, quota_project=quota), creds, {}), emulator
    location = locate_adc(probe_metadata=True)
    if not location.found:
        report.fail("credentials", f"none found: {location.nothing_found()}", LOGIN_FIX)
        return None, None
    if not location.exists:
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
        report.fail("credentials", f"{location.describe()}: {cause}", LOGIN_FIX)
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
    return DoctorCredentials(source, resolved, key_file), None


def check_project(
    args: argparse.Namespace,
    report: Report,
    found: DoctorCredentials | None,
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
        report.fail("project", "none found", PROJECT_FIX)
        return None
    report.ok("project", f"{project} (from {origin})")
    return project


def check_quota_project(
    args: argparse.Namespace, report: Report, found: DoctorCredentials | None, project: str | None
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


def check_target(
    args: argparse.Namespace, report: Report, project: str | None, emulator: VertexEmulator | None
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


def check_token(report: Report, found: DoctorCredentials | None) -> bool:
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
        report.fail("token", "the credential returned an empty token", LOGIN_FIX)
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


def check_chat(
    args: argparse.Namespace,
    report: Report,
    found: DoctorCredentials | None,
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
        message, _ = describe(exc)
        report.fail("chat", message, chat_fix(exc.status_code, target, message))
        return
    except (openai.APIError, VertexStreamError) as exc:
        report.fail(
            "chat",
            describe(exc)[0],
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


def chat_fix(status: int, target: VertexTarget, message: str) -> str:
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


def run(args: argparse.Namespace) -> int:
    """``doctor``: run the checks in order; exit status 1 when one failed."""
    out = sys.stdout
    report = Report(out)
    with contextlib.ExitStack() as stack:
        found, emulator = check_credentials(args, report, stack)
        project = check_project(args, report, found, emulator)
        check_quota_project(args, report, found, project)
        target = check_target(args, report, project, emulator)
        token_ok = check_token(report, found)
        check_chat(args, report, found, target, token_ok)
    if report.failures:
        print(f"\n{report.failures} check(s) failed.", file=out)
        return EXIT_FAILURE
    suffix = f" ({report.warnings} warning(s))" if report.warnings else ""
    print(f"\nAll checks passed{suffix}.", file=out)
    return EXIT_OK
