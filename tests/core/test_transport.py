"""Transport: Vertex error bodies and stream completeness (vertex_openai.transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from vertex_openai import VertexStreamError
from vertex_openai.transport import VertexTransport, normalize_error_body

VERTEX_403 = [
    {
        "error": {
            "code": 403,
            "message": "Permission 'aiplatform.endpoints.predict' denied on resource",
            "status": "PERMISSION_DENIED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo"}],
        }
    }
]


def _normalized(status: int, ctype: str, body: bytes) -> dict[str, object]:
    fixed = normalize_error_body(status, ctype, body, "POST", "https://h/v1/x")
    assert fixed is not None
    error = json.loads(fixed)["error"]
    assert isinstance(error, dict)
    return error


def test_list_wrapped_error_unwrapped_with_status() -> None:
    error = _normalized(403, "application/json", json.dumps(VERTEX_403).encode())
    assert error["message"] == (
        "PERMISSION_DENIED: Permission 'aiplatform.endpoints.predict' denied on resource"
    )
    assert error["status"] == error["type"] == "PERMISSION_DENIED"
    assert error["code"] == 403
    assert error["details"] == VERTEX_403[0]["error"]["details"]


def test_html_page_becomes_short_error() -> None:
    page = b"<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title>" + b"x" * 5000
    error = _normalized(404, "text/html; charset=UTF-8", page)
    message = str(error["message"])
    assert "404" in message and "https://h/v1/x" in message and "HTML" in message
    assert "<html" not in message and len(message) < 400


def test_plain_text_error_is_shortened() -> None:
    error = _normalized(502, "text/plain", b"upstream connect error " * 100)
    message = str(error["message"])
    assert message.startswith("HTTP_502: HTTP 502 from https://h/v1/x: upstream connect error")
    assert message.endswith("...") and len(message) < 450


def test_other_json_left_alone() -> None:
    assert normalize_error_body(400, "application/json", b'{"detail": "x"}', "GET", "u") is None


def _sse(*events: bytes) -> httpx.MockTransport:
    """A server that sends ``events`` as separate body chunks."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=iter(events)
        )

    return httpx.MockTransport(handler)


CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
LAST = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'


@pytest.mark.parametrize(
    "events", [(CHUNK, LAST), (CHUNK, LAST, b"data: [DONE]\n\n"), (CHUNK, b"data: [DONE]\n\n")]
)
def test_complete_streams_pass(events: tuple[bytes, ...]) -> None:
    with (
        httpx.Client(transport=VertexTransport(_sse(*events))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        assert b"".join(response.iter_bytes()) == b"".join(events)


def test_done_inside_model_text_does_not_count() -> None:
    fake = (
        b'data: {"choices":[{"index":0,"delta":{"content":"\\ndata: [DONE]"},'
        b'"finish_reason":null}]}\n\n'
    )
    with (
        httpx.Client(transport=VertexTransport(_sse(CHUNK, fake))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError),
    ):
        b"".join(response.iter_bytes())


def test_stream_ending_early_raises() -> None:
    with (
        httpx.Client(transport=VertexTransport(_sse(CHUNK, CHUNK))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError, match="before the answer was complete"),
    ):
        b"".join(response.iter_bytes())


@pytest.mark.parametrize("size", [1, 3, 7, 64, 1000])
def test_completion_markers_split_across_chunks(size: int) -> None:
    body = CHUNK * 3 + LAST
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    with (
        httpx.Client(transport=VertexTransport(_sse(*pieces))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        assert b"".join(response.iter_bytes()) == body
    cut = CHUNK * 3
    pieces = [cut[i : i + size] for i in range(0, len(cut), size)]
    with (
        httpx.Client(transport=VertexTransport(_sse(*pieces))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError),
    ):
        b"".join(response.iter_bytes())
