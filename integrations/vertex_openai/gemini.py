"""Gemini on Vertex beyond plain Chat Completions: options and thought signatures.

* :func:`google_options` / :func:`merge_extra_body`: Gemini options (thinking, safety, context
  cache, thought tags) carried in the request JSON as ``{"extra_body": {"google": {...}}}``.
* :func:`capture_extra_content` / :func:`restore_extra_content` /
  :func:`merge_extra_content`: Gemini 3 thought signatures, kept from a response (unary or
  streamed) and sent back unchanged on the next turn.
* :func:`sign_unsigned_tool_calls`: Google's placeholder signature on the current turn's
  function calls that no model signed (history from elsewhere), so Gemini 3 accepts them.

Framework-free: the LangChain and LlamaIndex adapters call these; a new Gemini quirk of the
request or response JSON goes here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

__all__ = [
    "EXTRA_CONTENT_KEY",
    "PLACEHOLDER_SIGNATURE",
    "ToolCallDeltas",
    "capture_extra_content",
    "google_options",
    "merge_extra_body",
    "merge_extra_content",
    "restore_extra_content",
    "sign_unsigned_tool_calls",
    "validates_signatures",
]

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

    Vertex docs, "Using OpenAI libraries with Vertex AI"
    (https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/overview):
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
    Google's options from the JSON key ``extra_body`` (Vertex docs page cited above), hence the
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
    the message itself (Vertex docs, "Thought signatures",
    https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures). The whole
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
    Vertex docs, "Thought signatures"). Call :func:`capture_extra_content` on each
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


# --------------------------------------------------------------------------------------------
# Streamed tool calls in OpenAI's form


class ToolCallDeltas:
    """One stream's tool-call deltas, put in the form OpenAI clients merge correctly.

    OpenAI streams a call's first delta with ``id``, ``type`` and ``function.name`` and its
    later deltas with the same ``index`` and argument text only; the openai SDK, LangChain and
    LlamaIndex merge by ``index`` and concatenate every string. Gemini differs:

    * plain streams send each call whole in one delta *without* ``index``, parallel calls in
      separate chunks (Gemini API OpenAI-compatible stream captured in THU-MAIC/OpenMAIC#1556;
      see ``tests/fixtures/vertex/``);
    * with ``stream_function_call_arguments`` every fragment repeats ``id``, ``type`` and
      ``name``, and ``index`` is not stable per call (Vertex docs "Chat Completions API
      examples", https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/
      examples: call ``c855…`` arrives as index 1 then 0).

    So calls are told apart by ``id`` when there is one, else by the given ``index``, else an
    entry with a function name starts a new call and one without continues the last. Each call
    gets its own index in order of appearance; fragments after a call's first lose the repeated
    ``id``, ``type`` and ``name``. A stream already in OpenAI's form (calls numbered 0, 1, ...
    as they come) is left unchanged.
    """

    __slots__ = ("_by_given", "_by_id", "_last", "_next")

    def __init__(self) -> None:
        self._by_id: dict[str, int] = {}
        self._by_given: dict[int, int] = {}
        self._next = 0
        self._last: int | None = None

    def normalize_chunk(self, chunk: Any) -> bool:
        """Normalize the tool calls of one ``chat.completion.chunk`` in place; True if changed."""
        changed = False
        choices = chunk.get("choices") if isinstance(chunk, Mapping) else None
        for choice in choices if isinstance(choices, list) else ():
            delta = choice.get("delta") if isinstance(choice, Mapping) else None
            calls = delta.get("tool_calls") if isinstance(delta, Mapping) else None
            for call in calls if isinstance(calls, list) else ():
                if isinstance(call, MutableMapping):
                    changed = self._normalize(call) or changed
        return changed

    def _normalize(self, call: MutableMapping[str, Any]) -> bool:
        call_id, given = call.get("id"), call.get("index")
        function = call.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(call_id, str) and call_id:
            index = self._by_id.get(call_id)
            first = index is None
            if index is None:
                index = self._by_id[call_id] = self._new(given)
        elif isinstance(given, int) and given in self._by_given:
            index, first = self._by_given[given], False
        elif isinstance(given, int) or name or self._last is None:
            index, first = self._new(given), True
        else:
            index, first = self._last, False
        self._last = index
        changed = call.get("index") != index
        call["index"] = index
        if not first:
            for key in ("id", "type"):
                changed = call.pop(key, None) is not None or changed
            if isinstance(function, MutableMapping) and "name" in function:
                del function["name"]
                changed = True
        return changed

    def _new(self, given: Any) -> int:
        index, self._next = self._next, self._next + 1
        if isinstance(given, int):
            self._by_given[given] = index
        return index


# --------------------------------------------------------------------------------------------
# Placeholder signatures for history the model did not sign

#: Google's documented placeholder for a function call that carries no signature because the
#: model did not produce it (history from another model, rebuilt from storage, hand-written):
#: Vertex docs "Thought signatures" (https://docs.cloud.google.com/vertex-ai/generative-ai/docs/
#: thought-signatures) and Gemini API "Thought signatures" FAQ
#: (https://ai.google.dev/gemini-api/docs/thought-signatures) name
#: ``skip_thought_signature_validator`` and ``context_engineering_is_the_way_to_go``.
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"

_GEMINI_MAJOR = re.compile(r"(?:^|/)gemini-(\d+)")


def validates_signatures(model: Any) -> bool:
    """True for models that refuse unsigned function calls of the current turn (Gemini 3+)."""
    match = _GEMINI_MAJOR.search(model) if isinstance(model, str) else None
    return match is not None and int(match.group(1)) >= 3


def _signed(call: Any) -> bool:
    extra = call.get("extra_content") if isinstance(call, Mapping) else None
    google = extra.get("google") if isinstance(extra, Mapping) else None
    return isinstance(google, Mapping) and bool(google.get("thought_signature"))


def sign_unsigned_tool_calls(messages: Sequence[MutableMapping[str, Any]]) -> int:
    """Give the current turn's unsigned steps Google's placeholder signature, in place.

    Gemini 3 checks the current turn only (the messages after the last user message): the
    first function call of each step (each assistant message with tool calls) must carry a
    signature (Vertex docs, "Thought signatures"). A step in which no call is signed gets
    :data:`PLACEHOLDER_SIGNATURE` on its first call; a real signature is never touched.

    Returns the number of placeholders added.
    """
    last_user = max(
        (i for i, m in enumerate(messages) if isinstance(m, Mapping) and m.get("role") == "user"),
        default=-1,
    )
    added = 0
    for message in messages[last_user + 1 :]:
        calls = message.get("tool_calls") if isinstance(message, Mapping) else None
        if message.get("role") != "assistant" or not isinstance(calls, list) or not calls:
            continue
        first = calls[0]
        if not isinstance(first, MutableMapping) or any(_signed(c) for c in calls):
            continue
        extra = first.setdefault("extra_content", {})
        if isinstance(extra, MutableMapping):
            google = extra.setdefault("google", {})
            if isinstance(google, MutableMapping):
                google["thought_signature"] = PLACEHOLDER_SIGNATURE
                added += 1
    return added
