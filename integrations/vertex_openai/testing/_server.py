"""The emulator's HTTP side (private): stdlib ThreadingHTTPServer + request handler."""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import json
import re
import secrets
import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import _errors
from ._auth import JWT_BEARER_GRANT, REFRESH_GRANT, JWTError, signing_key, verify_assertion
from ._model import (
    ChatError,
    ChatPlan,
    check_thought_signatures,
    embedding_vector,
    plan_chat,
    split_words,
    word_count,
)
from ._records import RecordedRequest, TokenRequest

if TYPE_CHECKING:
    from .emulator import VertexEmulator

# Routes: googleapis/python-aiplatform prediction_service rest_base.py (VERTEX_FACTS.md,
# "Base URLs"). Vertex documents /embeddings on endpoints/openapi only; the emulator also
# serves it on self-deployed endpoints (an embedding model deployed from Model Garden behind
# vLLM answers the OpenAI route there), which is unconfirmed.
_API_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/endpoints(?:/(?P<endpoint>[^/:]+)/(?P<action>chat/completions|embeddings))?$"
)
_MAX_BODY = 64 * 1024 * 1024

_TOKEN_ERROR_TEXT: dict[str, str] = {
    # Google OAuth's usual descriptions for these codes.
    "invalid_grant": "Invalid grant: account not found",
    "invalid_client": "The OAuth client was not found.",
    "temporarily_unavailable": "The service is temporarily unavailable.",
    "internal_failure": "Backend error.",
    "server_error": "Backend error.",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive handlers would otherwise block server_close()
    request_queue_size = 256  # listen backlog well above 5 ([facts] "Auth")
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: VertexEmulator) -> None:
        self.emulator = emulator
        self.open_connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping connections (resets, timeouts, a stopped emulator) are routine.
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError)):
            return
        super().handle_error(request, client_address)


def _is_token_array(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    )


