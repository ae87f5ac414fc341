"""The emulator's routes (private): which Vertex paths exist and how each one answers.

Every handler is a function of the :class:`~._state.EmulatorState` and the parsed request
(a :class:`~._records.RecordedRequest`) that returns a ``_responses`` value; the socket work
is ``_http.py``'s. Imports the state, the model and the error bodies, never the HTTP layer
or ``emulator.py``.

Routes (googleapis/python-aiplatform,
``google/cloud/aiplatform_v1beta1/services/prediction_service/transports/rest_base.py``):
``POST .../endpoints/*/chat/completions`` and ``.../endpoints/openapi/embeddings`` (Invoke);
the listing is ``EndpointService.ListEndpoints``. Vertex documents ``/embeddings`` on
``endpoints/openapi`` only; the emulator also serves it on self-deployed endpoints (an
embedding model deployed from Model Garden behind vLLM answers the OpenAI route there),
which is assumed.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from . import _errors, _maas, _parts, _schemas
from ._model import (
    ChatError,
    ChatPlan,
    check_thought_signatures,
    embedding_vector,
    last_user_text,
    plan_chat,
    split_words,
    word_count,
)
from ._records import RawReply, RecordedRequest
from ._replay import Exchange
from ._responses import (
    RawStream,
    Reply,
    Response,
    StreamResponse,
    error_response,
    html_response,
    json_response,
)
from ._state import EmulatorState

_API_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/endpoints(?:/(?P<endpoint>[^/:]+)/(?P<action>chat/completions|embeddings))?$"
)


@dataclass(frozen=True)
class Target:
    """What a request path names: the route and the resource path's parts."""

    route: str  # "chat" | "embeddings" | "endpoints" | "unknown"
    api_version: str | None = None
    project: str | None = None
    location: str | None = None
    endpoint_id: str | None = None


def resolve(method: str, path: str) -> Target:
    """The route table: (method, path without query) -> :class:`Target`."""
    match = _API_PATH.match(path)
    if match is None:
        return Target("unknown")
    route = "unknown"
    if match["endpoint"] is None and method == "GET":
        route = "endpoints"
    elif match["endpoint"] is not None and method == "POST":
        route = "chat" if match["action"] == "chat/completions" else "embeddings"
    return Target(
        route,
        match["version"],
        unquote(match["project"]),
        unquote(match["location"]),
        unquote(match["endpoint"]) if match["endpoint"] else None,
    )


# Google's RPC names, reported in ErrorInfo.metadata.method.
_RPC_METHODS: dict[str, tuple[str, str]] = {
    "chat": ("PredictionService", "ChatCompletions"),
    "embeddings": ("PredictionService", "Invoke"),
    "endpoints": ("EndpointService", "ListEndpoints"),
}


