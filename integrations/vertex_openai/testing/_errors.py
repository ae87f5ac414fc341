"""Google-style error bodies used by the emulator (private)."""

from __future__ import annotations

import json
from typing import Any

# Canonical google.rpc.Code names for the HTTP statuses Google front ends map them to
# (https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto).
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Vertex's 401 for an expired / unknown token (public captures, M).
INVALID_CREDENTIALS_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
# Google APIs' 401 when no credential is sent at all (reason CREDENTIALS_MISSING), the
# standard wording of every googleapis.com front end.
MISSING_CREDENTIALS_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)

DEFAULT_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: INVALID_CREDENTIALS_MESSAGE,
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    # 429 RESOURCE_EXHAUSTED, "Resource exhausted. Please try again later. ..." (public
    # captures, M: e.g. continuedev/continue#8967, google-gemini/gemini-cli#14811).
    429: (
        "Resource exhausted. Please try again later. Please refer to "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details."
    ),
    500: "Internal error encountered.",
    501: "Operation is not implemented, or supported, or enabled.",
    503: "The service is currently unavailable.",
    504: "Deadline expired before operation could complete.",
}


def status_name(status: int) -> str:
    """The canonical google.rpc status name for an HTTP status."""
    return STATUS_NAMES.get(status, "UNKNOWN")


def error_info(reason: str, method: str, **metadata: str) -> dict[str, Any]:
    """A ``google.rpc.ErrorInfo`` detail entry."""
    meta: dict[str, str] = {"service": "aiplatform.googleapis.com", "method": method}
    meta.update(metadata)
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": meta,
    }


def retry_info(delay: str) -> dict[str, Any]:
    """A ``google.rpc.RetryInfo`` detail entry, e.g. ``retryDelay`` ``"1.5s"`` (proto3 JSON
    of a Duration; googleapis/googleapis ``google/rpc/error_details.proto``). Vertex's 429s
    carry one when the quota system knows the wait (public captures, M: the Gemini API /
    Vertex 429 bodies relayed in google-gemini/gemini-cli issues)."""
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def error_json(
    status: int,
    message: str | None = None,
    details: list[dict[str, Any]] | None = None,
    *,
    wrapped: bool = True,
) -> bytes:
    """Vertex's error body: a one-element JSON *list* (public captures, M/H: e.g. the
    list-wrapped 429 in continuedev/continue#8967).

    e.g. ``[{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}]``.
    ``wrapped=False``: the plain ``{"error": {...}}`` object, which is what Google's front
    end answers for a 401 before the request reaches Vertex (public captures, M: the
    UNAUTHENTICATED bodies with ``details[].reason`` quoted in
    heshengtao/super-agent-party#279 and other aiplatform reports are plain objects).
    """
    err: dict[str, Any] = {
        "code": status,
        "message": message if message is not None else DEFAULT_MESSAGES.get(status, "Error"),
        "status": status_name(status),
    }
    if details:
        err["details"] = details
    body: Any = [{"error": err}] if wrapped else {"error": err}
    return json.dumps(body, indent=2).encode()


_HTML_TITLES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
}

_HTML_STYLE = (
    "*{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html{background:#fff;"
    "color:#222;padding:15px}body{margin:7% auto 0;max-width:390px;min-height:180px;"
    "padding:30px 0 15px}* > body{background:url(//www.google.com/images/errors/robot.png) "
    "100% 5px no-repeat;padding-right:205px}p{margin:11px 0 22px;overflow:hidden}ins{color:#777;"
    "text-decoration:none}a img{border:0}#logo{display:inline-block;height:54px;width:150px}"
)


def html_error_page(status: int, path: str) -> bytes:
    """Google front end's HTML error page ("Error 404 (Not Found)!!1").

    Unknown paths on ``*-aiplatform.googleapis.com`` (e.g. ``/v1/.../endpoints/openapi/models``)
    answer with this page rather than JSON (public captures, M: ogx-ai/ogx#3988 shows it
    for ``.../endpoints/openai/models``; the routes that exist are those of
    googleapis/python-aiplatform's prediction_service ``rest_base.py``).
    """
    title = _HTML_TITLES.get(status, "Server Error" if status >= 500 else "Error")
    safe_path = path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if status == 404:
        text = (
            f"The requested URL <code>{safe_path}</code> was not found on this server.  "
            "<ins>That’s all we know.</ins>"
        )
    elif status >= 500:
        text = (
            "The server encountered a temporary error and could not complete your request."
            "<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>"
        )
    else:
        text = (
            f"Your client has issued a request to <code>{safe_path}</code> that this server "
            "could not handle.  <ins>That’s all we know.</ins>"
        )
    page = (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n'
        f"  <title>Error {status} ({title})!!1</title>\n"
        f"  <style>\n    {_HTML_STYLE}\n  </style>\n"
        "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
        f"  <p><b>{status}.</b> <ins>That’s an error.</ins>\n"
        f"  <p>{text}\n"
    )
    return page.encode()


def oauth_error_json(error: str, description: str | None) -> bytes:
    """An OAuth 2.0 token endpoint error body (RFC 6749 section 5.2)."""
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return json.dumps(body).encode()
