"""The emulator's deterministic "model" (private).

Pure functions: JSON-schema instance generation, the chat answer rules, Gemini 3 thought
signature checks, and deterministic embeddings. The HTTP side lives in ``_http.py`` and
``_routes.py``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

THOUGHT_SIGNATURES_DOC = (
    "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures"
)

# Dummy signatures Google documents for histories that never had real ones (docs, H: Gemini
# API "Thought signatures" FAQ, https://ai.google.dev/gemini-api/docs/thought-signatures;
# Vertex AI docs "Thought signatures" documents skip_thought_signature_validator). Whether
# Vertex's OpenAI endpoint honours them is unconfirmed: VertexEmulator.accept_dummy_signatures.
DUMMY_SIGNATURES = frozenset(
    {"skip_thought_signature_validator", "context_engineering_is_the_way_to_go"}
)

# reasoning_effort -> thinking budget (docs, H: Vertex AI docs "Using OpenAI libraries with
# Vertex AI").
REASONING_BUDGETS: dict[str, int] = {
    "none": 0,
    "minimal": 0,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
}


class ChatError(Exception):
    """A request the emulated Vertex rejects; carries the HTTP status and Vertex message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------- text helpers


def content_text(content: Any) -> str:
    """Text of a message ``content``: the string itself, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                text = part.get("text")
                if isinstance(text, str):
                    texts.append(text)
        return " ".join(texts)
    return ""


def word_count(text: str) -> int:
    """The emulator's "token" count: whitespace-separated words."""
    return len(text.split())


def split_words(text: str) -> list[str]:
    """Split ``text`` into stream pieces (word + following whitespace); joins back to ``text``."""
    return [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]


def _truncate_words(text: str, limit: int) -> str:
    pieces = split_words(text)
    kept, words = [], 0
    for piece in pieces:
        if piece.strip():
            if words >= limit:
                break
            words += 1
        kept.append(piece)
    return "".join(kept).rstrip()


# --------------------------------------------------------------------------- JSON schema


_FORMAT_EXAMPLES: dict[str, str] = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "example.com",
}


