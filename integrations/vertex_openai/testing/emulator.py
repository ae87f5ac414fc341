"""An offline emulator of Vertex AI's OpenAI-compatible Chat Completions API.

It serves, on 127.0.0.1 only, what a client of Vertex's OpenAI-compatible surface touches:

* ``POST /{v1|v1beta1}/projects/P/locations/L/endpoints/{openapi|ID}/chat/completions``
* ``POST /{v1|v1beta1}/projects/P/locations/L/endpoints/{openapi|ID}/embeddings``
* ``GET  /{v1|v1beta1}/projects/P/locations/L/endpoints`` (list, paginated)
* ``POST /token`` — a Google OAuth token endpoint that google-auth's real refresh talks to.

Anything else answers Google's HTML 404 page. Answers come from a deterministic model (see
:class:`VertexEmulator` and ``_model.py``); faults, latency and broken streams can be
scripted. The HTTP plumbing lives in ``_server.py``, the model in ``_model.py``.

Each copied Vertex behaviour cites its public source in a comment, by these tags, with the
confidence of the project's fact sheet (VERTEX_FACTS.md: H official, M several reports, L one):

* [overview] Vertex AI docs, "Using OpenAI libraries with Vertex AI" and its examples and
  auth pages, https://cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/overview
* [maas] Vertex AI docs, "Call open model APIs" (MaaS): response and stream samples.
* [routes] googleapis/python-aiplatform,
  ``aiplatform_v1beta1/services/prediction_service/transports/rest_base.py``.
* [endpoints-ref] REST reference ``projects.locations.endpoints``,
  https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints
* [thought-signatures] https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures
  and the captured 400 in openclaw/openclaw#77925.
* [gemini-ts] Gemini API "Thought signatures" FAQ, https://ai.google.dev/gemini-api/docs/thought-signatures
* [facts] VERTEX_FACTS.md entries backed by public reports (M/L), section named inline.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import json
import os
import pathlib
import secrets
import socket
import threading
from collections import deque
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._auth import CLOUD_PLATFORM_SCOPE, TokenStore, signing_key
from ._model import DUMMY_SIGNATURES, QueuedReply
from ._records import (
    RecordedRequest,
    TokenRequest,
    _Endpoint,
    _Fault,
    _StreamFault,
    _TokenFault,
)
from ._server import _Server

if TYPE_CHECKING:
    import google.oauth2.credentials
    import google.oauth2.service_account

__all__ = ["RecordedRequest", "TokenRequest", "VertexEmulator"]


class VertexEmulator:
    """An in-process, thread-backed emulator of Vertex AI's OpenAI-compatible API.

    Use it as a context manager or call :meth:`start` / :meth:`stop`. Clients point at
    :attr:`url` (as ``api_endpoint``) and authenticate with :meth:`credentials` (google-auth's
    real refresh against :attr:`token_uri`) or a token from :meth:`issue_token`.

    Deterministic model, for a chat request whose last user message text is ``T``:

    1. a reply queued with :meth:`queue_reply` wins;
    2. after a ``tool`` message: ``"Tool result: <tool content>"``;
    3. with function ``tools`` (and ``tool_choice`` not ``"none"``): one call to the named /
       first tool, arguments a valid instance of its parameters schema;
    4. ``response_format`` json_schema: a valid instance as JSON; json_object: ``{"text": T}``;
    5. otherwise ``"You said: T"``.

    Token counts are whitespace word counts. Models whose name contains ``gemini-3`` issue
    and enforce thought signatures.

    Switches for behaviour Vertex is not known to have for sure (attributes, mutable):
    ``enforce_project`` (403 for another project, default True), ``known_models`` (None: any
    ``publisher/model`` exists), ``accept_dummy_signatures`` (True), ``always_stream_usage``
    (True), ``embeddings_base64`` (True), ``accept_token_arrays`` (False),
    ``names_with_project_number`` (False).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        project: str = "emulator-project",
        token_lifetime: float = 3600.0,
        page_size: int = 50,
        project_number: str | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self.project = project
        self.project_number = project_number or str(
            100000000000 + int(hashlib.sha256(project.encode()).hexdigest(), 16) % 899999999999
        )
        self.token_lifetime = token_lifetime
        self.page_size = page_size
        self.enforce_project = True
        self.known_models: set[str] | None = None
        self.accept_dummy_signatures = True
        self.always_stream_usage = True
        self.embeddings_base64 = True
        self.accept_token_arrays = False
        self.names_with_project_number = False
        self.embedding_dimensions = 16
        self.client_email = f"vertex-emulator@{project}.iam.gserviceaccount.com"
        self.oauth_client_id = "emulator-client.apps.googleusercontent.com"
        self.oauth_client_secret = "emulator-client-secret"

        self._lock = threading.RLock()
        self._tokens = TokenStore()
        self._log: list[RecordedRequest] = []
        self._token_log: list[TokenRequest] = []
        self._replies: deque[QueuedReply] = deque()
        self._faults: list[_Fault] = []
        self._token_faults: list[_TokenFault] = []
        self._stream_faults: list[_StreamFault] = []
        self._latency: dict[str, float] = {}
        self._token_latency = 0.0
        self._chunk_delay = 0.0
        self._signatures: set[str] = set()
        self._endpoints: dict[str, _Endpoint] = {}
        self._counter = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def _bound(self) -> _Server:
        with self._lock:
            if self._server is None:
                self._server = _Server((self.host, self._port), self)
                self._port = self._server.server_address[1]
            return self._server

    def start(self) -> VertexEmulator:
        """Start serving in a daemon thread (idempotent); returns ``self``."""
        server = self._bound()
        with self._lock:
            if self._thread is None:
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"vertex-emulator:{self._port}",
                    daemon=True,
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections. :meth:`start` may be called again."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        self._stopping.set()
        if server is None:
            return
        if thread is not None:
            server.shutdown()
        with server.conn_lock:
            connections = list(server.open_connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C (for ``vertex-openai emulator``)."""
        self.start()
        try:
            while True:
                with self._lock:
                    thread = self._thread
                if thread is None or not thread.is_alive():
                    break
                thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> VertexEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port (bound on first use)."""
        self._bound()
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``; pass it as ``api_endpoint``."""
        return f"http://{self.host}:{self.port}"

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint, ``url + "/token"``."""
        return self.url + "/token"

    def base_url(
        self, *, location: str = "us-central1", endpoint: str = "openapi", version: str = "v1"
    ) -> str:
        """The OpenAI ``base_url`` for an endpoint, e.g. ``.../endpoints/openapi``."""
        return (
            f"{self.url}/{version}/projects/{self.project}/locations/{location}"
            f"/endpoints/{endpoint}"
        )

    # ------------------------------------------------------------------ credentials

    def service_account_info(self) -> dict[str, str]:
        """A service-account JSON dict whose ``token_uri`` is this emulator's token endpoint."""
        _, pem, key_id = signing_key()
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": (
                "https://www.googleapis.com/robot/v1/metadata/x509/"
                + self.client_email.replace("@", "%40")
            ),
            "universe_domain": "googleapis.com",
        }

    def credentials(
        self, *, quota_project_id: str | None = None
    ) -> google.oauth2.service_account.Credentials:
        """Real service-account credentials (cloud-platform scope) refreshing against here."""
        from google.oauth2 import service_account

        creds: service_account.Credentials = service_account.Credentials.from_service_account_info(
            self.service_account_info(), scopes=[CLOUD_PLATFORM_SCOPE]
        )
        if quota_project_id is not None:
            creds = creds.with_quota_project(quota_project_id)
        return creds

    def write_service_account_file(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write :meth:`service_account_info` as JSON (for GOOGLE_APPLICATION_CREDENTIALS)."""
        target = pathlib.Path(path)
        target.write_text(json.dumps(self.service_account_info(), indent=2))
        return target

    def authorized_user_info(self, *, quota_project_id: str | None = None) -> dict[str, str]:
        """An ``authorized_user`` JSON dict (gcloud ADC style) with a fresh refresh token.

        google-auth ignores its ``token_uri`` when loading it (VERTEX_FACTS "Auth"): use
        :meth:`authorized_user_credentials` or ``with_token_uri(emulator.token_uri)``.
        """
        info = {
            "type": "authorized_user",
            "client_id": self.oauth_client_id,
            "client_secret": self.oauth_client_secret,
            "refresh_token": self._tokens.issue_refresh_token(self.oauth_client_id),
            "token_uri": self.token_uri,
            "universe_domain": "googleapis.com",
        }
        if quota_project_id is not None:
            info["quota_project_id"] = quota_project_id
        return info

    def authorized_user_credentials(
        self, *, quota_project_id: str | None = None
    ) -> google.oauth2.credentials.Credentials:
        """User credentials (refresh-token grant) whose token URI is this emulator."""
        from google.oauth2 import credentials as oauth2_credentials

        creds = oauth2_credentials.Credentials.from_authorized_user_info(
            self.authorized_user_info(quota_project_id=quota_project_id),
            scopes=[CLOUD_PLATFORM_SCOPE],
        )
        result: oauth2_credentials.Credentials = creds.with_token_uri(self.token_uri)
        return result

    def issue_token(self, lifetime: float | None = None) -> str:
        """Mint a valid access token directly (like ``gcloud auth print-access-token``)."""
        return self._tokens.issue(self.token_lifetime if lifetime is None else lifetime)

    def revoke(self, token: str | None = None) -> None:
        """Revoke one access (or refresh) token, or every access token issued so far."""
        self._tokens.revoke(token)

    def token_valid(self, token: str) -> bool:
        """Whether the emulator would accept ``token`` now."""
        return self._tokens.check(token)

    # ------------------------------------------------------------------ logs

    @property
    def requests(self) -> list[RecordedRequest]:
        """Vertex API requests received, in order of arrival (a copy)."""
        with self._lock:
            return list(self._log)

    @property
    def token_requests(self) -> list[TokenRequest]:
        """Token endpoint hits, in order (a copy)."""
        with self._lock:
            return list(self._token_log)

    def clear_log(self) -> None:
        """Forget recorded requests and token requests."""
        with self._lock:
            self._log.clear()
            self._token_log.clear()

    # ------------------------------------------------------------------ scripting

    def queue_reply(
        self,
        *,
        content: str | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        extra_content: dict[str, Any] | None = None,
        usage: dict[str, Any] | None = None,
        raw: Any = None,
        finish_reason: str | None = None,
    ) -> None:
        """Make the next chat completion (unary or streamed) answer with this.

        ``tool_calls`` are ``{"name", "arguments": dict | str}`` or full OpenAI tool call dicts
        (an ``extra_content`` on them is kept; on Gemini 3 models an unsigned first call gets a
        signature). ``extra_content`` is the message-level one. ``usage`` entries override the
        computed ones. ``raw``: a full response JSON sent as is; for a streamed request a dict
        is sent as one ``data:`` event and a list as one event per item, then ``[DONE]``.
        """
        with self._lock:
            self._replies.append(
                QueuedReply(content, tool_calls, extra_content, usage, raw, finish_reason)
            )

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
        route: str = "any",
        html: bool = False,
    ) -> None:
        """The next ``times`` Vertex requests on ``route`` get this error.

        Body: Google's list-wrapped JSON with the canonical status name, or (``html=True``)
        Google's HTML error page. ``retry_after`` adds a ``Retry-After`` header (seconds; Vertex
        is not known to send one, so it is opt-in). Auth is checked before faults apply.
        """
        if route not in ("chat", "embeddings", "endpoints", "any"):
            raise ValueError(f"unknown route {route!r}")
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, message, route, html))

    def fail_token(
        self,
        *,
        error: str = "invalid_grant",
        status: int = 400,
        times: int = 1,
        disconnect: bool = False,
        description: str | None = None,
    ) -> None:
        """The next ``times`` token requests get an OAuth error (or a dropped connection)."""
        with self._lock:
            self._token_faults.append(_TokenFault(error, status, times, disconnect, description))

    def set_latency(self, seconds: float, *, route: str = "any") -> None:
        """Delay before answering Vertex requests (a route-specific value beats ``any``)."""
        with self._lock:
            if seconds <= 0:
                self._latency.pop(route, None)
            else:
                self._latency[route] = seconds

    def set_token_latency(self, seconds: float) -> None:
        """Delay before answering token requests (large = a hanging token endpoint)."""
        with self._lock:
            self._token_latency = max(0.0, seconds)

    def set_chunk_delay(self, seconds: float) -> None:
        """Pause between streamed events."""
        with self._lock:
            self._chunk_delay = max(0.0, seconds)

    def cut_stream(self, *, after_chunks: int = 2, times: int = 1) -> None:
        """The next streamed response drops the TCP connection after ``after_chunks`` events."""
        with self._lock:
            self._stream_faults.append(_StreamFault("cut", times, after_chunks))

    def malform_stream(self, *, times: int = 1) -> None:
        """The next streamed response contains a ``data:`` line that is not JSON."""
        with self._lock:
            self._stream_faults.append(_StreamFault("malform", times))

    def add_endpoint(
        self,
        endpoint_id: str,
        *,
        display_name: str | None = None,
        location: str = "us-central1",
        deployed_models: list[dict[str, Any]] | None = None,
        dedicated_dns: str | None = None,
        model: str = "google/gemma-3-12b-it",
    ) -> None:
        """Register a self-deployed Model Garden endpoint.

        It serves chat/embeddings at ``.../locations/{location}/endpoints/{endpoint_id}``
        (the request's model field is ignored, ``model`` is echoed) and appears in listings.
        ``dedicated_dns`` is only reported (no scheme); the emulator does not check the Host.
        """
        digits = str(int(hashlib.sha256(endpoint_id.encode()).hexdigest(), 16))[:19]
        models = deployed_models
        if models is None:
            models = [
                {
                    "id": digits,
                    "model": f"projects/{self.project_number}/locations/{location}/models/{digits}",
                    "displayName": model,
                }
            ]
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._lock:
            self._endpoints[endpoint_id] = _Endpoint(
                endpoint_id,
                display_name if display_name is not None else endpoint_id,
                location,
                models,
                dedicated_dns,
                model,
                now,
            )

    def reset(self) -> None:
        """Clear queued replies, faults, latencies and logs (issued tokens stay valid)."""
        with self._lock:
            self._replies.clear()
            self._faults.clear()
            self._token_faults.clear()
            self._stream_faults.clear()
            self._latency.clear()
            self._token_latency = 0.0
            self._chunk_delay = 0.0
            self._log.clear()
            self._token_log.clear()

    # ------------------------------------------------------------------ internals (locked)

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _new_call_id(self) -> str:
        return f"call_{self._next()}"

    def _new_signature(self) -> str:
        signature = base64.b64encode(secrets.token_bytes(48)).decode()
        with self._lock:
            self._signatures.add(signature)
        return signature

    def _signature_ok(self, signature: str) -> bool:
        with self._lock:
            if signature in self._signatures:
                return True
        return self.accept_dummy_signatures and signature in DUMMY_SIGNATURES

    def _take_fault(self, route: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in ("any", route):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _take_token_fault(self) -> _TokenFault | None:
        with self._lock:
            if not self._token_faults:
                return None
            fault = self._token_faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._token_faults.pop(0)
            return fault

    def _take_stream_fault(self) -> _StreamFault | None:
        with self._lock:
            if not self._stream_faults:
                return None
            fault = self._stream_faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._stream_faults.pop(0)
            return fault

    def _latency_for(self, route: str) -> float:
        with self._lock:
            return self._latency.get(route, self._latency.get("any", 0.0))

    def _record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def _finish(self, entry: RecordedRequest, status: int) -> None:
        with self._lock:
            for i in range(len(self._log) - 1, -1, -1):  # the newest entries are the likeliest
                if self._log[i] is entry:
                    self._log[i] = replace(entry, status=status)
                    return

    def _record_token(self, entry: TokenRequest) -> None:
        with self._lock:
            self._token_log.append(entry)

    def _pop_reply(self) -> QueuedReply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _push_back_reply(self, reply: QueuedReply) -> None:
        with self._lock:
            self._replies.appendleft(reply)

    def _endpoint(self, endpoint_id: str) -> _Endpoint | None:
        with self._lock:
            return self._endpoints.get(endpoint_id)

    def _endpoints_in(self, location: str) -> list[_Endpoint]:
        with self._lock:
            return [e for e in self._endpoints.values() if e.location == location]

    def _sleep(self, seconds: float) -> None:
        """Wait (latency scripts); a stop() in the meantime aborts the exchange."""
        if seconds > 0 and self._stopping.wait(seconds):
            raise ConnectionAbortedError("emulator stopped")
