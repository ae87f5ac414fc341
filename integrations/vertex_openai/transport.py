"""Vertex's HTTP layer beneath the openai SDK: error bodies and stream integrity.

:class:`VertexTransport` / :class:`AsyncVertexTransport` wrap the transports of the HTTP library
the openai SDK is built on (httpx, or httpx2 under openai 3.x: :mod:`vertex_openai.sdk_http`):

* Vertex may send error bodies as a one-element JSON list ``[{"error": {...}}]`` (users'
  captures of the OpenAI-compatible endpoint, e.g. continuedev/continue#8967,
  google-gemini/gemini-cli#14811) or as a plain
  ``{"error": {...}}`` (Google's API error model, https://cloud.google.com/apis/design/errors);
  the openai SDK expects ``{"error": {...}}`` (openai 3.x otherwise shows only "Error code:
  400"). They rewrite it so the exception carries Vertex's status and message.
* An HTML error page (Google's front end answers an unknown route with one) becomes a short
  JSON error naming the status and URL.
* A server-sent-event stream that ends before ``data: [DONE]`` or a ``finish_reason``
  (connection cut, proxy timeout) raises :class:`~vertex_openai.VertexStreamError` instead of
  ending quietly with a partial answer; a compressed stream is judged once decoded.
* Streamed tool calls without an ``index`` (Gemini's) get one, so that every OpenAI client
  (the SDK's stream helpers, LangChain, LlamaIndex) keeps parallel calls apart.
* An error that says how long to wait (``google.rpc.RetryInfo``, ``Retry-After``), or a 429
  / 503 that does not, gets a ``retry-after-ms`` header the openai SDK's retries honour
  (:mod:`vertex_openai.retries`).
* OpenAI's ``service_tier`` request field becomes Vertex's consumption-option header
  (Flex / Priority PayGo); an undocumented value is refused before sending.
* A Gemini 3 chat request whose current turn has function calls no model signed gets Google's
  placeholder signature on them (:func:`~vertex_openai.gemini.sign_unsigned_tool_calls`).
* Chat answers, unary and streamed, get the model's reasoning out of ``content`` and into
  ``reasoning_content`` whatever form it came in (:mod:`vertex_openai.reasoning`): every
  client, the plain openai one included, reads the answer alone in ``content``.

Nothing here knows about models or frameworks: a new quirk of Vertex's HTTP answers goes here.
"""

from __future__ import annotations

import collections
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from .errors import VertexOptionError, VertexStreamError
from .gemini import ToolCallDeltas, sign_unsigned_tool_calls, validates_signatures
from .reasoning import (
    ReasoningHints,
    StreamReasoning,
    hints_from_payload,
    hints_from_request,
    mark_thoughts,
    normalize_message,
)
from .retries import retry_delay
from .sdk_http import decoders, http

__all__ = [
    "RAW_EVENTS",
    "VERTEX_ERROR",
    "AsyncVertexTransport",
    "VertexTransport",
    "normalize_error_body",
]

# --------------------------------------------------------------------------------------------
# Error bodies

# google.rpc.Code names by HTTP status (https://cloud.google.com/apis/design/errors).
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MAX_TEXT = 300


def _status_name(status_code: int) -> str:
    return _STATUS_NAMES.get(status_code, f"HTTP_{status_code}")


