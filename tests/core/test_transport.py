"""Transport: Vertex error bodies and stream completeness (vertex_openai.transport)."""

from __future__ import annotations

import gzip
import json

import pytest

from vertex_openai import VertexStreamError
from vertex_openai.sdk_http import http
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


def _sse(*events: bytes) -> http.MockTransport:
    """A server that sends ``events`` as separate body chunks."""

    def handler(request: http.Request) -> http.Response:
        return http.Response(
            200, headers={"content-type": "text/event-stream"}, content=iter(events)
        )

    return http.MockTransport(handler)


CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
LAST = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'


@pytest.mark.parametrize(
    "events", [(CHUNK, LAST), (CHUNK, LAST, b"data: [DONE]\n\n"), (CHUNK, b"data: [DONE]\n\n")]
)
def test_complete_streams_pass(events: tuple[bytes, ...]) -> None:
    with (
        http.Client(transport=VertexTransport(_sse(*events))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        assert b"".join(response.iter_bytes()) == b"".join(events)


def test_done_inside_model_text_does_not_count() -> None:
    fake = (
        b'data: {"choices":[{"index":0,"delta":{"content":"\\ndata: [DONE]"},'
        b'"finish_reason":null}]}\n\n'
    )
    with (
        http.Client(transport=VertexTransport(_sse(CHUNK, fake))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError),
    ):
        b"".join(response.iter_bytes())


def test_stream_ending_early_raises() -> None:
    with (
        http.Client(transport=VertexTransport(_sse(CHUNK, CHUNK))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError, match="before the answer was complete"),
    ):
        b"".join(response.iter_bytes())


@pytest.mark.parametrize("size", [1, 3, 7, 64, 1000])
def test_completion_markers_split_across_chunks(size: int) -> None:
    body = CHUNK * 3 + LAST
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    with (
        http.Client(transport=VertexTransport(_sse(*pieces))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        assert b"".join(response.iter_bytes()) == body
    cut = CHUNK * 3
    pieces = [cut[i : i + size] for i in range(0, len(cut), size)]
    with (
        http.Client(transport=VertexTransport(_sse(*pieces))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError),
    ):
        b"".join(response.iter_bytes())


# Gemini's streamed tool calls: each whole in one delta, no index, parallel calls in separate
# chunks, the signature on the first call only, then finish_reason "stop".
SIGNED = {"google": {"thought_signature": "c2ln"}}
GEMINI_CALLS = [
    {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": '{"city":"Paris"}'},
                            "extra_content": SIGNED,
                        }
                    ],
                },
            }
        ]
    },
    {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": '{"city":"Rome"}'},
                        }
                    ],
                },
            }
        ]
    },
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]


def _events(payloads: list[dict[str, object]]) -> bytes:
    return b"".join(b"data: " + json.dumps(p).encode() + b"\n\n" for p in payloads)


def _tool_call_deltas(body: bytes) -> list[dict[str, object]]:
    calls = []
    for line in body.split(b"\n"):
        if line.startswith(b"data: {"):
            for choice in json.loads(line[6:])["choices"]:
                calls += choice["delta"].get("tool_calls") or []
    return calls


