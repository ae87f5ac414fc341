"""A model's reasoning apart from its answer, in every form Vertex sends it.

Vertex answers carry reasoning in several forms, depending on the model:

* a ``reasoning_content`` field beside ``content`` (DeepSeek V3.2, Kimi K2, Qwen3, GPT-OSS,
  GLM, Gemma 4 on MaaS: Vertex docs "Thinking" for open models,
  https://docs.cloud.google.com/vertex-ai/generative-ai/docs/maas/capabilities/thinking), or
  a ``reasoning`` field (vLLM's name for the same trace);
* ``<think>…</think>`` at the start of ``content`` (DeepSeek R1, MiniMax M2: same page);
* a closing ``</think>`` only, everything before it being reasoning (DeepSeek V3.1 with
  thinking on: same page; its chat template opens the tag in the prompt);
* Gemini's thought summaries (``include_thoughts``) inline in ``content``, wrapped in
  ``<marker>…</marker>`` when the request sets ``extra_body.google.thought_tag_marker``
  (Vertex docs, Chat Completions examples,
  https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/examples), and on
  streams as content deltas flagged ``extra_content.google.thought: true``.

:class:`ReasoningSplitter` separates one text incrementally (a tag cut across chunks, such as
``<`` then ``think>``, is held back until it is whole); :func:`normalize_message` and
:class:`StreamReasoning` rewrite a response or a stream in place so that ``content`` holds the
answer alone and ``reasoning_content`` the reasoning, the one field every client then reads.
Framework-free: the transport applies it to every chat answer (see ``transport.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_THOUGHT_MARKER",
    "REASONING_KEY",
    "ReasoningHints",
    "ReasoningSplitter",
    "StreamReasoning",
    "hints_from_payload",
    "hints_from_request",
    "mark_thoughts",
    "normalize_message",
    "restore_reasoning",
    "sends_reasoning_back",
    "split_reasoning",
]

#: The one field that carries reasoning once normalized (as DeepSeek and Vertex MaaS name it).
REASONING_KEY = "reasoning_content"

# Models whose template opens <think> in the prompt, so that a thinking answer has only the
# closing tag (DeepSeek V3.1, Vertex docs "Thinking" for open models, cited above).
_CLOSE_ONLY_MODELS = re.compile(r"deepseek-v3\.1", re.IGNORECASE)
_CLOSE_ONLY_BYTES = re.compile(rb"deepseek-v3\.1", re.IGNORECASE)


#: The tag name given to Gemini thoughts asked for without a ``thought_tag_marker``.
DEFAULT_THOUGHT_MARKER = "thought"


def mark_thoughts(payload: MutableMapping[str, Any]) -> bool:
    """Set ``extra_body.google.thought_tag_marker`` when thoughts are asked for without one.

    Gemini sends thought summaries (``thinking_config.include_thoughts``) inline in
    ``content``; only a ``thought_tag_marker`` wraps them in tags that tell them from the
    answer in a unary response (Vertex docs, Chat Completions examples, cited above). Returns
    True if the payload was changed.
    """
    google = _google(payload)
    if google is None:
        return False
    config = _either(google, "thinking_config", "thinkingConfig")
    if not isinstance(config, Mapping):
        return False
    if _either(config, "include_thoughts", "includeThoughts") is not True:
        return False
    if _either(google, "thought_tag_marker", "thoughtTagMarker"):
        return False
    google["thought_tag_marker"] = DEFAULT_THOUGHT_MARKER
    return True


def _google(payload: Mapping[str, Any]) -> Any:
    """``extra_body.google`` of a request payload (where Vertex reads Google's options)."""
    outer = payload.get("extra_body")
    google = outer.get("google") if isinstance(outer, Mapping) else None
    return google if isinstance(google, MutableMapping) else None


def _either(mapping: Mapping[str, Any], snake: str, camel: str) -> Any:
    """A key in snake or camel case (proto JSON takes both)."""
    value = mapping.get(snake)
    return mapping.get(camel) if value is None else value


@dataclass(frozen=True)
class ReasoningHints:
    """What the request tells about the answer's reasoning form."""

    marker: str | None = None
    """The Gemini ``thought_tag_marker`` the request set (its tags wrap thoughts)."""
    starts_inside: bool = False
    """The answer starts inside the reasoning (a lone closing ``</think>`` ends it)."""
    choices: int = 1
    """How many choices the request asked for (``n``): a stream is read until each has come."""


def _thinking_requested(payload: Mapping[str, Any]) -> bool:
    """Whether a hybrid model was asked to think (Vertex docs "Thinking" for open models:
    ``chat_template_kwargs`` ``thinking`` / ``enable_thinking``; or a reasoning effort)."""
    effort = payload.get("reasoning_effort")
    if isinstance(effort, str) and effort not in ("none", "minimal"):
        return True
    for holder in (payload, payload.get("extra_body")):
        kwargs = holder.get("chat_template_kwargs") if isinstance(holder, Mapping) else None
        if isinstance(kwargs, Mapping):
            return kwargs.get("thinking") is True or kwargs.get("enable_thinking") is True
    return False


def hints_from_payload(payload: Any) -> ReasoningHints:
    """:class:`ReasoningHints` from a chat request's JSON payload."""
    if not isinstance(payload, Mapping):
        return ReasoningHints()
    google = _google(payload)
    marker = _either(google, "thought_tag_marker", "thoughtTagMarker") if google else None
    model = payload.get("model")
    starts_inside = (
        isinstance(model, str)
        and _CLOSE_ONLY_MODELS.search(model) is not None
        and _thinking_requested(payload)
    )
    n = payload.get("n")
    choices = n if isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1
    return ReasoningHints(
        marker if isinstance(marker, str) and marker else None, starts_inside, choices
    )


def hints_from_request(body: bytes) -> ReasoningHints:
    """:class:`ReasoningHints` from a chat request body (parsed only when it may matter)."""
    if (
        b"thought_tag_marker" not in body
        and b"thoughtTagMarker" not in body
        and not _CLOSE_ONLY_BYTES.search(body)
        and b'"n"' not in body
    ):
        return ReasoningHints()
    try:
        return hints_from_payload(json.loads(body))
    except ValueError:
        return ReasoningHints()


class ReasoningSplitter:
    """Splits one answer's text, fed in pieces, into reasoning and answer.

    An opening tag (``<think>`` or ``<marker>``) counts at the start of the text or right
    after a closing tag, leading whitespace aside; the reasoning runs to the matching closing
    tag; whitespace after it is dropped. With ``starts_inside`` the text starts as reasoning.
    A piece that may be the start of a tag is held back until the next piece decides.
    """

    __slots__ = ("_closes", "_held", "_opens", "_state", "found")

    def __init__(self, marker: str | None = None, *, starts_inside: bool = False) -> None:
        names = ["think"] + ([marker] if marker and marker != "think" else [])
        self._opens = tuple(f"<{name}>" for name in names)
        self._closes = tuple(f"</{name}>" for name in names)
        self._held = ""
        # "start": an opening tag may come; "inside": reasoning; "after": after a closing
        # tag (whitespace dropped, another opening tag may come); "answer": plain text;
        # "inside_start": reasoning from the start, an opening tag there (should the model
        # send one after all) dropped.
        self._state = "inside_start" if starts_inside else "start"
        self.found = starts_inside
        """True once the text has entered reasoning."""

    @property
    def settled(self) -> bool:
        """True once nothing more can be reasoning (the rest passes through as the answer)."""
        return self._state == "answer" and not self._held

    def feed(self, text: str) -> tuple[str, str]:
        """The (reasoning, answer) text that ``text`` completes."""
        reasoning: list[str] = []
        answer: list[str] = []
        data = self._held + text
        self._held = ""
        while data:
            if self._state == "answer":
                answer.append(data)
                break
            if self._state == "inside":
                data = self._inside(data, reasoning)
                continue
            stripped = data.lstrip()
            if not stripped:  # whitespace only: wait (dropped after a tag, kept at the start)
                self._held = data
                break
            tag = next((t for t in self._opens if stripped.startswith(t)), None)
            if tag is not None:
                self._state = "inside"
                self.found = True
                data = stripped[len(tag) :]
                continue
            if any(t.startswith(stripped) for t in self._opens):
                self._held = data  # maybe an opening tag, cut
                break
            if self._state == "inside_start":
                self._state = "inside"
                continue
            answer.append(stripped if self._state == "after" else data)
            self._state = "answer"
            break
        return "".join(reasoning), "".join(answer)

    def _inside(self, data: str, reasoning: list[str]) -> str:
        found = [(data.find(t), t) for t in self._closes if t in data]
        if found:
            at, tag = min(found)
            reasoning.append(data[:at])
            self._state = "after"
            return data[at + len(tag) :]
        keep = max(
            (n for t in self._closes for n in range(1, len(t)) if data.endswith(t[:n])),
            default=0,
        )
        reasoning.append(data[: len(data) - keep])
        self._held = data[len(data) - keep :]
        return ""

    def flush(self) -> tuple[str, str]:
        """What is held back at the end of the text, as (reasoning, answer)."""
        held, self._held = self._held, ""
        if self._state in ("inside", "inside_start"):
            return held, ""
        if self._state == "after":
            return "", held.lstrip()
        return "", held


def split_reasoning(
    text: str, marker: str | None = None, *, starts_inside: bool = False
) -> tuple[str | None, str]:
    """``(reasoning or None, answer)`` of a whole text (see :class:`ReasoningSplitter`)."""
    splitter = ReasoningSplitter(marker, starts_inside=starts_inside)
    reasoning, answer = splitter.feed(text)
    more_reasoning, more_answer = splitter.flush()
    found = reasoning + more_reasoning
    return (found if splitter.found else None), answer + more_answer


def _join(*parts: Any) -> str | None:
    texts = [p for p in parts if isinstance(p, str) and p]
    return "".join(texts) if texts else None


def _drop_thought_flag(holder: MutableMapping[str, Any]) -> bool:
    """Remove ``extra_content.google.thought: true``; True if it was there."""
    extra = holder.get("extra_content")
    google = extra.get("google") if isinstance(extra, MutableMapping) else None
    if not isinstance(google, MutableMapping) or google.get("thought") is not True:
        return False
    del google["thought"]
    if not google:
        del extra["google"]  # type: ignore[union-attr]
    if not extra:
        del holder["extra_content"]
    return True


def _from_reasoning_field(message: MutableMapping[str, Any]) -> bool:
    """Copy a ``reasoning`` field (the name some servers use) to ``reasoning_content`` unless
    the message has one; True if copied. Used for whole messages and stream deltas alike."""
    if isinstance(message.get(REASONING_KEY), str) or not isinstance(message.get("reasoning"), str):
        return False
    message[REASONING_KEY] = message["reasoning"]
    return True


def normalize_message(message: Any, hints: ReasoningHints = ReasoningHints()) -> bool:
    """Rewrite one answer message in place: answer in ``content``, reasoning in
    ``reasoning_content`` (from ``reasoning``, or split out of ``content``). True if changed."""
    if not isinstance(message, MutableMapping):
        return False
    changed = _from_reasoning_field(message)
    content = message.get("content")
    if isinstance(content, str):
        reasoning, answer = split_reasoning(
            content, hints.marker, starts_inside=hints.starts_inside
        )
        if reasoning is not None:
            message["content"] = answer
            message[REASONING_KEY] = _join(message.get(REASONING_KEY), reasoning) or ""
            changed = True
    return changed


class StreamReasoning:
    """One stream's reasoning, normalized chunk by chunk (one splitter per choice)."""

    __slots__ = ("_hints", "_last", "_splitters")

    def __init__(self, hints: ReasoningHints = ReasoningHints()) -> None:
        self._hints = hints
        self._splitters: dict[int, ReasoningSplitter] = {}
        self._last: dict[str, Any] = {}

    @property
    def active(self) -> bool:
        """False once every choice's text passes through unchanged (no chunk need be read)."""
        if len(self._splitters) < self._hints.choices:
            return True  # a choice has yet to start (n > 1)
        return not self._splitters or not all(s.settled for s in self._splitters.values())

    def _splitter(self, index: int) -> ReasoningSplitter:
        splitter = self._splitters.get(index)
        if splitter is None:
            hints = self._hints
            splitter = ReasoningSplitter(hints.marker, starts_inside=hints.starts_inside)
            self._splitters[index] = splitter
        return splitter

    def normalize_chunk(self, chunk: Any) -> bool:
        """Normalize one ``chat.completion.chunk`` in place; True if changed."""
        choices = chunk.get("choices") if isinstance(chunk, Mapping) else None
        if not isinstance(choices, list):
            return False
        self._last = {k: chunk[k] for k in ("id", "created", "model", "object") if k in chunk}
        changed = False
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, Mapping) else None
            if not isinstance(delta, MutableMapping):
                continue
            index = choice.get("index", 0)
            index = index if isinstance(index, int) else 0
            changed = self._normalize_delta(delta, index) or changed
            if choice.get("finish_reason") is not None:
                changed = self._flush_into(delta, index) or changed
        return changed

    def _normalize_delta(self, delta: MutableMapping[str, Any], index: int) -> bool:
        changed = _from_reasoning_field(delta)
        content = delta.get("content")
        if not isinstance(content, str) or not content:
            return changed
        if _drop_thought_flag(delta):
            # A Gemini thought summary streamed as flagged content: reasoning, not text.
            delta[REASONING_KEY] = _join(delta.get(REASONING_KEY), content) or ""
            delta["content"] = ""
            return True
        splitter = self._splitter(index)
        if splitter.settled:
            return changed
        reasoning, answer = splitter.feed(content)
        if answer == content and not reasoning:
            return changed
        delta["content"] = answer
        if reasoning:
            delta[REASONING_KEY] = _join(delta.get(REASONING_KEY), reasoning) or ""
        return True

    def _flush_into(self, delta: MutableMapping[str, Any], index: int) -> bool:
        splitter = self._splitters.get(index)
        if splitter is None:
            return False
        reasoning, answer = splitter.flush()
        if reasoning:
            delta[REASONING_KEY] = _join(delta.get(REASONING_KEY), reasoning) or ""
        if answer:
            delta["content"] = _join(delta.get("content"), answer) or ""
        return bool(reasoning or answer)

    def flush(self) -> dict[str, Any] | None:
        """A closing chunk with any text still held back (a stream ended without a
        ``finish_reason`` on a choice), or None."""
        choices = []
        for index in sorted(self._splitters):
            delta: dict[str, Any] = {}
            if self._flush_into(delta, index):
                choices.append({"index": index, "delta": delta, "finish_reason": None})
        if not choices:
            return None
        return {**self._last, "choices": choices}