def _resolve_ref(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        return {}
    node = root
    for raw in ref.lstrip("#").split("/"):
        if not raw:
            continue
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return {}
    return node


def _merge_all_of(schema: dict[str, Any], root: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for sub in schema.get("allOf") or []:
        if isinstance(sub, dict) and "$ref" in sub:
            sub = _resolve_ref(sub["$ref"], root)
        if not isinstance(sub, dict):
            continue
        for key, value in sub.items():
            if key == "properties" and isinstance(value, dict):
                merged.setdefault("properties", {})
                merged["properties"] = {**value, **merged["properties"]}
            elif key == "required" and isinstance(value, list):
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged.setdefault(key, value)
    return merged


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def schema_instance(schema: Any, text: str, *, root: Any = None, depth: int = 0) -> Any:
    """A deterministic instance that validates against the JSON / OpenAPI 3.0 ``schema``.

    Objects get every property, strings are ``text`` (or the first enum value / a format
    example), integers ``1``, numbers ``1.0``, booleans ``true``, arrays one item; ``default``
    and ``const`` win; ``anyOf``/``oneOf`` take the first non-null branch; ``$ref`` into
    ``$defs``/``definitions`` is resolved; ``allOf`` is merged. ``pattern`` is not honoured.
    Recursion is cut after a few levels (Vertex rejects fully recursive schemas anyway:
    docs, H, Vertex AI docs "Using OpenAI libraries with Vertex AI").
    """
    if root is None:
        root = schema
    if schema is True or not isinstance(schema, dict):
        return text
    if "$ref" in schema:
        if depth > 12:
            return None
        target = _resolve_ref(str(schema["$ref"]), root)
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        merged = {**target, **extra} if isinstance(target, dict) else extra
        return schema_instance(merged, text, root=root, depth=depth + 1)
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        non_null = [v for v in enum if v is not None]
        return copy.deepcopy(non_null[0] if non_null else enum[0])
    if "allOf" in schema:
        return schema_instance(_merge_all_of(schema, root), text, root=root, depth=depth + 1)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            chosen = next((o for o in options if not _is_null_schema(o)), options[0])
            if isinstance(chosen, dict):
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                chosen = {**rest, **chosen}
            return schema_instance(chosen, text, root=root, depth=depth + 1)

    kind = schema.get("type")
    if isinstance(kind, list):
        non_null_kinds = [k for k in kind if k != "null"]
        kind = non_null_kinds[0] if non_null_kinds else "null"
    if kind is None:
        if "properties" in schema or "required" in schema:
            kind = "object"
        elif "items" in schema or "prefixItems" in schema:
            kind = "array"
        else:
            return text
    kind = str(kind).lower()  # OpenAPI/Gemini style "STRING", "OBJECT"

    if kind == "object":
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        required = required if isinstance(required, list) else []
        names = list(props) if depth <= 8 else [n for n in props if n in required]
        result = {
            name: schema_instance(props[name], text, root=root, depth=depth + 1) for name in names
        }
        for name in required:
            if name not in result:
                result[name] = text
        return result
    if kind == "array":
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            return [schema_instance(p, text, root=root, depth=depth + 1) for p in prefix]
        max_items = schema.get("maxItems")
        if (isinstance(max_items, int) and max_items <= 0) or depth > 8:
            return []
        min_items = schema.get("minItems")
        count = max(1, min_items if isinstance(min_items, int) else 1)
        items = schema.get("items", {})
        item = schema_instance(items, text, root=root, depth=depth + 1)
        if schema.get("uniqueItems") and count > 1 and not isinstance(item, (dict, list)):
            return [_distinct(item, i) for i in range(count)]
        return [copy.deepcopy(item) for _ in range(count)]
    if kind == "string":
        fmt = schema.get("format")
        value = _FORMAT_EXAMPLES.get(fmt, text) if isinstance(fmt, str) else text
        min_len, max_len = schema.get("minLength"), schema.get("maxLength")
        if isinstance(min_len, int) and len(value) < min_len:
            value = value + "x" * (min_len - len(value))
        if isinstance(max_len, int) and len(value) > max_len:
            value = value[:max_len]
        return value
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return text


def _distinct(item: Any, index: int) -> Any:
    if isinstance(item, bool):
        return item if index == 0 else not item
    if isinstance(item, (int, float)):
        return item + index
    return f"{item}{index}" if index else item


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    value: float = 1
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(lo, (int, float)) and not isinstance(lo, bool) and value < lo:
        value = lo
    if isinstance(xlo, (int, float)) and not isinstance(xlo, bool) and value <= xlo:
        value = math.floor(xlo) + 1 if integer else xlo + 1
    if isinstance(hi, (int, float)) and not isinstance(hi, bool) and value > hi:
        value = hi
    if isinstance(xhi, (int, float)) and not isinstance(xhi, bool) and value >= xhi:
        value = math.ceil(xhi) - 1 if integer else xhi - 0.5
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
        value = math.ceil(value / step) * step
    return int(value) if integer else float(value)


# --------------------------------------------------------------------------- chat


@dataclass
class QueuedReply:
    """A scripted chat answer (see ``VertexEmulator.queue_reply``)."""

    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    extra_content: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    raw: Any = None
    finish_reason: str | None = None


@dataclass
class ChatPlan:
    """What the emulator answers: one entry per choice plus usage."""

    choices: list[dict[str, Any]]  # each {"message": {...}, "finish_reason": str}
    usage: dict[str, Any]


def _google_extras(body: dict[str, Any]) -> dict[str, Any]:
    # Google extras ride in the body under extra_body.google (docs, H: the examples page of
    # Vertex AI docs "Using OpenAI libraries with Vertex AI").
    outer = body.get("extra_body")
    google = outer.get("google") if isinstance(outer, dict) else None
    return google if isinstance(google, dict) else {}


def thinking_config(body: dict[str, Any]) -> dict[str, Any] | None:
    """``extra_body.google.thinking_config`` (snake or camel case), if sent."""
    extras = _google_extras(body)
    config = extras.get("thinking_config", extras.get("thinkingConfig"))
    return config if isinstance(config, dict) else None


def _cfg(config: dict[str, Any], snake: str) -> Any:
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), snake)
    return config.get(snake, config.get(camel))


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def _function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    result = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            result.append(function)
    return result