def answer(state: EmulatorState, entry: RecordedRequest) -> Reply:
    """Answer a Vertex API request: auth, scripted faults, project, then the route."""
    if entry.route == "unknown":
        # No such route (e.g. /models; python-aiplatform's rest_base.py has none): Google's
        # HTML 404 page (public captures, M: a curl of .../endpoints/openai/models in
        # ogx-ai/ogx#3988).
        return html_response(404, entry.path)
    state.sleep(state.latency_for(entry.route))
    settings = state.settings

    service, method_name = _RPC_METHODS[entry.route]
    rpc = f"google.cloud.aiplatform.{entry.api_version}.{service}.{method_name}"
    if entry.token is None or not state.check_token(entry.token):
        # 401 UNAUTHENTICATED, reason ACCESS_TOKEN_TYPE_UNSUPPORTED for a bad/expired token
        # (public captures, M); CREDENTIALS_MISSING when none is sent (the standard Google
        # front end answer, captured for aiplatform in heshengtao/super-agent-party#279).
        # The body is a plain {"error": ...} object, not list-wrapped (see _errors.error_json).
        missing = entry.token is None
        return error_response(
            401,
            _errors.MISSING_CREDENTIALS_MESSAGE if missing else _errors.INVALID_CREDENTIALS_MESSAGE,
            [
                _errors.error_info(
                    "CREDENTIALS_MISSING" if missing else "ACCESS_TOKEN_TYPE_UNSUPPORTED", rpc
                )
            ],
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            wrapped=False,
        )

    fault = state.take_fault(entry.route)
    if fault is not None:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            value = fault.retry_after
            headers["Retry-After"] = str(int(value)) if value == int(value) else str(value)
        if fault.html:
            return html_response(fault.status, entry.path, headers)
        details = [_errors.retry_info(fault.retry_delay)] if fault.retry_delay else None
        return error_response(
            fault.status, fault.message, details, headers=headers, wrapped=fault.status != 401
        )

    raw = state.take_raw(entry.route)
    if raw is not None:
        return _raw_reply(state, raw)

    project, location = entry.project or "", entry.location or ""
    if settings.enforce_project and project not in (settings.project, settings.project_number):
        # 403 PERMISSION_DENIED, "Permission '...' denied on resource ... (or it may not
        # exist)." with reason IAM_PERMISSION_DENIED (public captures, M/H).
        permission = "aiplatform.endpoints." + ("list" if entry.route == "endpoints" else "predict")
        resource = f"//aiplatform.googleapis.com/projects/{project}/locations/{location}"
        if entry.endpoint_id is not None:
            resource += f"/endpoints/{entry.endpoint_id}"
        return error_response(
            403,
            f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
            [
                _errors.error_info(
                    "IAM_PERMISSION_DENIED", rpc, permission=permission, resource=resource[2:]
                )
            ],
        )

    if entry.route == "endpoints":
        return list_endpoints(state, entry)

    # A recorded exchange (VertexEmulator(replay=DIR), docs/replay.md) answers before the
    # endpoint and model checks: recordings replay against any emulator set-up.
    replayed = state.replayed(entry)
    if replayed is False:
        return error_response(
            404,
            f"No recorded exchange matches this {entry.method} {entry.route} request (the "
            "emulator replays strictly: same route and same JSON body after scrubbing).",
        )
    if isinstance(replayed, Exchange):
        return _raw_reply(
            state,
            RawReply(
                replayed.status,
                replayed.payload,
                replayed.content_type,
                dict(replayed.headers),
                entry.route,
            ),
        )

    endpoint = None
    if entry.endpoint_id != "openapi":
        endpoint = state.endpoint(entry.endpoint_id or "")
        if endpoint is None or endpoint.location != location:
            # Guessed wording; 404 list-wrapped like other unknown resources (public captures
            # of the unknown-publisher-model 404, M).
            return error_response(
                404,
                f"Endpoint `projects/{project}/locations/{location}/endpoints/"
                f"{entry.endpoint_id}` not found.",
            )

    if not isinstance(entry.body, dict):
        return error_response(400, "Invalid JSON payload received. Unexpected token.")
    body: dict[str, Any] = entry.body

    model: str
    if endpoint is not None:
        # Self-deployed endpoints ignore the model field (docs, H: Vertex AI docs "Using
        # OpenAI libraries with Vertex AI" samples omit it or pass "").
        model = endpoint.model
    else:
        sent = body.get("model")
        model = sent if isinstance(sent, str) else ""
        error = _check_model(state, model, project, location)
        if error is not None:
            return error
    handler: Callable[[EmulatorState, dict[str, Any], str, bool], Reply] = _ROUTE_HANDLERS[
        entry.route
    ]
    try:
        return handler(state, body, model, endpoint is None)
    except ChatError as exc:
        return error_response(exc.status, exc.message)


_SSE_EVENT_END = re.compile(rb"\r?\n\r?\n")


def _raw_reply(state: EmulatorState, raw: RawReply) -> Reply:
    """A verbatim answer; an event stream goes out one event (up to its blank line) per chunk."""
    if not raw.content_type.lower().startswith("text/event-stream"):
        return Response(raw.status, raw.body, raw.content_type, dict(raw.headers))
    chunks: list[bytes] = []
    start = 0
    for match in _SSE_EVENT_END.finditer(raw.body):
        chunks.append(raw.body[start : match.end()])
        start = match.end()
    if start < len(raw.body):
        chunks.append(raw.body[start:])
    return RawStream(raw.status, chunks, raw.content_type, dict(raw.headers), state.chunk_delay())


def _check_model(state: EmulatorState, model: str, project: str, location: str) -> Reply | None:
    publisher, _, name = model.partition("/")
    if not publisher or not name:
        # publisher/model is required on openapi (docs, H: Vertex AI docs "Using OpenAI
        # libraries with Vertex AI"); the 400 text comes from public captures (M).
        return error_response(
            400, "Malformed publisher model name: expected format '<publisher>/<model>'"
        )
    known = state.settings.known_models
    if known is not None and model not in known:
        # Unknown publisher model: 404, list-wrapped (public captures, M); the wording is
        # Vertex's "Publisher Model ... was not found" text, as relayed in truefoundry/models#946.
        return error_response(
            404,
            f"Publisher Model `projects/{project}/locations/{location}/publishers/{publisher}"
            f"/models/{name}` was not found or your project does not have access to it. "
            "Please ensure you are using a valid model version. For more information, see: "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
        )
    return None


