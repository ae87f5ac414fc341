"""What goes over the wire to and from Vertex, beyond plain OpenAI Chat Completions.

* :class:`VertexTransport` / :class:`AsyncVertexTransport` wrap httpx's transports:
  - Vertex sends error bodies as a one-element JSON list ``[{"error": {...}}]`` (VERTEX_FACTS.md,
    "Errors"); the openai SDK expects ``{"error": {...}}`` (openai 3.x otherwise shows only
    "Error code: 400"). They rewrite it so the exception carries Vertex's status and message.
  - An HTML error page (unknown route) becomes a short JSON error naming the status and URL.
  - A server-sent-event stream that ends before ``data: [DONE]`` or a ``finish_reason``
    (connection cut, proxy timeout) raises :class:`~vertex_openai.VertexStreamError` instead
    of ending quietly with a partial answer.
* :func:`google_options` / :func:`merge_extra_body`: Gemini options (thinking, safety, context
  cache, thought tags) carried in the request JSON as ``{"extra_body": {"google": {...}}}``.
* :func:`capture_extra_content` / :func:`restore_extra_content`: Gemini 3 thought signatures,
  kept from a response and sent back unchanged on the next turn.
"""

from __future__ import annotations

import collections
import copy
import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import httpx

from .errors import VertexStreamError

__all__ = [
    "EXTRA_CONTENT_KEY",
    "AsyncVertexTransport",
    "VertexTransport",
    "capture_extra_content",
    "google_options",
    "merge_extra_body",
    "merge_extra_content",
    "normalize_error_body",
    "restore_extra_content",
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
    501: "NOT_IMPLEMENTED",
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


def _rebuilt(response: httpx.Response, request: httpx.Request, body: bytes) -> httpx.Response:
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower()
        not in ("content-length", "content-encoding", "transfer-encoding", "content-type")
    ]
    headers.append(("content-type", "application/json"))
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        extensions=response.extensions,
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

    def error(self, url: httpx.URL, cause: BaseException | None = None) -> VertexStreamError:
        why = f" ({type(cause).__name__}: {cause})" if cause else ""
        return VertexStreamError(
            "The Vertex AI stream ended before the answer was complete (no finish_reason and "
            f"no [DONE]) from {url}{why}"
        )


class _CheckedStream(httpx.SyncByteStream):
    # The watch belongs to the stream, not to one iteration: openai 3.x iterates the stream
    # again after [DONE] to drain it, and that second pass must not look like a cut stream.
    def __init__(self, inner: httpx.SyncByteStream, url: httpx.URL) -> None:
        self._inner = inner
        self._url = url
        self._watch = _Completion()

    def __iter__(self) -> Iterator[bytes]:
        watch = self._watch
        try:
            for chunk in self._inner:
                watch.feed(chunk)
                yield chunk
        except httpx.TransportError as exc:
            if watch.complete:
                raise  # the answer was whole: a plain transport error, not a cut answer
            raise watch.error(self._url, exc) from exc
        if not watch.complete:
            raise watch.error(self._url)

    def close(self) -> None:
        self._inner.close()