def normalize_error_body(
    status_code: int, content_type: str, body: bytes, method: str, url: str
) -> bytes | None:
    """The error body the openai SDK understands, or None to leave ``body`` as it is.

    * ``[{"error": {...}}]`` (Vertex) or ``{"error": {...}}`` → ``{"error": {...}}`` whose
      message starts with the status name (``"INVALID_ARGUMENT: Malformed ..."``) and whose
      ``type`` is that status name;
    * an HTML page → ``{"error": {"message": "Vertex AI answered HTTP 404 (NOT_FOUND) with an
      HTML error page for POST <url> ..."}}``, never the HTML itself;
    * any other non-JSON text → a short JSON error with the first 300 characters.
    """
    text = body.decode("utf-8", errors="replace").strip()
    parsed: Any = None
    if text[:1] in ("[", "{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
    if isinstance(parsed, list) and len(parsed) >= 1 and isinstance(parsed[0], Mapping):
        parsed = parsed[0]
    if isinstance(parsed, Mapping) and isinstance(parsed.get("error"), Mapping):
        error = dict(parsed["error"])
        status = str(error.get("status") or _status_name(status_code))
        message = str(error.get("message") or "")
        if not message.startswith(status):
            error["message"] = f"{status}: {message}" if message else status
        error.setdefault("type", status)
        return json.dumps({"error": error}).encode()
    if parsed is not None:
        return None  # some other JSON: the SDK shows it as is
    status = _status_name(status_code)
    if "html" in content_type.lower() or text.lower().startswith(("<!doctype", "<html")):
        message = (
            f"{status}: Vertex AI answered HTTP {status_code} with an HTML error page for "
            f"{method} {url} (check project, location, endpoint_id and api_endpoint: this URL "
            "is not a Vertex AI route)"
        )
    else:
        snippet = text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."
        message = f"{status}: HTTP {status_code} from {url}: {snippet or '(empty body)'}"
    error = {"code": status_code, "message": message, "status": status, "type": status}
    return json.dumps({"error": error}).encode()


#: ``request.extensions`` key: a list that receives an event stream's bytes as Vertex sent
#: them (decoded, before tool calls get their index), for ``vertex-openai proxy --record``.
RAW_EVENTS = "vertex_openai.raw_events"
#: ``response.extensions`` key of a rewritten error response: ``(content type, body)`` as Vertex
#: sent them (``vertex-openai proxy --record`` keeps Vertex's own bytes).
VERTEX_ERROR = "vertex_openai.vertex_error"


def _rebuilt(response: http.Response, request: http.Request, body: bytes) -> http.Response:
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower()
        not in ("content-length", "content-encoding", "transfer-encoding", "content-type")
    ]
    headers.append(("content-type", "application/json"))
    return http.Response(
        response.status_code,
        headers=headers,
        content=body,
        extensions={
            **response.extensions,
            VERTEX_ERROR: (response.headers.get("content-type", ""), response.content),
        },
        request=request,
    )


# --------------------------------------------------------------------------------------------
# Streams

# `data: [DONE]` at the start of a line (inside a JSON string a newline is escaped, so model
# text cannot fake it), or a non-null finish_reason (a JSON key, never escaped text).
_COMPLETE = re.compile(rb'(?:^|\n)data: ?\[DONE\]|"finish_reason"\s*:\s*"')
# A complete answer ends with `data: [DONE]` or with its last chunk's finish_reason, so only
# the end of the stream is looked at: the last few KiB, kept as the chunks themselves.
_WINDOW = 4096


