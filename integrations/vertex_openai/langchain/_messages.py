"""Between LangChain messages and Vertex's JSON: reasoning blocks, usage, files, captures.

The core does the work (:mod:`vertex_openai.reasoning`, :mod:`~vertex_openai.usage`,
:mod:`~vertex_openai.content`, :mod:`~vertex_openai.gemini`); this module only reads and
writes LangChain's message fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.block_translators import get_translator, register_translator
from langchain_core.outputs import ChatGenerationChunk
from pydantic import BaseModel as PydanticBaseModel

from ..content import media_part
from ..gemini import (
    EXTRA_CONTENT_KEY,
)
from ..reasoning import REASONING_KEY
from ..usage import Usage, read_usage

#: ``ls_provider`` (LangSmith cost tracking prices Gemini under it) and, the same name,
#: ``response_metadata["model_provider"]``: langchain's SummarizationMiddleware trusts a
#: message's reported token counts only when the two agree.
PROVIDER = "google_vertexai"


def with_reasoning(blocks: list[Any], message: BaseMessage) -> list[Any]:
    """``blocks`` with the message's ``reasoning_content`` first, as a standard reasoning
    block (unless the translator gave one)."""
    reasoning = message.additional_kwargs.get(REASONING_KEY)
    if not isinstance(reasoning, str) or not reasoning:
        return blocks
    if any(isinstance(b, Mapping) and b.get("type") == "reasoning" for b in blocks):
        return blocks
    return [{"type": "reasoning", "reasoning": reasoning}, *blocks]


def _register_reasoning_translator() -> None:
    """Make ``content_blocks`` of our messages show reasoning as reasoning blocks.

    langchain-core picks the block translator by ``response_metadata["model_provider"]``
    (``langchain_core.messages.block_translators``). Ours is langchain-core's own
    ``google_vertexai`` translator, which reads string content, tool calls and metadata but not
    ``additional_kwargs["reasoning_content"]``: it is wrapped to add that one block, and is
    otherwise unchanged (messages of other ``google_vertexai`` integrations carry no
    ``reasoning_content`` and come out as before).
    """
    base = get_translator(PROVIDER)
    if base is None or getattr(base["translate_content"], "_vertex_openai", False):
        return
    unary, chunk = base["translate_content"], base["translate_content_chunk"]

    def translate_content(message: AIMessage) -> list[Any]:
        return with_reasoning(unary(message), message)

    def translate_content_chunk(message: AIMessageChunk) -> list[Any]:
        return with_reasoning(chunk(message), message)

    translate_content._vertex_openai = True  # type: ignore[attr-defined]
    register_translator(PROVIDER, translate_content, translate_content_chunk)


_register_reasoning_translator()


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's usage fields from the core's :class:`~vertex_openai.usage.Usage`."""
    metadata = UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_token_details=InputTokenDetails(),
        output_token_details=OutputTokenDetails(),
    )
    # Detail keys only when known (as langchain-openai does).
    if usage.cached_tokens is not None:
        metadata["input_token_details"]["cache_read"] = usage.cached_tokens
    if usage.reasoning_tokens is not None:
        metadata["output_token_details"]["reasoning"] = usage.reasoning_tokens
    return metadata


def read_into(message: BaseMessage, source: Any, usage: Any) -> None:
    """Reasoning, usage, traffic type and provider of one answer (or chunk) onto its message."""
    reasoning = field_of(source, REASONING_KEY)
    if isinstance(reasoning, str) and reasoning:
        message.additional_kwargs[REASONING_KEY] = reasoning
    read = read_usage(usage)
    if read is not None and isinstance(message, AIMessage):
        message.usage_metadata = usage_metadata(read)
        if read.traffic_type is not None:
            message.response_metadata["traffic_type"] = read.traffic_type
    message.response_metadata["model_provider"] = PROVIDER


