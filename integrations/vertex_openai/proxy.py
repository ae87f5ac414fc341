"""A local OpenAI-compatible endpoint that signs every request for Vertex AI.

``vertex-openai proxy`` serves this app (Starlette on uvicorn, the ``[proxy]`` extra) so that
any OpenAI client — ``curl``, LangChain.js, IDE assistants, eval harnesses, the openai SDKs —
reaches Vertex with ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`` and a Google token that never
goes stale. Google's page offers those clients a static ``gcloud`` token, valid one hour
(https://cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/auth-and-credentials).

Routes:

* ``POST /v1/chat/completions`` — unary, or streamed event by event as Vertex sends it;
* ``POST /v1/embeddings``;
* ``GET /v1/models`` and ``GET /v1/models/{id}`` — the configured list (Vertex has no such
  route).

Every request goes through one :class:`~vertex_openai.connection.VertexConnection`, like every
class of the package: its token source (single flight, background refresh, one refresh and a
resend on a 401) and its transport, whose answers the proxy passes on:

* a success as Vertex sent it (streams with Gemini's index-less tool calls numbered, so every
  OpenAI client keeps parallel calls apart; thought signatures untouched);
* an error as an OpenAI error body ``{"error": {"message", "type", "param", "code"}}`` with
  Vertex's status and message (the transport already unwrapped Vertex's list wrapper);
* a stream that Vertex cut short as a final ``data: {"error": ...}`` event (the openai SDKs
  raise on it) instead of a quietly partial answer;
* a token failure as a 401 (permanent) or 503 (transient) naming the remedy.

Safety: nothing of the client's request but its JSON body reaches Google (not its
``Authorization``, not its other headers); the Google token never reaches the client and is
never logged. With ``key`` set every request must present it as its bearer token; without one
(loopback only, enforced by the CLI) only requests addressed to a loopback ``Host`` are served,
so a web page cannot reach the proxy through DNS rebinding, and a POST must be
``application/json``, which a browser cannot send cross-site without a CORS preflight (that
the proxy never grants).

``record``: each exchange is written as one file in the emulator's replay format
(:mod:`vertex_openai.testing._replay`, docs/replay.md), scrubbed of tokens and project numbers.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .auth import REMEDY
from .connection import VertexConnection
from .errors import CredentialsError, VertexStreamError
from .sdk_http import http
from .testing import _replay
from .transport import RAW_EVENTS, VERTEX_ERROR

__all__ = ["DEFAULT_MODELS", "Recorder", "create_app"]

_LOGGER = logging.getLogger(__name__)

#: What ``GET /v1/models`` lists without ``--model``: Gemini models of Google's OpenAI
#: compatibility page (https://cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/
#: overview) and the text embedding models of "Get text embeddings". Any other model name is
#: forwarded as well: the list is only what tools that ask are shown.
DEFAULT_MODELS = (
    "google/gemini-2.5-flash",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-flash-lite",
    "google/text-embedding-005",
    "google/gemini-embedding-001",
)

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_MAX_BODY = 32 * 1024 * 1024
_JSON = "application/json"


# --------------------------------------------------------------------------------------------
# OpenAI error bodies


def openai_error(
    http_status: int, message: str, kind: str, code: Any = None, **extra: Any
) -> JSONResponse:
    """An OpenAI-shaped error answer (``{"error": {"message", "type", "param", "code"}}``);
    ``extra`` entries that are not None are added (``param``, Vertex's ``status``...)."""
    error: dict[str, Any] = {"message": message, "type": kind, "param": None, "code": code}
    error.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse({"error": error}, status_code=http_status)


def _vertex_error(status: int, body: bytes, headers: http.Headers) -> JSONResponse:
    """Vertex's error (as the transport left it: ``{"error": {...}}``) in OpenAI's shape."""
    error: Any = None
    try:
        parsed = json.loads(body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    if not isinstance(error, dict):
        text = body.decode("utf-8", "replace").strip()[:300]
        error = {"message": f"Vertex AI answered HTTP {status}: {text or '(empty body)'}"}
    kind = str(error.get("type") or error.get("status") or "api_error")
    message = str(error.get("message") or f"Vertex AI answered HTTP {status}")
    if status == 401:
        # Vertex rejected a token the source had just refreshed (auth.VertexAuth resends once).
        message += f" (Vertex AI rejected the proxy's refreshed Google token. {REMEDY})"
    answer = openai_error(
        status,
        message,
        kind,
        error.get("code", status),
        status=error.get("status"),
        details=error.get("details"),
    )
    if "retry-after" in headers:
        answer.headers["Retry-After"] = headers["retry-after"]
    return answer


def _failure(exc: Exception) -> JSONResponse:
    """The answer for a request that never got one from Vertex."""
    if isinstance(exc, CredentialsError):
        # The message names the remedy; it never holds a token (auth.py).
        if exc.transient:
            return openai_error(503, str(exc), "service_unavailable", "credentials_unavailable")
        return openai_error(401, str(exc), "authentication_error", "google_credentials")
    if isinstance(exc, http.TimeoutException):
        return openai_error(504, "Vertex AI did not answer in time", "timeout", "upstream_timeout")
    return openai_error(
        502, f"Could not reach Vertex AI: {type(exc).__name__}: {exc}", "api_error", "upstream"
    )


# --------------------------------------------------------------------------------------------
# Recording


class Recorder:
    """Writes each exchange to ``directory`` (docs/replay.md), scrubbed for ``project``."""

    def __init__(self, directory: str, connection: VertexConnection) -> None:
        self.directory = directory
        self._project = connection.target.project
        self._endpoint = connection.target.endpoint

    def write(
        self,
        route: str,
        request_body: Any,
        status: int,
        content_type: str,
        response: bytes,
        headers: http.Headers | None = None,
    ) -> None:
        document = _replay.exchange_document(
            method="POST",
            route=route,
            endpoint=self._endpoint,
            request_body=request_body,
            status=status,
            content_type=content_type,
            response=response,
            headers=dict(headers or {}),
            project=self._project,
        )
        try:
            _replay.write_exchange(self.directory, document)
        except OSError as exc:  # a full disk must not fail the user's call
            _LOGGER.warning("could not record an exchange in %s: %s", self.directory, exc)


# --------------------------------------------------------------------------------------------
# Streams


def _error_event(message: str, code: str) -> bytes:
    error = {"message": message, "type": "api_error", "param": None, "code": code}
    return b"data: " + json.dumps({"error": error}).encode() + b"\n\n"


class _Relay(Response):
    """An ASGI response relaying an upstream event stream chunk by chunk as it arrives.

    A client that goes away (``http.disconnect``) cancels the relay, and the upstream
    response is closed at once: its connection to Vertex is released, not read to the end.
    """

    def __init__(
        self,
        upstream: http.Response,
        record: tuple[Recorder, str, Any] | None,
        raw_events: list[bytes] | None = None,
    ) -> None:
        super().__init__(status_code=upstream.status_code, media_type="text/event-stream")
        self._upstream = upstream
        self._record = record
        self._raw_events = raw_events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        received: list[bytes] = []
        keep = self._record is not None
        finished = False
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self._upstream.status_code,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                await self._pump(send, received if keep else None)
                finished = True
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._upstream.aclose()
        if self._record is not None and finished:  # not the half a client hung up on
            recorder, route, body = self._record
            status = self._upstream.status_code
            # Vertex's own events when the transport kept them (every stream it reads), else
            # the events as relayed.
            events = b"".join(self._raw_events or received)
            recorder.write(route, body, status, "text/event-stream", events)

    async def _pump(self, send: Send, received: list[bytes] | None) -> None:
        try:
            async for chunk in self._upstream.aiter_raw():
                if received is not None:
                    received.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except VertexStreamError as exc:
            await send(
                {
                    "type": "http.response.body",
                    "body": _error_event(str(exc), "stream_cut"),
                    "more_body": True,
                }
            )
        except http.HTTPError as exc:
            message = f"The Vertex AI stream failed: {type(exc).__name__}: {exc}"
            await send(
                {
                    "type": "http.response.body",
                    "body": _error_event(message, "upstream"),
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# --------------------------------------------------------------------------------------------
# The app


def _model(name: str) -> dict[str, Any]:
    """One model as OpenAI's ``/v1/models`` lists it."""
    return {"id": name, "object": "model", "created": 0, "owned_by": name.split("/")[0]}


def _is_loopback_host(header: str) -> bool:
    """Whether a ``Host`` header names a loopback address (with or without a port)."""
    host = header.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


class _Proxy:
    def __init__(
        self,
        connection: VertexConnection,
        key: str | None,
        models: Sequence[str],
        recorder: Recorder | None,
    ) -> None:
        self.connection = connection
        self._key = key.encode() if key else None
        self._models = list(models)
        self._recorder = recorder

    # -- guards -------------------------------------------------------------------------------

    def _refused(self, request: Request) -> Response | None:
        if self._key is not None:
            presented = request.headers.get("authorization", "")
            scheme, _, value = presented.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), self._key
            ):
                return openai_error(
                    401,
                    "Incorrect API key: this proxy needs the key it was started with "
                    "(--key) as the bearer token (OPENAI_API_KEY)",
                    "invalid_request_error",
                    "invalid_api_key",
                )
            return None
        if not _is_loopback_host(request.headers.get("host", "")):
            return openai_error(
                403,
                "This proxy has no --key and serves loopback requests only (Host must be "
                "127.0.0.1 or localhost)",
                "invalid_request_error",
                "forbidden_host",
            )
        return None

    async def _json_body(self, request: Request) -> dict[str, Any] | Response:
        content_type = request.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() != _JSON:
            return openai_error(
                415,
                f"Send the request body as JSON with Content-Type: {_JSON}",
                "invalid_request_error",
                "unsupported_media_type",
            )
        raw = await request.body()
        if len(raw) > _MAX_BODY:
            return openai_error(413, "Request body too large", "invalid_request_error")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return openai_error(
                400, f"The request body is not valid JSON: {exc}", "invalid_request_error"
            )
        if not isinstance(body, dict):
            return openai_error(
                400, "The request body must be a JSON object", "invalid_request_error"
            )
        return body

    def _with_model(self, body: dict[str, Any]) -> Response | None:
        """Bare Gemini names get ``google/`` (as in every class of the package)."""
        if not self.connection.target.is_openapi:
            return None  # a self-deployed endpoint ignores the model field
        model = body.get("model")
        if model is not None and not isinstance(model, str):
            return openai_error(
                400, "model must be a string", "invalid_request_error", param="model"
            )
        try:
            body["model"] = self.connection.model_name(model)
        except ValueError as exc:
            return openai_error(400, str(exc), "invalid_request_error", "model_not_found")
        return None

    # -- routes -------------------------------------------------------------------------------

    async def chat(self, request: Request) -> Response:
        return await self._forward(request, "chat/completions", "chat")

    async def embeddings(self, request: Request) -> Response:
        return await self._forward(request, "embeddings", "embeddings")

    def _listed(self) -> list[str]:
        if self._models:
            return self._models
        target = self.connection.target
        return list(DEFAULT_MODELS) if target.is_openapi else [target.endpoint]

    async def models(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return JSONResponse({"object": "list", "data": [_model(n) for n in self._listed()]})

    async def model(self, request: Request) -> Response:
        """``GET /v1/models/{id}``: a listed model (a bare name counts as its google/ form)."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        name = request.path_params["name"]
        if self.connection.target.is_openapi and "/" not in name and not name.endswith("-maas"):
            name = self.connection.model_name(name)
        if name not in self._listed():
            return openai_error(
                404,
                f"The model {name!r} is not in this proxy's list (--model); any model name is "
                "still forwarded to Vertex AI on chat and embeddings requests",
                "invalid_request_error",
                "model_not_found",
            )
        return JSONResponse(_model(name))

    async def _forward(self, request: Request, path: str, route: str) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        bad_model = self._with_model(body)
        if bad_model is not None:
            return bad_model
        client = self.connection.async_http_client()
        raw_events: list[bytes] = []
        # Only the body goes to Google: the client's headers (its Authorization above all)
        # stay here; the signed client adds the Google token itself.
        upstream_request = client.build_request(
            "POST",
            f"{self.connection.base_url}/{path}",
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": _JSON, "Accept": "application/json, text/event-stream"},
            # Recording: the transport copies a stream's bytes as Vertex sent them here.
            extensions={RAW_EVENTS: raw_events} if self._recorder is not None else None,
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except (CredentialsError, http.HTTPError) as exc:
            return _failure(exc)
        record = (self._recorder, route, body) if self._recorder is not None else None
        content_type = upstream.headers.get("content-type", _JSON)
        if upstream.status_code < 400 and content_type.startswith("text/event-stream"):
            return _Relay(upstream, record, raw_events)
        try:
            payload = await upstream.aread()
        except (CredentialsError, http.HTTPError) as exc:
            return _failure(exc)
        finally:
            await upstream.aclose()
        if record is not None:
            # An error is recorded as Vertex sent it (its list wrapper, its HTML page), not as
            # the transport rewrote it for OpenAI clients: a replay goes through that rewrite.
            raw_type, raw = upstream.extensions.get(VERTEX_ERROR, (content_type, payload))
            record[0].write(route, body, upstream.status_code, raw_type, raw, upstream.headers)
        if upstream.status_code >= 400:
            return _vertex_error(upstream.status_code, payload, upstream.headers)
        return Response(payload, status_code=upstream.status_code, media_type=content_type)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    return openai_error(
        status,
        f"{request.method} {request.url.path} is not served by this proxy (routes: POST "
        "/v1/chat/completions, POST /v1/embeddings, GET /v1/models)",
        "invalid_request_error",
        "unknown_url",
    )


def create_app(
    connection: VertexConnection,
    *,
    key: str | None = None,
    models: Sequence[str] = (),
    record: str | None = None,
) -> Starlette:
    """The proxy as an ASGI app (serve it with uvicorn; ``vertex-openai proxy`` does).

    Args:
        connection: where requests go and how they are signed.
        key: the bearer token every client must present; None serves loopback clients only.
        models: what ``GET /v1/models`` lists (bare names get ``google/``); empty:
            :data:`DEFAULT_MODELS` (a self-deployed endpoint: its id).
        record: a directory where each exchange is written (docs/replay.md).
    """
    listed = [connection.model_name(m) if connection.target.is_openapi else m for m in models]
    proxy = _Proxy(connection, key, listed, Recorder(record, connection) if record else None)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await connection.async_http_client().aclose()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", proxy.chat, methods=["POST"]),
            Route("/v1/embeddings", proxy.embeddings, methods=["POST"]),
            Route("/v1/models", proxy.models, methods=["GET"]),
            Route("/v1/models/{name:path}", proxy.model, methods=["GET"]),
        ],
        exception_handlers={404: _not_found, 405: _not_found},
        lifespan=lifespan,
    )
    app.state.proxy = proxy
    return app