class _Completion:
    """Keeps the end of an SSE stream to tell a complete answer from a cut one."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        chunks = self.chunks
        chunks.append(chunk)
        self.size += len(chunk)
        while self.size - len(chunks[0]) >= _WINDOW:
            self.size -= len(chunks.popleft())

    @property
    def complete(self) -> bool:
        """True when the end of the stream holds ``data: [DONE]`` or a finish_reason."""
        return _COMPLETE.search(b"".join(self.chunks)) is not None

    def error(self, url: http.URL, cause: BaseException | None = None) -> VertexStreamError:
        why = f" ({type(cause).__name__}: {cause})" if cause else ""
        return VertexStreamError(
            "The Vertex AI stream ended before the answer was complete (no finish_reason and "
            f"no [DONE]) from {url}{why}"
        )


class _Events:
    """One SSE body on its way to the SDK: decoded, checked for completeness, tool calls indexed.

    * Decoded here when compressed (``Content-Encoding: gzip``...): the completeness check and
      the tool-call fix must read the events, not compressed bytes; the response then goes on
      without its Content-Encoding.
    * Streamed tool-call deltas are put in OpenAI's form (:class:`~vertex_openai.gemini.
      ToolCallDeltas`): every OpenAI client merges them by ``index``, which Gemini leaves out
      or does not keep stable per call.
    """

    __slots__ = ("_calls", "_decoder", "_pending", "_reasoning", "_sink", "watch")

    def __init__(
        self,
        decoder: Any,
        hints: ReasoningHints | None = None,
        sink: list[bytes] | None = None,
    ) -> None:
        self._decoder = decoder
        self._sink = sink  # receives the decoded bytes as Vertex sent them (RAW_EVENTS)
        self._pending = b""  # an incomplete event held back (the SDK waits for whole events)
        self._calls = ToolCallDeltas()
        self._reasoning = StreamReasoning(hints or ReasoningHints())
        self.watch = _Completion()

    def _to_fix(self, data: bytes) -> bool:
        """Whether some event in ``data`` may need rewriting (cheap byte tests first)."""
        return (
            _TOOL_CALLS in data or self._reasoning.active or _REASONING in data or _THOUGHT in data
        )

    def feed(self, chunk: bytes) -> bytes:
        if self._decoder is not None:
            chunk = _joined(self._decoder.decode(chunk))
        if self._sink is not None:
            self._sink.append(chunk)
        self.watch.feed(chunk)
        if not self._pending and chunk.endswith(b"\n\n") and not self._to_fix(chunk):
            return chunk  # whole events, nothing to fix: as received
        return self._events(chunk)

    def end(self) -> bytes:
        rest = b""
        if self._decoder is not None:
            rest = _joined(self._decoder.flush())
            self.watch.feed(rest)
            if self._sink is not None:
                self._sink.append(rest)
        rest, self._pending = self._pending + rest, b""
        rest = self._fixed(rest) if self._to_fix(rest) else rest
        held = self._reasoning.flush()  # text held back by a stream without [DONE]
        if held is not None:
            rest += b"data: " + json.dumps(held, separators=(",", ":")).encode() + b"\n\n"
        return rest

    def _events(self, chunk: bytes) -> bytes:
        data = self._pending + chunk
        cut = data.rfind(b"\n\n")
        if cut < 0:
            self._pending = data
            return b""
        whole, self._pending = data[: cut + 2], data[cut + 2 :]
        return self._fixed(whole) if self._to_fix(whole) else whole

    def _fixed(self, events: bytes) -> bytes:
        lines = events.split(b"\n")
        for number, line in enumerate(lines):
            if not line.startswith(b"data:"):
                continue
            if line[5:].strip() == b"[DONE]":
                held = self._reasoning.flush()  # text still held back: before [DONE]
                if held is not None:
                    lines[number] = self._line(held) + b"\n\n" + line
            elif self._to_fix(line):
                lines[number] = self._rewritten(line)
        return b"\n".join(lines)

    @staticmethod
    def _line(payload: Any) -> bytes:
        return b"data: " + json.dumps(payload, separators=(",", ":")).encode()

    def _rewritten(self, line: bytes) -> bytes:
        try:
            payload = json.loads(line[5:])
        except ValueError:
            return line
        changed = _TOOL_CALLS in line and self._calls.normalize_chunk(payload)
        changed = self._reasoning.normalize_chunk(payload) or changed
        return self._line(payload) if changed else line


_TOOL_CALLS = b'"tool_calls"'
_REASONING = b'"reasoning"'
_THOUGHT = b'"thought"'


def _joined(decoded: bytes | Iterable[bytes]) -> bytes:
    """A content decoder's output as bytes: httpx's decoders return bytes, httpx2's yield
    bounded pieces (see :mod:`~vertex_openai.sdk_http`)."""
    return decoded if isinstance(decoded, bytes) else b"".join(decoded)


class _CheckedStream(http.SyncByteStream):
    # The state belongs to the stream, not to one iteration: openai 3.x iterates the stream
    # again after [DONE] to drain it, and that second pass must not look like a cut stream.
    def __init__(self, inner: http.SyncByteStream, url: http.URL, events: _Events) -> None:
        self._inner = inner
        self._url = url
        self._events = events

    def __iter__(self) -> Iterator[bytes]:
        events = self._events
        try:
            for chunk in self._inner:
                out = events.feed(chunk)
                if out:
                    yield out
        except http.TransportError as exc:
            if events.watch.complete:
                raise  # the answer was whole: a plain transport error, not a cut answer
            raise events.watch.error(self._url, exc) from exc
        out = events.end()
        if out:
            yield out
        if not events.watch.complete:
            raise events.watch.error(self._url)

    def close(self) -> None:
        self._inner.close()


class _AsyncCheckedStream(http.AsyncByteStream):
    def __init__(self, inner: http.AsyncByteStream, url: http.URL, events: _Events) -> None:
        self._inner = inner
        self._url = url
        self._events = events

    async def __aiter__(self) -> AsyncIterator[bytes]:
        events = self._events
        try:
            async for chunk in self._inner:
                out = events.feed(chunk)
                if out:
                    yield out
        except http.TransportError as exc:
            if events.watch.complete:
                raise
            raise events.watch.error(self._url, exc) from exc
        out = events.end()
        if out:
            yield out
        if not events.watch.complete:
            raise events.watch.error(self._url)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_event_stream(response: http.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/event-stream")


def _request_timeout(request: http.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, Mapping):
        values = [v for v in timeout.values() if isinstance(v, (int, float))]
        return max(values) if values else None
    return None


def _retries_taken(request: http.Request) -> int:
    try:
        return max(0, int(request.headers.get("x-stainless-retry-count", "0")))
    except ValueError:
        return 0


def _error_response(response: http.Response, request: http.Request, body: bytes) -> http.Response:
    """The error response with a body the openai SDK reads well (see normalize_error_body),
    and the wait Vertex asks for before a retry as ``retry-after-ms`` (see
    :func:`~vertex_openai.retries.retry_delay`), which the openai SDK honours."""
    fixed = normalize_error_body(
        response.status_code,
        response.headers.get("content-type", ""),
        body,
        request.method,
        str(request.url.copy_with(query=None)),
    )
    rebuilt = _rebuilt(response, request, body if fixed is None else fixed)
    delay = retry_delay(
        response.status_code,
        response.headers,
        body,
        retries_taken=_retries_taken(request),
        timeout=_request_timeout(request),
    )
    if delay is not None:
        rebuilt.headers["retry-after-ms"] = str(max(1, round(delay * 1000)))
    return rebuilt


def _events_of(
    response: http.Response, request: http.Request, hints: ReasoningHints | None
) -> _Events | None:
    """The event processing of an SSE response; None for any other response, or for an
    encoding we do not decode (then it is passed on untouched and httpx decodes it)."""
    if not _is_event_stream(response):
        return None
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return _Events(None, hints, request.extensions.get(RAW_EVENTS))
    factory = decoders.SUPPORTED_DECODERS.get(encoding)
    if factory is None:
        return None
    try:
        return _Events(factory(), hints, request.extensions.get(RAW_EVENTS))
    except ImportError:  # brotli / zstandard not installed
        return None


def _is_json(response: http.Response) -> bool:
    return "json" in str(response.headers.get("content-type", "")).lower()


def _unary_answer(
    response: http.Response, request: http.Request, body: bytes, hints: ReasoningHints
) -> http.Response:
    """A unary chat answer with its reasoning apart (see :mod:`vertex_openai.reasoning`)."""
    if not (
        _REASONING in body
        or b"think>" in body
        or hints.starts_inside
        or (hints.marker is not None and f"{hints.marker}>".encode() in body)
    ):
        return response
    try:
        payload = json.loads(body)
    except ValueError:
        return response
    choices = payload.get("choices") if isinstance(payload, dict) else None
    changed = False
    for choice in choices if isinstance(choices, list) else ():
        if isinstance(choice, dict):
            changed = normalize_message(choice.get("message"), hints) or changed
    if not changed:
        return response
    return _rebuilt(response, request, json.dumps(payload).encode())


def _streamed(
    response: http.Response,
    request: http.Request,
    stream: http.SyncByteStream | http.AsyncByteStream,
) -> http.Response:
    """``response`` with its body read through ``stream`` (decoded: no Content-Encoding)."""
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length")
    ]
    return http.Response(
        response.status_code,
        headers=headers,
        stream=stream,
        extensions=response.extensions,
        request=request,
    )


#: ``service_tier`` (OpenAI's request field) → Vertex's consumption-option header value.
#: Priority PayGo and Flex PayGo are chosen with ``X-Vertex-AI-LLM-Shared-Request-Type:
#: priority`` / ``flex`` (https://docs.cloud.google.com/vertex-ai/generative-ai/docs/priority-paygo,
#: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/flex-paygo); Standard PayGo is
#: the default, without the header ("standard", and OpenAI's "default" / "auto").
SERVICE_TIERS: dict[str, str | None] = {
    "standard": None,
    "default": None,
    "auto": None,
    "flex": "flex",
    "priority": "priority",
}
SHARED_REQUEST_TYPE_HEADER = "X-Vertex-AI-LLM-Shared-Request-Type"
_SERVICE_TIER = b'"service_tier"'


def _with_service_tier(request: http.Request) -> http.Request:
    """A request whose JSON ``service_tier`` became Vertex's consumption-option header.

    Vertex's OpenAI-compatible route takes the tier as a header, not as OpenAI's body field;
    the field is removed. A value Vertex does not document is refused before sending.

    Raises:
        VertexOptionError: an undocumented ``service_tier`` (``"scale"``...).
    """
    if request.method != "POST":
        return request
    try:
        body = request.content
    except http.RequestNotRead:
        return request
    if _SERVICE_TIER not in body:
        return request
    try:
        payload = json.loads(body)
    except ValueError:
        return request
    if not isinstance(payload, dict) or "service_tier" not in payload:
        return request
    tier = payload.pop("service_tier")
    if tier is not None and tier not in SERVICE_TIERS:
        raise VertexOptionError(
            f"service_tier={tier!r} is not a Vertex AI consumption option: use one of "
            f"{', '.join(repr(t) for t in SERVICE_TIERS)} (flex: Flex PayGo, priority: "
            "Priority PayGo; the others: Standard PayGo)"
        )
    headers = [
        (k, v)
        for k, v in request.headers.multi_items()
        if k.lower() not in ("content-length", SHARED_REQUEST_TYPE_HEADER.lower())
    ]
    value = SERVICE_TIERS.get(tier) if tier is not None else None
    if value is not None:
        headers.append((SHARED_REQUEST_TYPE_HEADER, value))
    return http.Request(
        request.method,
        request.url,
        headers=headers,
        content=json.dumps(payload, separators=(",", ":")).encode(),
        extensions=request.extensions,
    )


def _prepared(request: http.Request) -> tuple[http.Request, ReasoningHints | None]:
    """A chat request made right for Vertex, and what it tells about the answer's reasoning.

    * Unsigned Gemini 3 function calls of the current turn get Google's placeholder signature
      (:func:`~vertex_openai.gemini.sign_unsigned_tool_calls`).
    * Gemini thoughts asked for without a ``thought_tag_marker`` get one
      (:func:`~vertex_openai.reasoning.mark_thoughts`): untagged, a unary answer's thoughts
      could not be told from its text.

    Any other request is returned as it is, with None (no chat answer to read). Cheap byte
    tests skip the JSON parse when nothing can apply.
    """
    if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
        return request, None
    try:
        body = request.content
    except http.RequestNotRead:  # a streamed upload: not ours to rewrite
        return request, ReasoningHints()
    sign = _TOOL_CALLS in body and b"gemini-" in body
    mark = (b"include_thoughts" in body or b"includeThoughts" in body) and not (
        b"thought_tag_marker" in body or b"thoughtTagMarker" in body
    )
    if not sign and not mark:
        return request, hints_from_request(body)
    try:
        payload = json.loads(body)
    except ValueError:
        return request, ReasoningHints()
    if not isinstance(payload, dict):
        return request, ReasoningHints()
    changed = mark and mark_thoughts(payload)
    messages = payload.get("messages")
    if sign and validates_signatures(payload.get("model")) and isinstance(messages, list):
        changed = bool(sign_unsigned_tool_calls(messages)) or changed
    hints = hints_from_payload(payload)
    if not changed:
        return request, hints
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    rebuilt = http.Request(
        request.method,
        request.url,
        headers=headers,
        content=json.dumps(payload, separators=(",", ":")).encode(),
        extensions=request.extensions,
    )
    return rebuilt, hints


class VertexTransport(http.BaseTransport):
    """Wraps an httpx transport with Vertex's error and stream handling (see module doc)."""

    def __init__(self, inner: http.BaseTransport | None = None) -> None:
        self._inner = inner or http.HTTPTransport()

    def handle_request(self, request: http.Request) -> http.Response:
        request, hints = _prepared(_with_service_tier(request))
        response = self._inner.handle_request(request)
        if response.status_code >= 400:
            try:
                body = response.read()
            finally:
                response.close()
            return _error_response(response, request, body)
        events = _events_of(response, request, hints)
        if events is not None:
            stream = response.stream
            assert isinstance(stream, http.SyncByteStream)
            return _streamed(response, request, _CheckedStream(stream, request.url, events))
        if hints is not None and _is_json(response):
            return _unary_answer(response, request, response.read(), hints)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncVertexTransport(http.AsyncBaseTransport):
    """Async :class:`VertexTransport`."""

    def __init__(self, inner: http.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or http.AsyncHTTPTransport()

    async def handle_async_request(self, request: http.Request) -> http.Response:
        request, hints = _prepared(_with_service_tier(request))
        response = await self._inner.handle_async_request(request)
        if response.status_code >= 400:
            try:
                body = await response.aread()
            finally:
                await response.aclose()
            return _error_response(response, request, body)
        events = _events_of(response, request, hints)
        if events is not None:
            stream = response.stream
            assert isinstance(stream, http.AsyncByteStream)
            return _streamed(response, request, _AsyncCheckedStream(stream, request.url, events))
        if hints is not None and _is_json(response):
            return _unary_answer(response, request, await response.aread(), hints)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
