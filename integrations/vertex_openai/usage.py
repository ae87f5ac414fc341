"""Token usage of a Vertex answer, read the same way whatever the model.

Vertex reports usage in OpenAI's ``usage`` object, with differences per model family
(Vertex docs, Chat Completions examples,
https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/examples, and
"Thinking" for open models,
https://docs.cloud.google.com/vertex-ai/generative-ai/docs/maas/capabilities/thinking):

* Gemini 3.x: ``completion_tokens`` excludes thinking; ``completion_tokens_details.
  reasoning_tokens`` carries it and ``total_tokens`` = prompt + completion + reasoning
  (27 + 45 + 504 = 576 in the stream_function_call_arguments example). Grok counts its
  reasoning the same way, outside ``completion_tokens``.
* MaaS (SGLang-served models): a top-level ``usage.reasoning_tokens`` that is 0 even when
  reasoning was returned (DeepSeek V3.2, MiniMax M2 examples) — a 0 there means "not
  counted", not "no reasoning"; total = prompt + completion.
* Cached prompt tokens in ``prompt_tokens_details.cached_tokens`` (MiniMax M2 example: 15).
* ``usage.extra_properties.google.traffic_type``: ``ON_DEMAND`` or
  ``PROVISIONED_THROUGHPUT``.

:func:`read_usage` gives one :class:`Usage` in OpenAI's sense (output includes reasoning,
input + output = total) that both adapters translate to their framework's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Usage", "read_usage"]


@dataclass(frozen=True)
class Usage:
    """One answer's token usage, normalized."""

    input_tokens: int
    output_tokens: int
    """Generated tokens, reasoning included (OpenAI's and LangChain's convention)."""
    total_tokens: int
    reasoning_tokens: int | None = None
    """Reasoning tokens, None when not reported (a MaaS top-level 0 is not a count)."""
    cached_tokens: int | None = None
    """Prompt tokens read from the context cache, None when not reported."""
    traffic_type: str | None = None
    """``ON_DEMAND`` or ``PROVISIONED_THROUGHPUT`` (``extra_properties.google``)."""


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None)  # openai SDK models keep unknown keys there
        if isinstance(extra, Mapping):
            value = extra.get(name)
    return value


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_usage(usage: Any) -> Usage | None:
    """:class:`Usage` from a ``usage`` object (a dict or the openai SDK's), or None."""
    if usage is None:
        return None
    prompt = _count(_get(usage, "prompt_tokens"))
    completion = _count(_get(usage, "completion_tokens"))
    if prompt is None and completion is None:
        return None
    prompt, completion = prompt or 0, completion or 0
    total = _count(_get(usage, "total_tokens"))
    reasoning = _count(_get(_get(usage, "completion_tokens_details"), "reasoning_tokens"))
    if reasoning is None:
        top = _count(_get(usage, "reasoning_tokens"))
        reasoning = top if top else None  # MaaS sends 0 even when it reasoned
    output = completion
    if reasoning and total is not None and total == prompt + completion + reasoning:
        output = completion + reasoning  # counted outside completion_tokens (Gemini, Grok)
    if total is None:
        total = prompt + output
    elif total > prompt + output:
        output = total - prompt  # whatever else was generated, so that the sum holds
    cached = _count(_get(_get(usage, "prompt_tokens_details"), "cached_tokens"))
    google = _get(_get(usage, "extra_properties"), "google")
    traffic = _get(google, "traffic_type")
    return Usage(
        input_tokens=prompt,
        output_tokens=output,
        total_tokens=total,
        reasoning_tokens=reasoning,
        cached_tokens=cached,
        traffic_type=traffic if isinstance(traffic, str) else None,
    )