@pytest.mark.parametrize("size", [1, 5, 17, 64, 100_000])
def test_index_less_tool_calls_get_indexes(size: int) -> None:
    body = _events(GEMINI_CALLS)
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    with (
        http.Client(transport=VertexTransport(_sse(*pieces))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        received = b"".join(response.iter_bytes())
    calls = _tool_call_deltas(received)
    assert [c["index"] for c in calls] == [0, 1]
    assert [c["id"] for c in calls] == ["c1", "c2"]
    assert calls[0]["extra_content"] == SIGNED and "extra_content" not in calls[1]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [  # type: ignore[index]
        {"city": "Paris"},
        {"city": "Rome"},
    ]


def test_partial_tool_calls_are_numbered_in_order() -> None:
    def delta(call: dict[str, object]) -> dict[str, object]:
        return {"choices": [{"delta": {"tool_calls": [call]}}]}

    partial = [
        delta({"index": 3, "id": "a", "function": {"name": "f"}}),
        delta({"function": {"arguments": '{"x":'}}),
        delta({"function": {"arguments": "1}"}}),
        delta({"id": "b", "function": {"name": "g"}}),
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]
    with (
        http.Client(transport=VertexTransport(_sse(_events(partial)))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        calls = _tool_call_deltas(b"".join(response.iter_bytes()))
    # An index-less continuation belongs to the last call; a new id starts the next one;
    # calls are numbered in order of appearance.
    assert [c["index"] for c in calls] == [0, 0, 0, 1]


def _gzip_sse(body: bytes) -> http.MockTransport:
    compressed = gzip.compress(body)
    pieces = [compressed[i : i + 7] for i in range(0, len(compressed), 7)]

    def handler(request: http.Request) -> http.Response:
        return http.Response(
            200,
            headers={"content-type": "text/event-stream", "content-encoding": "gzip"},
            content=iter(pieces),
        )

    return http.MockTransport(handler)


def test_compressed_stream_is_judged_decoded() -> None:
    body = CHUNK * 3 + LAST
    with (
        http.Client(transport=VertexTransport(_gzip_sse(body))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        assert b"".join(response.iter_bytes()) == body
        assert "content-encoding" not in response.headers
    with (
        http.Client(transport=VertexTransport(_gzip_sse(CHUNK * 3))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
        pytest.raises(VertexStreamError),
    ):
        b"".join(response.iter_bytes())


def _capture(seen: list[http.Request]) -> http.MockTransport:
    def handler(request: http.Request) -> http.Response:
        seen.append(request)
        return http.Response(200, json={"ok": True})

    return http.MockTransport(handler)


@pytest.mark.parametrize("model", ["google/gemini-3-pro-preview", "google/gemini-2.5-flash"])
def test_unsigned_gemini3_history_gets_the_placeholder_on_the_wire(model: str) -> None:
    body = {
        "model": model,
        "messages": [
            {"role": "user", "content": "time in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "x", "type": "function", "function": {"name": "t"}}],
            },
            {"role": "tool", "tool_call_id": "x", "content": "noon"},
        ],
    }
    seen: list[http.Request] = []
    with http.Client(transport=VertexTransport(_capture(seen))) as client:
        client.post("http://127.0.0.1/v1/p/endpoints/openapi/chat/completions", json=body)
        client.post("http://127.0.0.1/v1/p/endpoints/openapi/embeddings", json=body)
    chat, other = seen
    assert int(chat.headers["content-length"]) == len(chat.content)
    sent = json.loads(chat.content)["messages"][1]["tool_calls"][0]
    if model.startswith("google/gemini-3"):
        assert sent["extra_content"] == {
            "google": {"thought_signature": "skip_thought_signature_validator"}
        }
    else:
        assert "extra_content" not in sent
    assert "extra_content" not in json.loads(other.content)["messages"][1]["tool_calls"][0]


def test_openai_form_streams_come_out_unchanged() -> None:
    openai_form = [
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "a",
                                "type": "function",
                                "function": {"name": "f", "arguments": ""},
                            }
                        ]
                    }
                }
            ]
        },
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}}]},
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 1,
                                "id": "b",
                                "type": "function",
                                "function": {"name": "g", "arguments": "{}"},
                            }
                        ]
                    }
                }
            ]
        },
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]
    body = _events(openai_form)
    with (
        http.Client(transport=VertexTransport(_sse(body))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        assert b"".join(response.iter_bytes()) == body


def test_fragments_repeating_id_and_name_with_unstable_index() -> None:
    """Vertex's stream_function_call_arguments example: every fragment repeats id and name."""

    def fragment(call_id: str, index: int, arguments: str) -> dict[str, object]:
        call = {
            "id": call_id,
            "index": index,
            "type": "function",
            "function": {"name": "weather", "arguments": arguments},
        }
        return {"choices": [{"delta": {"tool_calls": [call]}}]}

    stream = [
        fragment("c1", 1, ""),
        fragment("c1", 0, '{"city":'),
        fragment("c1", 0, '"Boston"}'),
        fragment("c2", 0, ""),
        fragment("c2", 1, '{"city":"Delhi"}'),
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]
    with (
        http.Client(transport=VertexTransport(_sse(_events(stream)))) as client,
        client.stream("POST", "http://127.0.0.1/chat/completions") as response,
    ):
        calls = _tool_call_deltas(b"".join(response.iter_bytes()))
    assert [c["index"] for c in calls] == [0, 0, 0, 1, 1]
    assert [c.get("id") for c in calls] == ["c1", None, None, "c2", None]
    assert [c["function"].get("name") for c in calls] == ["weather", None, None, "weather", None]  # type: ignore[attr-defined]