def _chosen_tool(body: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else choice.get("name")
        if isinstance(name, str):
            for tool in tools:
                if tool["name"] == name:
                    return tool
            # Guess (wording unknown): a tool_choice naming an undeclared function is a 400.
            raise ChatError(400, f"tool_choice names function `{name}`, which is not in tools.")
    return tools[0]


def normalize_tool_call(call: dict[str, Any], call_id: str) -> dict[str, Any]:
    """``{"name", "arguments": dict|str}`` or a full OpenAI tool call -> OpenAI tool call dict."""
    if isinstance(call.get("function"), dict):
        full = copy.deepcopy(call)
        full.setdefault("id", call_id)
        full.setdefault("type", "function")
        args = full["function"].get("arguments", "{}")
        if not isinstance(args, str):
            full["function"]["arguments"] = json.dumps(args)
        return full
    args = call.get("arguments", {})
    result: dict[str, Any] = {
        "id": call.get("id", call_id),
        "type": "function",
        "function": {
            "name": call["name"],
            "arguments": args if isinstance(args, str) else json.dumps(args),
        },
    }
    if "extra_content" in call:
        result["extra_content"] = copy.deepcopy(call["extra_content"])
    return result


def plan_chat(
    body: dict[str, Any],
    *,
    gemini3: bool,
    queued: QueuedReply | None,
    new_call_id: Callable[[], str],
    new_signature: Callable[[str | None], str],
    google_thoughts: bool = True,
) -> ChatPlan:
    """Compute the deterministic answer to a chat request (see the emulator's docs)."""
    messages = body["messages"]
    text = last_user_text(messages)
    prompt_tokens = sum(
        word_count(content_text(m.get("content"))) for m in messages if isinstance(m, dict)
    )
    config = thinking_config(body)
    effort = body.get("reasoning_effort")
    # Only one of reasoning_effort or thinking_config may be given (docs, H: Vertex AI docs
    # "Using OpenAI libraries with Vertex AI"; the wording is a guess).
    if config is not None and effort is not None:
        raise ChatError(
            400, "Only one of reasoning_effort or extra_body.google.thinking_config can be set."
        )
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ChatError(400, f"Invalid value for max_tokens: {max_tokens!r}.")
    n = body.get("n", 1)
    if n is None:
        n = 1
    if not isinstance(n, int) or n < 1:
        raise ChatError(400, f"Invalid value for n: {n!r}.")
    stops = body.get("stop")
    stop_list = (
        [stops] if isinstance(stops, str) else [s for s in stops or [] if isinstance(s, str)]
    )
    tools = _function_tools(body)
    tool = _chosen_tool(body, tools)

    choices = []
    for _ in range(n):
        choices.append(
            _one_choice(
                body,
                messages,
                text,
                tool,
                queued,
                config,
                max_tokens,
                stop_list,
                gemini3,
                new_call_id,
                new_signature,
                google_thoughts,
            )
        )
    completion_tokens = word_count(content_text(choices[0]["message"].get("content")))
    usage: dict[str, Any] = {
        "completion_tokens": completion_tokens,
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    # reasoning tokens reported when thinking was configured (one public capture, L; Google's
    # MaaS "thinking" page shows usage.completion_tokens_details.reasoning_tokens for Grok).
    if config is not None or effort is not None:
        budget = _cfg(config, "thinking_budget") if config is not None else None
        if config is None and isinstance(effort, str):
            budget = REASONING_BUDGETS.get(effort)
        reasoning = 0 if budget == 0 else 10 + word_count(text)
        if isinstance(budget, int) and budget > 0:
            reasoning = min(reasoning, budget)
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    if queued is not None and queued.usage:
        usage.update(copy.deepcopy(queued.usage))
    return ChatPlan(choices=choices, usage=usage)


def _one_choice(
    body: dict[str, Any],
    messages: list[Any],
    text: str,
    tool: dict[str, Any] | None,
    queued: QueuedReply | None,
    config: dict[str, Any] | None,
    max_tokens: int | None,
    stops: list[str],
    gemini3: bool,
    new_call_id: Callable[[], str],
    new_signature: Callable[[str | None], str],
    google_thoughts: bool,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant"}
    content: str | None
    thought_text: str | None = None  # an untagged thought that prefixes content
    tool_calls: list[dict[str, Any]] = []
    if queued is not None:
        content = queued.content
        tool_calls = [normalize_tool_call(c, new_call_id()) for c in queued.tool_calls or []]
        if queued.extra_content is not None:
            message["extra_content"] = copy.deepcopy(queued.extra_content)
    else:
        last = messages[-1] if messages else {}
        if isinstance(last, dict) and last.get("role") == "tool":
            content = f"Tool result: {content_text(last.get('content'))}"
        elif tool is not None:
            content = None
            params = tool.get("parameters") or {"type": "object", "properties": {}}
            args = schema_instance(params, text)
            tool_calls = [
                {
                    "id": new_call_id(),
                    "type": "function",
                    "function": {"name": tool["name"], "arguments": json.dumps(args)},
                }
            ]
        else:
            content = _text_answer(body, text)
            if google_thoughts and config is not None and _cfg(config, "include_thoughts"):
                # Thoughts come inline, wrapped in thought_tag_marker when one is given, else
                # untagged (docs, H: Vertex AI docs "Using OpenAI libraries with Vertex AI").
                thought = f"Thinking about: {text}"
                marker = _google_extras(body).get("thought_tag_marker")
                if isinstance(marker, str) and marker:
                    content = f"<{marker}>{thought}</{marker}>{content}"
                    thought_text = f"<{marker}>{thought}</{marker}>"
                else:
                    content = f"{thought}\n{content}"
                    thought_text = thought

    finish = "tool_calls" if tool_calls else "stop"
    if content is not None:
        for stop in stops:
            if stop and stop in content:
                content = content[: content.index(stop)]
        if max_tokens is not None and word_count(content) > max_tokens:
            content = _truncate_words(content, max_tokens)
            finish = "length"
    if queued is not None and queued.finish_reason:
        finish = queued.finish_reason

    if gemini3:
        # Gemini 3 signs the first function call of a response (parallel calls: only the first
        # carries it) and may sign text (docs, H: Vertex AI docs "Thought signatures",
        # https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures;
        # text signatures: public captures, M, on the Gemini API).
        if tool_calls and "extra_content" not in tool_calls[0]:
            signature = new_signature(tool_calls[0].get("id"))
            tool_calls[0]["extra_content"] = {"google": {"thought_signature": signature}}
        elif not tool_calls and content and "extra_content" not in message:
            message["extra_content"] = {"google": {"thought_signature": new_signature(None)}}

    message["content"] = content
    if tool_calls:
        message["tool_calls"] = tool_calls
    choice: dict[str, Any] = {"message": message, "finish_reason": finish}
    if thought_text is not None and content is not None and content.startswith(thought_text):
        choice["thought_prefix"] = thought_text  # the thought as it leads content
        choice["thought"] = thought  # streamed as its own flagged delta on Gemini
        choice["thought_tagged"] = thought_text != thought
    return choice


def _text_answer(body: dict[str, Any], text: str) -> str:
    fmt = body.get("response_format")
    if isinstance(fmt, dict):
        if fmt.get("type") == "json_schema":
            spec = fmt.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            return json.dumps(schema_instance(schema if schema is not None else {}, text))
        if fmt.get("type") == "json_object":
            return json.dumps({"text": text})
    return f"You said: {text}"


GEMINI_API_SIGNATURES_DOC = "https://ai.google.dev/gemini-api/docs/thought-signatures"


def _signature_error(wording: str, name: str, block: int, *, missing: bool) -> str:
    if wording == "2026":
        # The wording captured throughout 2026 (public captures, M: e.g. manthanabc/paws#103
        # on the Gemini API, list-wrapped like Vertex in niki914/zafiro#100); "position N" is
        # the 1-based content index; the function name is prefixed "default_api:".
        if missing:
            return (
                "Function call is missing a thought_signature in functionCall parts. This is "
                "required for tools to work correctly, and missing thought_signature may lead "
                "to degraded model performance. Additional data, function call "
                f"`default_api:{name}` , position {block}. Please refer to "
                f"{GEMINI_API_SIGNATURES_DOC} for more details."
            )
        return "Corrupted thought signature."  # guessed (L): reported on the Gemini API
    verb = "is missing a" if missing else "has an invalid"  # "invalid": guessed wording
    return (
        f"Unable to submit request because function call `{name}` in the {block}. content "
        f"block {verb} `thought_signature`. Learn more: {THOUGHT_SIGNATURES_DOC}"
    )


def check_thought_signatures(
    messages: list[Any],
    is_valid: Callable[[str, str | None], bool],
    wording: str = "2025",
) -> str | None:
    """Gemini 3's check of the current turn; returns Vertex's 400 message or None.

    As Vertex documents it ("Thought signatures", H,
    https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures; and the
    Gemini API page, https://ai.google.dev/gemini-api/docs/thought-signatures): only the
    current turn is validated (the messages after the last ``user`` message); in it, each
    step (an assistant message with tool_calls) must carry the signature on its first
    function call; parallel calls after the first are unsigned and checked only when a
    signature is present. A signature must be one issued for that call id (``is_valid``
    decides; the documented placeholders ``skip_thought_signature_validator`` and
    ``context_engineering_is_the_way_to_go`` pass there). Wording ``"2025"``: the Vertex
    capture in openclaw/openclaw#77925; ``"2026"``: see :func:`_signature_error`. N is the
    1-based index among contents (system messages are not contents).
    """
    last_user = max(
        (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"),
        default=-1,
    )
    block = 0
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") in ("system", "developer"):
            continue
        block += 1
        calls = message.get("tool_calls")
        if index <= last_user or message.get("role") != "assistant" or not isinstance(calls, list):
            continue
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            function = call.get("function")
            name = function.get("name", "") if isinstance(function, dict) else ""
            extra = call.get("extra_content")
            google = extra.get("google") if isinstance(extra, dict) else None
            signature = google.get("thought_signature") if isinstance(google, dict) else None
            if signature is None or signature == "":
                if position == 0:
                    return _signature_error(wording, name, block, missing=True)
                continue
            call_id = call.get("id")
            if not isinstance(signature, str) or not is_valid(
                signature, call_id if isinstance(call_id, str) else None
            ):
                return _signature_error(wording, name, block, missing=False)
    return None


# --------------------------------------------------------------------------- embeddings


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-norm vector derived from SHA-256 of ``text``."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for i in range(0, len(digest), 4):
            (raw,) = struct.unpack("<I", digest[i : i + 4])
            values.append(raw / 0xFFFFFFFF * 2.0 - 1.0)
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