# --------------------------------------------------------------------------- chat


def _response_id() -> str:
    # Vertex chat ids are short opaque strings of 22-23 URL-safe characters, for Gemini
    # ("bA-NacCPKoae_9MPsNCn6Qc", "hAmNaZb8BZOX4_UPlNXoEA") and MaaS ("tRZwaZjfFOWU998P_PDYqA0")
    # alike: the examples of https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/examples
    # and .../maas/capabilities/thinking. The "2025-06-11|10:00:00.292195-07|..." form is only
    # in the placeholder template of "Call open model APIs" and the Grok doc.
    return secrets.token_urlsafe(17)


def _is_gemini(model: str, openapi: bool) -> bool:
    return openapi and model.startswith("google/") and "gemini" in model


def chat(state: EmulatorState, body: dict[str, Any], model: str, openapi: bool) -> Reply:
    settings = state.settings
    gemini3 = openapi and "gemini-3" in model
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatError(400, "Invalid request: messages must be a non-empty list.")
    if _is_gemini(model, openapi):
        # Content parts and schemas as Vertex reads them (sources in _parts.py, _schemas.py).
        problem = _parts.check_parts(
            messages,
            accept_file_parts=settings.accept_file_parts,
            accept_http=settings.accept_http_urls,
        )
        if problem is None and settings.gemini_schema_check:
            problem = _schemas.check_schemas(body)
        if problem is not None:
            raise ChatError(400, problem)
    if gemini3:
        problem = check_thought_signatures(
            messages, state.signature_ok, settings.signature_error_wording
        )
        if problem is not None:
            raise ChatError(400, problem)
    queued = state.pop_reply()
    stream = body.get("stream") is True
    if queued is not None and queued.raw is not None:
        if stream:
            events = queued.raw if isinstance(queued.raw, list) else [queued.raw]
            return StreamResponse(
                [json.dumps(e) for e in events],
                state.take_stream_fault(),
                state.chunk_delay(),
                settings.send_done,
            )
        return json_response(200, queued.raw)
    maas = openapi and _maas.is_maas(model)
    try:
        plan = plan_chat(
            body,
            gemini3=gemini3,
            queued=queued,
            new_call_id=state.new_call_id,
            new_signature=state.new_signature,
            google_thoughts=not (maas and _maas.reasoning_form(model) is not None),
        )
    except ChatError:
        if queued is not None:
            state.push_back_reply(queued)
        raise
    reasoning_tokens = 0
    if maas and queued is None:
        reasoning_tokens = _maas.apply_reasoning(
            plan,
            model,
            body,
            settings.maas_reasoning,
            last_user_text(messages),
            settings.maas_reasoning_field,
        )
    details = plan.usage.get("completion_tokens_details")
    if maas:
        # MaaS usage has no completion_tokens_details: reasoning is counted inside
        # completion_tokens, and a top-level reasoning_tokens says 0 even when the model
        # reasoned (docs, H: every example of Vertex AI docs "Thinking" for open models,
        # https://docs.cloud.google.com/vertex-ai/generative-ai/docs/maas/capabilities/thinking).
        if queued is None or not (queued.usage and "completion_tokens_details" in queued.usage):
            plan.usage.pop("completion_tokens_details", None)
        if settings.maas_reasoning_tokens == "zero":
            reasoning_tokens = 0
    elif (
        isinstance(details, dict)
        and isinstance(details.get("reasoning_tokens"), int)
        and (queued is None or not (queued.usage and "total_tokens" in queued.usage))
    ):
        # Gemini counts thinking outside completion_tokens: total = prompt + completion +
        # reasoning (docs, H: Vertex AI docs "Chat Completions examples", 27 + 45 + 504 = 576,
        # https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/examples).
        plan.usage["total_tokens"] += details["reasoning_tokens"]
    extras = maas and settings.maas_extra_keys
    if extras:
        plan.usage = _maas.extend_usage(plan.usage, reasoning_tokens)
    response_id, created = _response_id(), int(time.time())
    if stream:
        return _stream_chat(state, plan, body, model, response_id, created, openapi, extras)
    # Unary shape per Vertex AI docs "Call open model APIs" (MaaS) response sample (docs, H).
    # A unary Gemini answer with tool calls keeps finish_reason "tool_calls" (public
    # captures, M: googleapis/python-genai#2868 shows unary "tool_calls" vs streamed "stop").
    choices = [
        {
            "finish_reason": choice["finish_reason"],
            "index": index,
            "logprobs": None,
            "message": choice["message"],
        }
        for index, choice in enumerate(plan.choices)
    ]
    payload: dict[str, Any] = {
        "choices": [_maas.extend_choice(c) for c in choices] if extras else choices,
        "created": created,
        "id": response_id,
        "model": model,
        "object": "chat.completion",
        "system_fingerprint": "",
        "usage": plan.usage,
    }
    if extras:
        payload["metadata"] = dict(_maas.METADATA)
        if _maas.sglang_shape(model):
            del payload["system_fingerprint"]
            for choice in payload["choices"]:
                choice["message"] = _maas.extend_message(choice["message"])
    return json_response(200, payload)


