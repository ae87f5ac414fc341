"""An offline emulator of Vertex AI's OpenAI-compatible Chat Completions API.

It serves, on 127.0.0.1 only, what a client of Vertex's OpenAI-compatible surface touches:

* ``POST /{v1|v1beta1}/projects/P/locations/L/endpoints/{openapi|ID}/chat/completions``
* ``POST /{v1|v1beta1}/projects/P/locations/L/endpoints/{openapi|ID}/embeddings``
* ``GET  /{v1|v1beta1}/projects/P/locations/L/endpoints`` (list, paginated)
* ``POST /token`` — a Google OAuth token endpoint that google-auth's real refresh talks to.

Anything else answers Google's HTML 404 page. Answers come from a deterministic model (see
:class:`VertexEmulator` and ``_model.py``); faults, latency and broken streams can be
scripted.

Layout (no import cycles; each arrow is "imports"):

* ``emulator.py`` (this module, the public face) → ``_state``, ``_http``, ``_oauth``,
  ``_model``, ``_records``. :class:`VertexEmulator` owns one ``_state.EmulatorState``
  (settings, logs, scripts, tokens, endpoints) and one ``_http.Server`` bound to it.
* ``_http.py`` (sockets, parsing, SSE framing) → ``_routes``, ``_oauth``, ``_state``.
* ``_routes.py`` (route table, Vertex handlers) → ``_state``, ``_model``, ``_errors``,
  ``_replay``.
* ``_oauth.py`` (token endpoint, JWT check, token store; needs cryptography).
* ``_state.py`` → ``_oauth`` (token store), ``_model``, ``_records``, ``_replay``.
* ``_model.py``, ``_errors.py``, ``_records.py``, ``_responses.py``, ``_replay.py`` (the
  record/replay format, also written by ``vertex-openai proxy``): leaves.

Each copied Vertex behaviour cites its public source in a comment, with its confidence:
"docs" (H: Google's documentation or code), "public captures" (M: several real-world
reports, named where one is at hand), "assumed" / "guessed" (L or unknown: a switch or a
neighbour's documented behaviour). The sources:

* Vertex AI docs, "Using OpenAI libraries with Vertex AI" and its examples and auth pages,
  https://cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/overview
* Vertex AI docs, "Call open model APIs" (MaaS): response and stream samples.
* googleapis/python-aiplatform,
  ``google/cloud/aiplatform_v1beta1/services/prediction_service/transports/rest_base.py``.
* REST reference ``projects.locations.endpoints``,
  https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints
* Vertex AI docs, "Thought signatures",
  https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures, and the
  captured 400 in openclaw/openclaw#77925.
* Gemini API docs, "Thought signatures" (FAQ),
  https://ai.google.dev/gemini-api/docs/thought-signatures
* Vertex AI docs, "Get text embeddings" (API limits: 250 texts per request, one for
  gemini-embedding-001),
  https://cloud.google.com/vertex-ai/generative-ai/docs/embeddings/get-text-embeddings
* Public captures of Gemini's OpenAI-compatible streams and errors: googleapis/python-genai#2868
  (streamed tool calls end with "stop", unary with "tool_calls"), open-webui/computer#224 and
  THU-MAIC/OpenMAIC#1556 (tool calls without ``index``), manthanabc/paws#103 (the 2026
  thought-signature wording); verbatim copies live in ``tests/fixtures/vertex/``.
* googleapis/google-auth-library-python, ``google/oauth2/service_account.py`` and
  ``google/oauth2/credentials.py`` (what google-auth sends to a ``token_uri``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pathlib
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ._http import Server
from ._model import QueuedReply
from ._oauth import CLOUD_PLATFORM_SCOPE, signing_key
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
from ._replay import Replay, read_exchange
from ._state import EmulatorState

if TYPE_CHECKING:
    import google.oauth2.credentials
    import google.oauth2.service_account

__all__ = ["RecordedRequest", "TokenRequest", "VertexEmulator"]

_T = TypeVar("_T")


class _Setting(Generic[_T]):
    """A ``VertexEmulator`` attribute stored in its state's :class:`~._records.Settings`.

    Reading and assigning behave as a plain attribute; request handlers see the new value
    from the next request on.
    """

    name: str

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Setting[_T]: ...
    @overload
    def __get__(self, obj: VertexEmulator, owner: type | None = None) -> _T: ...
    def __get__(self, obj: VertexEmulator | None, owner: type | None = None) -> _T | _Setting[_T]:
        if obj is None:
            return self
        value: _T = getattr(obj._state.settings, self.name)
        return value

    def __set__(self, obj: VertexEmulator, value: _T) -> None:
        setattr(obj._state.settings, self.name, value)


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

    ``replay=DIR``: exchanges recorded by ``vertex-openai proxy --record DIR`` answer the
    requests that match them (same route, same JSON body after scrubbing; docs/replay.md)
    before the model does; ``strict=True`` answers 404 to any other chat or embeddings request.

    Switches for behaviour Vertex is not known to have for sure (attributes, mutable):
    ``enforce_project`` (403 for another project, default True), ``known_models`` (None: any
    ``publisher/model`` exists), ``accept_dummy_signatures`` (True), ``always_stream_usage``
    (True), ``embeddings_base64`` (True), ``accept_token_arrays`` (False),
    ``names_with_project_number`` (False).

    Switches that keep an older or alternative shape (the defaults follow Google's
    published shapes; sources in ``_routes.py``, ``_model.py``, ``_maas.py``):
    ``gemini_stream_tool_call_index`` (False: Gemini streams each tool call whole in its own
    chunk without ``index`` and ends with finish_reason ``"stop"``; True: OpenAI's shape,
    ``index`` and ``"tool_calls"``), ``signature_error_wording`` (``"2025"``: Vertex's
    "Unable to submit request because function call ..." 400; ``"2026"``: "Function call is
    missing a thought_signature in functionCall parts. ..."), ``maas_reasoning`` (``"auto"``:
    partner models that always think do, hybrid ones when reasoning_effort / a thinking
    config asks; ``"always"``; ``"never"``), ``maas_reasoning_field`` (``"reasoning_content"``;
    ``"reasoning"``: vLLM's name for the same field), ``maas_reasoning_tokens`` (``"zero"``: the
    top-level ``usage.reasoning_tokens`` is 0 even when the model reasoned, as in every MaaS
    example of Google's thinking page; ``"count"``: the count), ``flag_thought_deltas`` (False:
    with a ``thought_tag_marker`` streamed Gemini thoughts stay inline in their tags; True:
    they come as content deltas flagged ``extra_content.google.thought``, as they do without a
    marker), ``stream_chunk_chars`` (0: streamed text in word pieces; N: in N-character pieces,
    so that a tag is cut across chunks), ``maas_extra_keys`` (True: ``matched_stop``,
    ``metadata.weight_version``, ``usage.extra_properties.google.traffic_type``,
    ``usage.reasoning_tokens``, ``usage.prompt_tokens_details`` on partner-model answers),
    ``send_done`` (True: streams end with ``data: [DONE]``), ``maas_capture_stream_shape``
    (False; True: the 2024 MaaS captures' chunks, no ``id``/``created`` and ``role`` on every
    delta), ``separate_usage_chunk`` (False: usage rides on the finish_reason chunk; True:
    OpenAI's extra ``"choices": []`` usage chunk), ``embeddings_max_inputs`` (250) and
    ``gemini_embedding_max_inputs`` (1).

    Files and schemas on Gemini models (sources in ``_parts.py`` and ``_schemas.py``): content
    parts are checked as Vertex documents them (``text``, ``image_url`` with a ``gs://`` URI,
    an ``https://`` URL or a base64 ``data:`` URL, ``input_audio``; Gemini's MIME types only);
    ``accept_file_parts`` (False: OpenAI's ``file`` part is refused, Vertex documents none),
    ``accept_http_urls`` (True: ``https://`` file URLs are read; assumed, not confirmed for
    this route), ``gemini_schema_check`` (True: tool and response schemas outside Vertex's
    OpenAPI subset get Vertex's 400; False: any JSON Schema is taken, as if the route read it
    as ``parametersJsonSchema``).
    """

    project = _Setting[str]()
    project_number = _Setting[str]()
    token_lifetime = _Setting[float]()
    page_size = _Setting[int]()
    enforce_project = _Setting[bool]()
    known_models = _Setting[set[str] | None]()
    accept_dummy_signatures = _Setting[bool]()
    always_stream_usage = _Setting[bool]()
    embeddings_base64 = _Setting[bool]()
    accept_token_arrays = _Setting[bool]()
    names_with_project_number = _Setting[bool]()
    embedding_dimensions = _Setting[int]()
    gemini_stream_tool_call_index = _Setting[bool]()
    signature_error_wording = _Setting[Literal["2025", "2026"]]()
    maas_reasoning = _Setting[Literal["auto", "always", "never"]]()
    maas_reasoning_field = _Setting[Literal["reasoning_content", "reasoning"]]()
    maas_reasoning_tokens = _Setting[Literal["zero", "count"]]()
    flag_thought_deltas = _Setting[bool]()
    stream_chunk_chars = _Setting[int]()
    maas_extra_keys = _Setting[bool]()
    send_done = _Setting[bool]()
    maas_capture_stream_shape = _Setting[bool]()
    separate_usage_chunk = _Setting[bool]()
    embeddings_max_inputs = _Setting[int]()
    gemini_embedding_max_inputs = _Setting[int]()
    accept_file_parts = _Setting[bool]()
    accept_http_urls = _Setting[bool]()
    gemini_schema_check = _Setting[bool]()
    client_email = _Setting[str]()
    oauth_client_id = _Setting[str]()
    oauth_client_secret = _Setting[str]()

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        project: str = "emulator-project",
        token_lifetime: float = 3600.0,
        page_size: int = 50,
        project_number: str | None = None,
        replay: str | os.PathLike[str] | None = None,
        strict: bool = False,
    ) -> None:
        self.host = host
        self._port = port
        self._state = EmulatorState(
            Settings(
                project=project,
                project_number=project_number
                or str(
                    100000000000
                    + int(hashlib.sha256(project.encode()).hexdigest(), 16) % 899999999999
                ),
                token_lifetime=token_lifetime,
                page_size=page_size,
                client_email=f"vertex-emulator@{project}.iam.gserviceaccount.com",
            )
        )
        if replay is not None:
            self._state.set_replay(Replay.from_directory(replay, strict=strict))
        elif strict:
            raise ValueError("strict=True needs replay=DIR")
        self._lock = threading.RLock()  # guards the server and its thread
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def _bound(self) -> Server:
        with self._lock:
            if self._server is None:
                self._server = Server((self.host, self._port), self._state)
                self._port = self._server.server_address[1]
            return self._server

    def start(self) -> VertexEmulator:
        """Start serving in a daemon thread (idempotent); returns ``self``."""
        server = self._bound()
        with self._lock:
            if self._thread is None:
                self._state.mark_running()
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
        self._state.mark_stopping()
        if server is None:
            return
        if thread is not None:
            server.shutdown()
        server.drop_connections()
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

        google-auth ignores its ``token_uri`` when loading it
        (googleapis/google-auth-library-python, ``google/oauth2/credentials.py``:
        ``from_authorized_user_info`` always sets Google's token URL): use
        :meth:`authorized_user_credentials` or ``with_token_uri(emulator.token_uri)``.
        """
        info = {
            "type": "authorized_user",
            "client_id": self.oauth_client_id,
            "client_secret": self.oauth_client_secret,
            "refresh_token": self._state.issue_refresh_token(self.oauth_client_id),
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
        return self._state.issue_token(lifetime)

    def revoke(self, token: str | None = None) -> None:
        """Revoke one access (or refresh) token, or every access token issued so far."""
        self._state.revoke(token)

    def token_valid(self, token: str) -> bool:
        """Whether the emulator would accept ``token`` now."""
        return self._state.check_token(token)

    # ------------------------------------------------------------------ logs

    @property
    def requests(self) -> list[RecordedRequest]:
        """Vertex API requests received, in order of arrival (a copy)."""
        return self._state.requests()

    @property
    def token_requests(self) -> list[TokenRequest]:
        """Token endpoint hits, in order (a copy)."""
        return self._state.token_requests()

    @property
    def active_streams(self) -> int:
        """Streamed answers being written right now (a client that went away frees its own)."""
        return self._state.active_streams()

    @property
    def replay(self) -> Replay | None:
        """The recorded exchanges answering matching requests (``replay=DIR``), or None."""
        return self._state.replay()

    def clear_log(self) -> None:
        """Forget recorded requests and token requests."""
        self._state.clear_log()

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
        self._state.add_reply(
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
        retry_delay: str | None = None,
    ) -> None:
        """The next ``times`` Vertex requests on ``route`` get this error.

        Body: Google's list-wrapped JSON with the canonical status name (a 401 is a plain
        object, as Google's front end sends it), or (``html=True``) Google's HTML error page.
        ``retry_after`` adds a ``Retry-After`` header (seconds; Vertex is not known to send
        one, so it is opt-in). ``retry_delay`` (e.g. ``"1.5s"``) adds a
        ``google.rpc.RetryInfo`` detail with that ``retryDelay``, as Vertex's 429s may carry.
        Auth is checked before faults apply.
        """
        _check_route(route)
        self._state.add_fault(Fault(status, times, retry_after, message, route, html, retry_delay))

    def queue_raw(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        route: str = "chat",
    ) -> None:
        """Answer the next request on ``route`` with exactly these bytes (a captured fixture).

        The request is still authenticated (a bad token gets the 401 instead) and recorded;
        scripted faults apply first. A ``text/event-stream`` body is sent as received, one
        chunk per event (split after each blank line), with :meth:`set_chunk_delay` between
        events; any other body is sent whole with a Content-Length. ``headers`` are added
        (Content-Length / Transfer-Encoding in them are ignored).
        """
        _check_route(route)
        extra = {
            k: v
            for k, v in (headers or {}).items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-type")
        }
        self._state.add_raw(RawReply(status, bytes(body), content_type, extra, route))

    def queue_fixture(self, path: str | os.PathLike[str], *, route: str = "chat") -> None:
        """:meth:`queue_raw` from a fixture file: ``<name>.json`` or ``<name>.sse`` (or
        ``<name>`` alone, either found) plus its sidecar ``<name>.meta.json``, whose keys
        ``status`` (default 200), ``content_type`` (default by extension) and optional
        ``headers`` describe the answer; or a recorded ``<name>.exchange.json``
        (docs/replay.md: the one format of both)."""
        exchange = read_exchange(path)
        self.queue_raw(
            exchange.status, exchange.payload, exchange.content_type, exchange.headers, route=route
        )

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
        self._state.add_token_fault(TokenFault(error, status, times, disconnect, description))

    def set_latency(self, seconds: float, *, route: str = "any") -> None:
        """Delay before answering Vertex requests (a route-specific value beats ``any``)."""
        self._state.set_latency(route, seconds)

    def set_token_latency(self, seconds: float) -> None:
        """Delay before answering token requests (large = a hanging token endpoint)."""
        self._state.set_token_latency(seconds)

    def set_chunk_delay(self, seconds: float) -> None:
        """Pause between streamed events."""
        self._state.set_chunk_delay(seconds)

    def cut_stream(self, *, after_chunks: int = 2, times: int = 1) -> None:
        """The next streamed response drops the TCP connection after ``after_chunks`` events."""
        self._state.add_stream_fault(StreamFault("cut", times, after_chunks))

    def malform_stream(self, *, times: int = 1) -> None:
        """The next streamed response contains a ``data:`` line that is not JSON."""
        self._state.add_stream_fault(StreamFault("malform", times))

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
        self._state.add_endpoint(
            Endpoint(
                endpoint_id,
                display_name if display_name is not None else endpoint_id,
                location,
                models,
                dedicated_dns,
                model,
                now,
            )
        )

    def reset(self) -> None:
        """Clear queued replies, faults, latencies and logs (issued tokens stay valid)."""
        self._state.reset()


def _check_route(route: str) -> None:
    if route not in ("chat", "embeddings", "endpoints", "any"):
        raise ValueError(f"unknown route {route!r}")