class _AsyncCheckedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, url: httpx.URL) -> None:
        self._inner = inner
        self._url = url
        self._watch = _Completion()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        watch = self._watch
        try:
            async for chunk in self._inner:
                watch.feed(chunk)
                yield chunk
        except httpx.TransportError as exc:
            if watch.complete:
                raise
            raise watch.error(self._url, exc) from exc
        if not watch.complete:
            raise watch.error(self._url)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_event_stream(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/event-stream")


def _error_response(
    response: httpx.Response, request: httpx.Request, body: bytes
) -> httpx.Response:
    """The error response with a body the openai SDK reads well (see normalize_error_body)."""
    fixed = normalize_error_body(
        response.status_code,
        response.headers.get("content-type", ""),
        body,
        request.method,
        str(request.url.copy_with(query=None)),
    )
    return _rebuilt(response, request, body if fixed is None else fixed)


def _streamed(
    response: httpx.Response,
    request: httpx.Request,
    stream: httpx.SyncByteStream | httpx.AsyncByteStream,
) -> httpx.Response:
    """``response`` with its body read through the completeness check."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
        request=request,
    )


class VertexTransport(httpx.BaseTransport):
    """Wraps an httpx transport with Vertex's error and stream handling (see module doc)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if response.status_code >= 400:
            try:
                body = response.read()
            finally:
                response.close()
            return _error_response(response, request, body)
        if _is_event_stream(response):
            stream = response.stream
            assert isinstance(stream, httpx.SyncByteStream)
            return _streamed(response, request, _CheckedStream(stream, request.url))
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncVertexTransport(httpx.AsyncBaseTransport):
    """Async :class:`VertexTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if response.status_code >= 400:
            try:
                body = await response.aread()
            finally:
                await response.aclose()
            return _error_response(response, request, body)
        if _is_event_stream(response):
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            return _streamed(response, request, _AsyncCheckedStream(stream, request.url))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


# --------------------------------------------------------------------------------------------
# Gemini options


def google_options(
    *,
    thinking_budget: int | None = None,
    thinking_level: str | None = None,
    include_thoughts: bool | None = None,
    safety_settings: Sequence[Mapping[str, Any]] | None = None,
    cached_content: str | None = None,
    thought_tag_marker: str | None = None,
) -> dict[str, Any]:
    """Gemini options as Vertex reads them under ``extra_body.google`` (empty when none).

    Vertex docs, "OpenAI compatibility: extra_body" (VERTEX_FACTS.md, "Request"):
    ``thinking_config`` (thinking_budget, thinking_level, include_thoughts),
    ``safety_settings``, ``cached_content``, ``thought_tag_marker``.
    """
    google: dict[str, Any] = {}
    thinking = {
        key: value
        for key, value in (
            ("thinking_budget", thinking_budget),
            ("thinking_level", thinking_level),
            ("include_thoughts", include_thoughts),
        )
        if value is not None
    }
    if thinking:
        google["thinking_config"] = thinking
    if safety_settings is not None:
        google["safety_settings"] = [dict(s) for s in safety_settings]
    if cached_content is not None:
        google["cached_content"] = cached_content
    if thought_tag_marker is not None:
        google["thought_tag_marker"] = thought_tag_marker
    return google


def _deep_merge(into: MutableMapping[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        current = into.get(key)
        if isinstance(current, MutableMapping) and isinstance(value, Mapping):
            _deep_merge(current, value)
        else:
            into[key] = copy.deepcopy(value)


def merge_extra_body(
    extra_body: Mapping[str, Any] | None,
    google: Mapping[str, Any] | None,
    *,
    reasoning_effort: str | None = None,
) -> dict[str, Any] | None:
    """The openai SDK's ``extra_body`` with ``google`` merged under ``extra_body.google``.

    The openai SDK merges its ``extra_body`` argument into the request JSON, and Vertex reads
    Google's options from the JSON key ``extra_body`` (VERTEX_FACTS.md, "Request"), hence the
    doubled name. The user's own ``extra_body`` is kept; typed options win on the same key.

    Raises:
        ValueError: ``reasoning_effort`` combined with a thinking config (Vertex accepts only
            one of them).
    """
    merged: dict[str, Any] = copy.deepcopy(dict(extra_body)) if extra_body else {}
    if google:
        _deep_merge(merged, {"extra_body": {"google": google}})
    inner = merged.get("extra_body")
    thinking = (
        inner.get("google", {}).get("thinking_config") if isinstance(inner, Mapping) else None
    )
    if reasoning_effort is not None and thinking:
        raise ValueError(
            "reasoning_effort cannot be combined with thinking options (thinking_budget, "
            "thinking_level, include_thoughts or extra_body.google.thinking_config): Vertex "
            "accepts only one of them"
        )
    return merged or None


# --------------------------------------------------------------------------------------------
# Gemini 3 thought signatures

#: Key under which framework messages keep what Vertex needs back (in additional_kwargs).
EXTRA_CONTENT_KEY = "vertex_extra_content"


def _field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping, else the attribute (openai SDK objects keep extra fields)."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def capture_extra_content(message: Any) -> dict[str, Any] | None:
    """What a Vertex assistant message (or stream delta) carries that must come back.

    Gemini 3 puts ``extra_content.google.thought_signature`` on tool calls and sometimes on
    the message itself (Vertex "thought signatures" doc; VERTEX_FACTS.md). The whole
    ``extra_content`` objects are kept exactly as received.

    Args:
        message: the message or delta, as a dict or as the openai SDK's object (its models
            keep unknown fields such as ``extra_content``; no ``model_dump`` is needed).

    Returns ``{"message": {...}?, "tool_calls": [{"id", "index", "extra_content"}]?}`` (plain
    JSON, so it survives serialization of the framework's message), or None.
    """
    if message is None:
        return None
    captured: dict[str, Any] = {}
    extra = _field(message, "extra_content")
    if isinstance(extra, Mapping) and extra:
        captured["message"] = copy.deepcopy(dict(extra))
    calls = []
    for position, call in enumerate(_field(message, "tool_calls") or ()):
        extra = _field(call, "extra_content")
        if isinstance(extra, Mapping) and extra:
            index = _field(call, "index")
            calls.append(
                {
                    "id": _field(call, "id"),
                    "index": index if isinstance(index, int) else position,
                    "extra_content": copy.deepcopy(dict(extra)),
                }
            )
    if calls:
        captured["tool_calls"] = calls
    return captured or None


def restore_extra_content(
    payload_messages: Sequence[MutableMapping[str, Any]],
    captured: Sequence[Mapping[str, Any] | None],
) -> None:
    """Put captured ``extra_content`` back on outgoing assistant messages, in place.

    Args:
        payload_messages: OpenAI-format messages about to be sent.
        captured: what :func:`capture_extra_content` returned for each assistant message of
            the conversation, in order (None where nothing was captured).

    Tool calls are matched by id first, then by position in their message; message-level
    content by the order of assistant messages. What a message already carries is kept.
    """
    if not any(captured):
        return
    by_id: dict[str, Any] = {}
    for item in captured:
        for call in (item or {}).get("tool_calls", ()):
            if call.get("id"):
                by_id[str(call["id"])] = call["extra_content"]
    assistants = [m for m in payload_messages if m.get("role") == "assistant"]
    for message, item in zip(assistants, captured, strict=False):
        item = item or {}
        if "message" in item and "extra_content" not in message:
            message["extra_content"] = copy.deepcopy(item["message"])
        positional = {c["index"]: c["extra_content"] for c in item.get("tool_calls", ())}
        for position, call in enumerate(message.get("tool_calls") or ()):
            if "extra_content" in call:
                continue
            extra = by_id.get(str(call.get("id"))) or positional.get(position)
            if extra is not None:
                call["extra_content"] = copy.deepcopy(extra)
    # Tool calls of assistant messages beyond the captured ones (matched by id alone).
    for message in assistants[len(captured) :]:
        for call in message.get("tool_calls") or ():
            extra = by_id.get(str(call.get("id")))
            if extra is not None and "extra_content" not in call:
                call["extra_content"] = copy.deepcopy(extra)


def merge_extra_content(
    captured: Mapping[str, Any] | None, update: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Fold what :func:`capture_extra_content` found in one stream delta into an answer's.

    A streamed answer carries ``extra_content`` on its deltas (Gemini 3 sends a whole tool call,
    signature included, in one delta; a message-level signature rides on a content delta;
    VERTEX_FACTS.md, "Gemini 3 thought signatures"). Call :func:`capture_extra_content` on each
    delta and fold the results in order::

        captured = None
        for delta in deltas:
            captured = merge_extra_content(captured, capture_extra_content(delta))

    Message-level objects are deep-merged (later keys win). Tool call entries with the same
    ``index`` (the stream's tool call index) are combined: a missing ``id`` is filled in and
    ``extra_content`` deep-merged; new indexes are appended. Returns a new dict in the shape
    :func:`restore_extra_content` reads (the inputs are not modified), or None when both are
    empty.
    """
    result: dict[str, Any] = copy.deepcopy(dict(captured)) if captured else {}
    if not update:
        return result or None
    if isinstance(update.get("message"), Mapping):
        message = result.setdefault("message", {})
        _deep_merge(message, update["message"])
    calls: list[dict[str, Any]] = result.setdefault("tool_calls", [])
    for call in update.get("tool_calls") or ():
        same = next((c for c in calls if c.get("index") == call.get("index")), None)
        if same is None:
            calls.append(copy.deepcopy(dict(call)))
            continue
        if call.get("id") and not same.get("id"):
            same["id"] = call["id"]
        _deep_merge(same.setdefault("extra_content", {}), call.get("extra_content") or {})
    if not calls:
        del result["tool_calls"]
    return result or None