def _stream_chat(
    state: EmulatorState,
    plan: ChatPlan,
    body: dict[str, Any],
    model: str,
    response_id: str,
    created: int,
    openapi: bool,
    extras: bool,
) -> StreamResponse:
    settings = state.settings
    capture = settings.maas_capture_stream_shape
    gemini = _is_gemini(model, openapi)
    gemini_calls = gemini and not settings.gemini_stream_tool_call_index

    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> str:
        payload: dict[str, Any] = {"choices": choices}
        if not capture:
            # The 2024 MaaS captures had neither id nor created (switch
            # maas_capture_stream_shape); current streams carry both (docs, H: "Call open
            # model APIs" stream sample).
            payload["created"] = created
            payload["id"] = response_id
        payload.update(model=model, object="chat.completion.chunk", system_fingerprint="")
        if extras:
            payload["metadata"] = dict(_maas.METADATA)
        if usage is not None:
            payload["usage"] = usage
        return json.dumps(payload)

    def delta(index: int, content: dict[str, Any]) -> dict[str, Any]:
        if capture:
            content = {"role": "assistant", **content}  # role on every delta (2024 captures)
        return {"delta": content, "finish_reason": None, "index": index, "logprobs": None}

    def pieces(text: str) -> list[str]:
        size = settings.stream_chunk_chars
        if size > 0:  # fixed-size pieces: a tag may be cut across chunks
            return [text[i : i + size] for i in range(0, len(text), size)]
        return split_words(text)

    events: list[str] = []
    for index, choice in enumerate(plan.choices):
        message = choice["message"]
        extra = message.get("extra_content")
        text = message.get("content") or ""
        first: dict[str, Any] = {"role": "assistant", "content": ""}
        if extra is not None and not text:
            first["extra_content"] = extra
        events.append(chunk([delta(index, first)]))
        for field in ("reasoning_content", "reasoning"):
            for piece in pieces(message.get(field) or ""):
                events.append(chunk([delta(index, {field: piece})]))
        thought = choice.get("thought")
        if (
            gemini
            and isinstance(thought, str)
            and (not choice.get("thought_tagged") or settings.flag_thought_deltas)
        ):
            # Thoughts asked for without thought_tag_marker stream as content deltas flagged
            # extra_content.google.thought (public captures, M, on the Gemini API's OpenAI
            # surface, e.g. the capture analysis in noho/dayu-agent#45; assumed on Vertex).
            # With a marker they stay inline, tagged (docs, H: "Using OpenAI libraries");
            # flag_thought_deltas=True flags them then too (not known either way).
            flagged = {"content": thought, "extra_content": {"google": {"thought": True}}}
            events.append(chunk([delta(index, flagged)]))
            text = text[len(choice["thought_prefix"]) :].lstrip("\n")
        for n, piece in enumerate(pieces(text)):
            part: dict[str, Any] = {"content": piece}
            if n == 0 and extra is not None:
                # A message-level extra_content rides on the first content delta.
                part["extra_content"] = extra
            events.append(chunk([delta(index, part)]))
        for position, call in enumerate(message.get("tool_calls") or []):
            if gemini_calls:
                # Gemini: each call whole in its own chunk, without "index"; the signature
                # on the first call of the step only (public captures, M: the indexless
                # Gemini streams in open-webui/computer#224, noho/dayu-agent#45 and
                # THU-MAIC/OpenMAIC#1556; Vertex AI docs "Thought signatures", H, for the
                # first-call signature). gemini_stream_tool_call_index
                # = True restores the OpenAI shape (index, finish_reason "tool_calls").
                events.append(chunk([delta(index, {"tool_calls": [call]})]))
            else:
                events.append(chunk([delta(index, {"tool_calls": [{"index": position, **call}]})]))
    # usage on the chunk that carries finish_reason, sent even without stream_options (docs,
    # H: Vertex AI docs "Call open model APIs" (MaaS) stream sample); always_stream_usage=False
    # sends it only when include_usage is asked; separate_usage_chunk=True sends it OpenAI's
    # way, on an extra chunk with "choices": [].
    options = body.get("stream_options")
    wants_usage = isinstance(options, dict) and options.get("include_usage") is True
    last_choices = []
    for i, c in enumerate(plan.choices):
        finish = c["finish_reason"]
        if gemini_calls and finish == "tool_calls":
            # Gemini streams end a tool-call step with "stop" (public captures, M:
            # googleapis/python-genai#2868, envoyproxy/ai-gateway#2399).
            finish = "stop"
        last: dict[str, Any] = {"delta": {}, "finish_reason": finish, "index": i, "logprobs": None}
        last_choices.append(_maas.extend_choice(last) if extras else last)
    send_usage = settings.always_stream_usage or wants_usage
    if send_usage and settings.separate_usage_chunk:
        events.append(chunk(last_choices))
        events.append(chunk([], plan.usage))
    else:
        events.append(chunk(last_choices, plan.usage if send_usage else None))
    fault = state.take_stream_fault()
    return StreamResponse(events, fault, state.chunk_delay(), settings.send_done)


