"""What a route handler answers (private): a whole response, an SSE stream, or a dropped socket.

Handlers (``_routes.py``, ``_oauth.py``) are functions of the emulator state and the parsed
request that return one of these; only ``_http.py`` touches sockets. Standard library and
``_errors`` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import _errors
from ._records import StreamFault

JSON_TYPE = "application/json; charset=UTF-8"
HTML_TYPE = "text/html; charset=UTF-8"
OAUTH_JSON_TYPE = "application/json; charset=utf-8"  # Google's token endpoint spells it so


@dataclass(frozen=True)
class Response:
    """A complete response: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # answer "Connection: close" and close after it


@dataclass(frozen=True)
class StreamResponse:
    """A 200 ``text/event-stream``: one ``data:`` event per item, then ``data: [DONE]``.

    ``fault`` (a scripted broken stream) and ``pause`` (seconds between events) are applied
    by the HTTP layer while writing.
    """

    events: list[str]
    fault: StreamFault | None = None
    pause: float = 0.0
    done: bool = True  # end with ``data: [DONE]``

    status = 200


@dataclass(frozen=True)
class RawStream:
    """Bytes sent as received, one chunked-encoding chunk per SSE event (``queue_raw``)."""

    status: int
    chunks: list[bytes]
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Close the TCP connection without an answer."""

    status = 0


Reply = Response | StreamResponse | RawStream | Drop


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), JSON_TYPE, dict(headers or {}))


def error_response(
    status: int,
    message: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    *,
    wrapped: bool = True,
) -> Response:
    """Vertex's list-wrapped JSON error (see ``_errors.error_json``)."""
    body = _errors.error_json(status, message, details, wrapped=wrapped)
    return Response(status, body, JSON_TYPE, headers or {})


def html_response(
    status: int, path: str, headers: dict[str, str] | None = None, *, close: bool = False
) -> Response:
    """Google front end's HTML error page (see ``_errors.html_error_page``)."""
    return Response(status, _errors.html_error_page(status, path), HTML_TYPE, headers or {}, close)