# --------------------------------------------------------------------------------------------
# The next turn

# DeepSeek's thinking mode: "for turns that do perform tool calls, the reasoning_content must
# be fully passed back to the API in all subsequent requests" (DeepSeek API docs, "Thinking
# Mode", https://api-docs.deepseek.com/guides/thinking_mode); without tool calls it is not
# needed (and ignored). Kimi K2 thinking: keep reasoning_content in the context of multi-step
# tool calls (Moonshot docs, "Using thinking models",
# https://platform.moonshot.ai/docs/guide/use-kimi-k2-thinking-model; a 400 without it on
# Moonshot's API, openai/openai-agents-python#2669).
_SENDS_BACK = re.compile(r"deepseek|kimi", re.IGNORECASE)


def sends_reasoning_back(model: Any) -> bool:
    """Whether the model's docs ask for its reasoning back on assistant tool-call messages."""
    return isinstance(model, str) and _SENDS_BACK.search(model) is not None


def restore_reasoning(payload_messages: list[Any], reasonings: list[Any], model: Any) -> int:
    """Put reasoning back, as ``reasoning_content`` (never as content), on the outgoing
    assistant messages with tool calls of a model whose docs ask for it, in place.

    Args:
        payload_messages: OpenAI-format messages about to be sent.
        reasonings: the reasoning text kept for each assistant message, in order (None where
            there was none).
        model: the request's model.

    Returns the number of messages given their reasoning back.
    """
    if not sends_reasoning_back(model):
        return 0
    assistants = [
        m
        for m in payload_messages
        if isinstance(m, MutableMapping) and m.get("role") == "assistant"
    ]
    restored = 0
    for message, reasoning in zip(assistants, reasonings, strict=False):
        if message.get("tool_calls") and isinstance(reasoning, str) and reasoning:
            message.setdefault(REASONING_KEY, reasoning)
            restored += 1
    return restored