# --------------------------------------------------------------------------- embeddings


def _is_token_array(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    )


def embeddings(state: EmulatorState, body: dict[str, Any], model: str, openapi: bool) -> Reply:
    settings = state.settings
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
        elif settings.accept_token_arrays and _is_token_array(item):
            texts.append(" ".join(map(str, item)))
        else:
            texts = []
            break
    if not texts:
        # Whether Vertex takes token-id arrays is unknown (assumed: rejected unless
        # accept_token_arrays); the wording is a guess.
        raise ChatError(400, "Invalid input: expected a string or a list of strings.")
    # At most 250 input texts per request, and gemini-embedding-001 takes one (docs, H:
    # Vertex AI docs "Get text embeddings", API limits,
    # https://cloud.google.com/vertex-ai/generative-ai/docs/embeddings/get-text-embeddings);
    # the 400's wording is a guess. Switches: embeddings_max_inputs,
    # gemini_embedding_max_inputs.
    limit = settings.embeddings_max_inputs
    if "gemini-embedding-001" in model:
        limit = min(limit, settings.gemini_embedding_max_inputs)
    if len(texts) > limit:
        raise ChatError(
            400,
            f"Unable to submit request because the number of input texts ({len(texts)}) "
            f"exceeds the maximum of {limit} for model {model}.",
        )
    dims = body.get("dimensions", settings.embedding_dimensions)
    if dims is None:
        dims = settings.embedding_dimensions
    if not isinstance(dims, int) or isinstance(dims, bool) or dims < 1:
        raise ChatError(400, f"Invalid value for dimensions: {dims!r}.")
    # base64 = float32 little-endian, as OpenAI does. Vertex's support for
    # encoding_format is unconfirmed: embeddings_base64=False ignores it (floats always).
    as_base64 = settings.embeddings_base64 and body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(text, dims)
        value: Any = (
            base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"embedding": value, "index": index, "object": "embedding"})
    tokens = sum(word_count(t) for t in texts)
    return json_response(
        200,
        {
            "data": data,
            "model": model,
            "object": "list",
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
    )


_ROUTE_HANDLERS: dict[str, Callable[[EmulatorState, dict[str, Any], str, bool], Reply]] = {
    "chat": chat,
    "embeddings": embeddings,
}


# --------------------------------------------------------------------------- endpoints


def list_endpoints(state: EmulatorState, entry: RecordedRequest) -> Response:
    settings = state.settings
    project, location = entry.project or "", entry.location or ""
    try:
        size = int(entry.query.get("pageSize") or 0)
        token = entry.query.get("pageToken") or ""
        offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        return error_response(400, "Invalid page token or page size.")  # assumed wording
    if size <= 0:
        size = settings.page_size
    endpoints = state.endpoints_in(location)
    page = endpoints[offset : offset + size]
    name_project = settings.project_number if settings.names_with_project_number else project
    items = []
    for ep in page:
        # Resource fields per the REST reference `projects.locations.endpoints` (docs, H,
        # https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints);
        # dedicatedEndpointDns has no scheme (same page).
        item: dict[str, Any] = {
            "name": f"projects/{name_project}/locations/{ep.location}/endpoints/{ep.endpoint_id}",
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
        payload["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
    return json_response(200, payload)