def field_of(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    value = getattr(obj, name, None)
    extra = getattr(obj, "model_extra", None) if value is None else None
    return extra.get(name) if isinstance(extra, Mapping) else value


class StreamedExtraContent:
    """Keeps one stream's chunks from carrying the same captured ``extra_content`` twice.

    LangChain adds chunks with ``merge_dicts``, which concatenates equal strings: a thought
    signature seen on two deltas (or again on the final completion of a ``response_format``
    stream) would come out doubled. The first value of each part wins.
    """

    def __init__(self) -> None:
        self._message = False
        self._calls: set[Any] = set()

    def dedupe(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        kwargs = chunk.message.additional_kwargs
        captured = kwargs.get(EXTRA_CONTENT_KEY)
        if not isinstance(captured, Mapping):
            return chunk
        fresh: dict[str, Any] = {}
        if "message" in captured and not self._message:
            fresh["message"] = captured["message"]
            self._message = True
        calls = [c for c in captured.get("tool_calls", ()) if c.get("index") not in self._calls]
        if calls:
            self._calls.update(c.get("index") for c in calls)
            fresh["tool_calls"] = calls
        if fresh:
            kwargs[EXTRA_CONTENT_KEY] = fresh
        else:
            del kwargs[EXTRA_CONTENT_KEY]
        return chunk


def is_model_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, PydanticBaseModel)


MEDIA_BLOCKS = ("image", "file", "audio", "video")


def vertex_part(block: Mapping[str, Any], file_parts: Any) -> dict[str, Any] | None:
    """The Vertex part for one standard data block (v1, or v0 ``source_type``), else None."""
    kind = block.get("type")
    if kind not in MEDIA_BLOCKS or "file_id" in block:
        return None
    source = block.get("source_type")
    if source is not None:  # v0: {"source_type": "url" | "base64" | "id", ...}
        url = block.get("url") if source == "url" else None
        data = block.get("data") if source == "base64" else None
    else:
        url, data = block.get("url"), block.get("base64")
    if url is None and data is None:
        return None
    extras = block.get("extras") or block.get("metadata") or {}
    return media_part(
        kind,
        url=url,
        data=data,
        mime_type=block.get("mime_type"),
        filename=block.get("filename") or extras.get("filename"),
        file_parts=file_parts,
    )


def with_vertex_files(message: BaseMessage, file_parts: Any) -> BaseMessage:
    """``message`` with its file blocks in Vertex's form (the same object when it has none).

    langchain-openai would raise "OpenAI Chat Completions does not support file URLs" for a
    ``gs://`` file and refuse video blocks; Gemini reads both (see vertex_openai.content).
    """
    if not isinstance(message.content, list):
        return message
    content: list[Any] = []
    changed = False
    for block in message.content:
        part = vertex_part(block, file_parts) if isinstance(block, Mapping) else None
        changed = changed or part is not None
        content.append(block if part is None else part)
    return message.model_copy(update={"content": content}) if changed else message


def sent_assistants(
    messages: list[BaseMessage], payload_messages: list[dict[str, Any]]
) -> list[BaseMessage]:
    """The messages sent as the payload's assistant messages, in order.

    langchain-openai converts messages one to one; should that ever change, the AI messages
    are taken in order (restore_extra_content matches tool calls by id first anyway).
    """
    if len(messages) == len(payload_messages):
        pairs = zip(messages, payload_messages, strict=True)
        return [m for m, d in pairs if d.get("role") == "assistant"]
    return [m for m in messages if isinstance(m, AIMessage)]


def captured_extra_content(
    messages: list[BaseMessage], payload_messages: list[dict[str, Any]]
) -> list[Mapping[str, Any] | None]:
    """What was captured for each assistant message, in order."""
    values = [
        m.additional_kwargs.get(EXTRA_CONTENT_KEY)
        for m in sent_assistants(messages, payload_messages)
    ]
    return [value if isinstance(value, Mapping) else None for value in values]