def _response_id() -> str:
    # Vertex chat ids look like "2025-06-11|10:00:00.292195-07|9.7.144.202|-123456789"
    # ([maas], H).
    now = _dt.datetime.now().astimezone()
    offset = now.utcoffset() or _dt.timedelta()
    hours = int(offset.total_seconds() // 3600)
    return f"{now:%Y-%m-%d|%H:%M:%S.%f}{hours:+03d}|127.0.0.1|-{secrets.randbelow(10**9) + 10**8}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; streams use chunked transfer-encoding
    server_version = "scaffolding on HTTPServer2"  # what Google front ends call themselves
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server

    # ------------------------------------------------------------------ plumbing

    _entry: RecordedRequest | None = None

    def send_response(self, code: int, message: str | None = None) -> None:
        # Settle the log entry's status before any byte of the answer leaves, so a client
        # that has its answer always finds the final status in ``emulator.requests``.
        if self._entry is not None:
            self.server.emulator._finish(self._entry, code)
            self._entry = None
        super().send_response(code, message)

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.open_connections.discard(self.connection)
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

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=UTF-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode())

    def _send_error_json(
        self,
        status: int,
        message: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(status, _errors.error_json(status, message, details), headers=headers)

    def _drop(self) -> None:
        """Close the TCP connection without (further) answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self) -> None:
        emu = self.server.emulator
        try:
            raw_body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(413, _errors.html_error_page(413, self.path), "text/html; charset=UTF-8")
            return
        split = urlsplit(self.path)
        path = split.path
        if path == "/token" and self.command == "POST":
            try:
                self._handle_token(raw_body)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self._drop()
            return

        match = _API_PATH.match(path)
        route = "unknown"
        if match is not None:
            if match["endpoint"] is None and self.command == "GET":
                route = "endpoints"
            elif match["endpoint"] is not None and self.command == "POST":
                route = "chat" if match["action"] == "chat/completions" else "embeddings"
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
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        entry = RecordedRequest(
            method=self.command,
            path=path,
            route=route,
            headers=headers,
            body=body,
            token=token,
            api_version=match["version"] if match else None,
            project=unquote(match["project"]) if match else None,
            location=unquote(match["location"]) if match else None,
            endpoint_id=unquote(match["endpoint"]) if match and match["endpoint"] else None,
            status=0,
            query=query,
            time=time.time(),
        )
        emu._record(entry)
        self._entry = entry
        status = 0  # 0 stays when the connection is dropped without an answer
        try:
            status = self._handle_api(entry, raw_body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self._drop()
        except Exception:
            # An emulator bug: answer 500 INTERNAL (if nothing was sent yet) and show it.
            traceback.print_exc()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send_error_json(500)
        finally:
            if self._entry is not None:
                emu._finish(entry, status)
                self._entry = None

    def _handle_api(self, entry: RecordedRequest, raw_body: bytes) -> int:
        """Answer a Vertex API request; returns the HTTP status answered."""
        emu = self.server.emulator
        if entry.route == "unknown":
            # No such route (e.g. /models; [routes] has none): Google's HTML 404 ([facts] M).
            self._send(404, _errors.html_error_page(404, entry.path), "text/html; charset=UTF-8")
            return 404
        emu._sleep(emu._latency_for(entry.route))

        method_name = {
            "chat": "ChatCompletions",
            "embeddings": "Invoke",
            "endpoints": "ListEndpoints",
        }[entry.route]
        service = "EndpointService" if entry.route == "endpoints" else "PredictionService"
        rpc = f"google.cloud.aiplatform.{entry.api_version}.{service}.{method_name}"
        if entry.token is None or not emu._tokens.check(entry.token):
            # 401 UNAUTHENTICATED, reason ACCESS_TOKEN_TYPE_UNSUPPORTED for a bad/expired token
            # ([facts] "Errors", M); CREDENTIALS_MISSING when none is sent (standard GFE).
            missing = entry.token is None
            self._send_error_json(
                401,
                _errors.MISSING_CREDENTIALS_MESSAGE
                if missing
                else _errors.INVALID_CREDENTIALS_MESSAGE,
                [
                    _errors.error_info(
                        "CREDENTIALS_MISSING" if missing else "ACCESS_TOKEN_TYPE_UNSUPPORTED", rpc
                    )
                ],
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
            return 401

        fault = emu._take_fault(entry.route)
        if fault is not None:
            headers: dict[str, str] = {}
            if fault.retry_after is not None:
                value = fault.retry_after
                headers["Retry-After"] = str(int(value)) if value == int(value) else str(value)
            if fault.html:
                self._send(
                    fault.status,
                    _errors.html_error_page(fault.status, entry.path),
                    "text/html; charset=UTF-8",
                    headers,
                )
            else:
                self._send_error_json(fault.status, fault.message, headers=headers)
            return fault.status

        project, location = entry.project or "", entry.location or ""
        if emu.enforce_project and project not in (emu.project, emu.project_number):
            # [facts] "Errors": 403 PERMISSION_DENIED, "Permission '...' denied on
            # resource ... (or it may not exist)." with reason IAM_PERMISSION_DENIED (M/H).
            permission = "aiplatform.endpoints." + (
                "list" if entry.route == "endpoints" else "predict"
            )
            resource = f"//aiplatform.googleapis.com/projects/{project}/locations/{location}"
            if entry.endpoint_id is not None:
                resource += f"/endpoints/{entry.endpoint_id}"
            self._send_error_json(
                403,
                f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
                [
                    _errors.error_info(
                        "IAM_PERMISSION_DENIED", rpc, permission=permission, resource=resource[2:]
                    )
                ],
            )
            return 403

        if entry.route == "endpoints":
            return self._list_endpoints(entry)

        endpoint = None
        if entry.endpoint_id != "openapi":
            endpoint = emu._endpoint(entry.endpoint_id or "")
            if endpoint is None or endpoint.location != location:
                # Guessed wording; 404 list-wrapped like other unknown resources ([facts] "Models").
                self._send_error_json(
                    404,
                    f"Endpoint `projects/{project}/locations/{location}/endpoints/"
                    f"{entry.endpoint_id}` not found.",
                )
                return 404

        if not isinstance(entry.body, dict):
            self._send_error_json(400, "Invalid JSON payload received. Unexpected token.")
            return 400
        body: dict[str, Any] = entry.body

        model: str
        if endpoint is not None:
            # Self-deployed endpoints ignore the model field ([overview] samples; [facts] H).
            model = endpoint.model
        else:
            sent = body.get("model")
            model = sent if isinstance(sent, str) else ""
            error = self._check_model(model, project, location)
            if error is not None:
                return error
        try:
            if entry.route == "embeddings":
                return self._embeddings(body, str(model))
            return self._chat(body, str(model), gemini3=endpoint is None and "gemini-3" in model)
        except ChatError as exc:
            self._send_error_json(exc.status, exc.message)
            return exc.status

    def _check_model(self, model: str, project: str, location: str) -> int | None:
        emu = self.server.emulator
        publisher, _, name = model.partition("/")
        if not publisher or not name:
            # publisher/model is required on openapi ([overview], H); the 400 text is [facts] M.
            self._send_error_json(
                400, "Malformed publisher model name: expected format '<publisher>/<model>'"
            )
            return 400
        if emu.known_models is not None and model not in emu.known_models:
            # Unknown publisher model: 404, list-wrapped ([facts] "Models", M); the wording
            # is Vertex's usual "Publisher Model ... was not found" text.
            self._send_error_json(
                404,
                f"Publisher Model `projects/{project}/locations/{location}/publishers/{publisher}"
                f"/models/{name}` was not found or your project does not have access to it. "
                "Please ensure you are using a valid model version. For more information, see: "
                "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
            )
            return 404
        return None

    # ------------------------------------------------------------------ chat

    def _chat(self, body: dict[str, Any], model: str, *, gemini3: bool) -> int:
        emu = self.server.emulator
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ChatError(400, "Invalid request: messages must be a non-empty list.")
        if gemini3:
            problem = check_thought_signatures(messages, emu._signature_ok)
            if problem is not None:
                raise ChatError(400, problem)
        queued = emu._pop_reply()
        stream = body.get("stream") is True
        if queued is not None and queued.raw is not None:
            if stream:
                events = queued.raw if isinstance(queued.raw, list) else [queued.raw]
                return self._stream_events(
                    [json.dumps(e) for e in events], emu._take_stream_fault()
                )
            self._send_json(200, queued.raw)
            return 200
        try:
            plan = plan_chat(
                body,
                gemini3=gemini3,
                queued=queued,
                new_call_id=emu._new_call_id,
                new_signature=emu._new_signature,
            )
        except ChatError:
            if queued is not None:
                emu._push_back_reply(queued)
            raise
        response_id, created = _response_id(), int(time.time())
        if stream:
            return self._stream_chat(plan, body, model, response_id, created)
        # Unary shape per [maas] (H).
        payload = {
            "choices": [
                {
                    "finish_reason": choice["finish_reason"],
                    "index": index,
                    "logprobs": None,
                    "message": choice["message"],
                }
                for index, choice in enumerate(plan.choices)
            ],
            "created": created,
            "id": response_id,
            "model": model,
            "object": "chat.completion",
            "system_fingerprint": "",
            "usage": plan.usage,
        }
        self._send_json(200, payload)
        return 200

    def _stream_chat(
        self, plan: ChatPlan, body: dict[str, Any], model: str, response_id: str, created: int
    ) -> int:
        emu = self.server.emulator

        def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> str:
            payload: dict[str, Any] = {
                "choices": choices,
                "created": created,
                "id": response_id,
                "model": model,
                "object": "chat.completion.chunk",
                "system_fingerprint": "",
            }
            if usage is not None:
                payload["usage"] = usage
            return json.dumps(payload)

        def delta(index: int, content: dict[str, Any]) -> dict[str, Any]:
            return {"delta": content, "finish_reason": None, "index": index, "logprobs": None}

        events: list[str] = []
        for index, choice in enumerate(plan.choices):
            message = choice["message"]
            extra = message.get("extra_content")
            text = message.get("content") or ""
            first: dict[str, Any] = {"role": "assistant", "content": ""}
            if extra is not None and not text:
                first["extra_content"] = extra
            events.append(chunk([delta(index, first)]))
            for n, piece in enumerate(split_words(text)):
                part: dict[str, Any] = {"content": piece}
                if n == 0 and extra is not None:
                    # A message-level extra_content rides on the first content delta.
                    part["extra_content"] = extra
                events.append(chunk([delta(index, part)]))
            for position, call in enumerate(message.get("tool_calls") or []):
                # Whole tool call in one delta, with its extra_content ([facts]
                # "Gemini 3 thought signatures": L; index kept for OpenAI clients).
                events.append(chunk([delta(index, {"tool_calls": [{"index": position, **call}]})]))
        # usage on the last chunk, sent even without stream_options ([maas], H; unconfirmed
        # for Gemini); always_stream_usage=False sends it only when include_usage is asked.
        options = body.get("stream_options")
        wants_usage = isinstance(options, dict) and options.get("include_usage") is True
        last_choices = [
            {"delta": {}, "finish_reason": c["finish_reason"], "index": i, "logprobs": None}
            for i, c in enumerate(plan.choices)
        ]
        events.append(
            chunk(last_choices, plan.usage if (emu.always_stream_usage or wants_usage) else None)
        )
        return self._stream_events(events, emu._take_stream_fault())

    def _stream_events(self, events: list[str], fault: Any) -> int:
        emu = self.server.emulator
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with emu._lock:
            pause = emu._chunk_delay

        def write(data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        for sent, event in enumerate(events):
            if fault is not None and fault.kind == "cut" and sent >= fault.after_chunks:
                self._drop()  # no terminating chunk, no [DONE]
                return 200
            write(f"data: {event}\n\n".encode())
            if fault is not None and fault.kind == "malform" and sent == 0:
                write(b'data: {"choices": [{"delta": {"content": "unterminated\n\n')
            emu._sleep(pause)
        if fault is not None and fault.kind == "cut":
            self._drop()
            return 200
        write(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        return 200

    # ------------------------------------------------------------------ embeddings

    def _embeddings(self, body: dict[str, Any], model: str) -> int:
        emu = self.server.emulator
        raw_input = body.get("input")
        items: list[Any]
        if isinstance(raw_input, str) or _is_token_array(raw_input):
            items = [raw_input]
        elif isinstance(raw_input, list):
            items = raw_input
        else:
            items = []
        texts: list[str] = []
        for item in items:
            if isinstance(item, str):
                texts.append(item)
            elif emu.accept_token_arrays and _is_token_array(item):
                texts.append(" ".join(map(str, item)))
            else:
                texts = []
                break
        if not texts:
            # Whether Vertex takes token-id arrays is unknown ([facts] "Clients"):
            # rejected unless accept_token_arrays; the wording is a guess.
            raise ChatError(400, "Invalid input: expected a string or a list of strings.")
        dims = body.get("dimensions", emu.embedding_dimensions)
        if dims is None:
            dims = emu.embedding_dimensions
        if not isinstance(dims, int) or isinstance(dims, bool) or dims < 1:
            raise ChatError(400, f"Invalid value for dimensions: {dims!r}.")
        # base64 = float32 little-endian, as OpenAI does. Vertex's support for
        # encoding_format is unconfirmed: embeddings_base64=False ignores it (floats always).
        as_base64 = emu.embeddings_base64 and body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = embedding_vector(text, dims)
            value: Any = (
                base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"embedding": value, "index": index, "object": "embedding"})
        tokens = sum(word_count(t) for t in texts)
        self._send_json(
            200,
            {
                "data": data,
                "model": model,
                "object": "list",
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )
        return 200

    # ------------------------------------------------------------------ endpoints

    def _list_endpoints(self, entry: RecordedRequest) -> int:
        emu = self.server.emulator
        project, location = entry.project or "", entry.location or ""
        try:
            size = int(entry.query.get("pageSize") or 0)
            token = entry.query.get("pageToken") or ""
            offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError:
            self._send_error_json(400, "Invalid page token or page size.")  # guessed wording
            return 400
        if size <= 0:
            size = emu.page_size
        endpoints = emu._endpoints_in(location)
        page = endpoints[offset : offset + size]
        name_project = emu.project_number if emu.names_with_project_number else project
        items = []
        for ep in page:
            # Resource fields per the REST reference `projects.locations.endpoints` (H);
            # dedicatedEndpointDns has no scheme ([endpoints-ref], H).
            item: dict[str, Any] = {
                "name": f"projects/{name_project}/locations/{ep.location}/endpoints/"
                f"{ep.endpoint_id}",
                "displayName": ep.display_name,
                "deployedModels": ep.deployed_models,
                "createTime": ep.create_time,
                "updateTime": ep.create_time,
            }
            if ep.dedicated_dns:
                item["dedicatedEndpointEnabled"] = True
                item["dedicatedEndpointDns"] = ep.dedicated_dns
            items.append(item)
        # Proto3 JSON omits empty repeated fields and empty strings: an empty listing is {}.
        payload: dict[str, Any] = {}
        if items:
            payload["endpoints"] = items
        if offset + size < len(endpoints):
            payload["nextPageToken"] = base64.urlsafe_b64encode(
                str(offset + size).encode()
            ).decode()
        self._send_json(200, payload)
        return 200

    # ------------------------------------------------------------------ OAuth

    def _handle_token(self, raw_body: bytes) -> None:
        emu = self.server.emulator
        form: dict[str, str] = {}
        if "json" in self.headers.get("Content-Type", ""):
            with contextlib.suppress(ValueError):
                parsed = json.loads(raw_body)
                if isinstance(parsed, dict):
                    form = {k: str(v) for k, v in parsed.items()}
        else:
            form = {k: v[-1] for k, v in parse_qs(raw_body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        with emu._lock:
            latency = emu._token_latency
        emu._sleep(latency)

        # Log entries are written before answering, so a client sees them once answered.
        def refuse(status: int, error: str, description: str | None) -> None:
            emu._record_token(TokenRequest(time.time(), grant, status, error))
            self._send(
                status,
                _errors.oauth_error_json(error, description),
                "application/json; charset=utf-8",
            )

        fault = emu._take_token_fault()
        if fault is not None:
            if fault.disconnect:
                emu._record_token(TokenRequest(time.time(), grant, 0, "disconnect"))
                self._drop()
                return
            description = fault.description or _TOKEN_ERROR_TEXT.get(fault.error, fault.error)
            refuse(fault.status, fault.error, description)
            return

        if grant == JWT_BEARER_GRANT:
            key, _, _ = signing_key()
            try:
                claims = verify_assertion(
                    form.get("assertion", ""), key.public_key(), emu.client_email
                )
            except JWTError as exc:
                refuse(400, "invalid_grant", str(exc))
                return
            if not claims.get("scope") and not claims.get("target_audience"):
                refuse(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
                return
        elif grant == REFRESH_GRANT:
            client = emu._tokens.refresh_client(form.get("refresh_token", ""))
            if form.get("client_id") != emu.oauth_client_id or (
                form.get("client_secret") != emu.oauth_client_secret
            ):
                refuse(401, "invalid_client", _TOKEN_ERROR_TEXT["invalid_client"])
                return
            if client is None:
                refuse(400, "invalid_grant", "Token has been expired or revoked.")
                return
        else:
            refuse(400, "unsupported_grant_type", f"Invalid grant_type: {grant or ''}")
            return
        lifetime = emu.token_lifetime
        access_token = emu._tokens.issue(lifetime)
        emu._record_token(TokenRequest(time.time(), grant, 200, None, access_token))
        self._send(
            200,
            json.dumps(
                {"access_token": access_token, "expires_in": int(lifetime), "token_type": "Bearer"}
            ).encode(),
            "application/json; charset=utf-8",
            {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
        )
