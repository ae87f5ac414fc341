"""Partner (MaaS) model shapes (private): reasoning forms and the extra keys MaaS sends.

Vertex serves open models ("Model as a Service") through the same Chat Completions route;
their answers carry the serving stack's own keys rather than Gemini's. Pure functions over a
``_model.ChatPlan`` and the response payloads; standard library and ``_model`` only.

Sources: Vertex AI docs "Call open model APIs",
https://cloud.google.com/vertex-ai/generative-ai/docs/maas/call-open-model-apis (response
and stream samples: ``reasoning_content``, ``matched_stop``, ``usage.extra_properties``), the
per-publisher MaaS pages (e.g. https://cloud.google.com/vertex-ai/generative-ai/docs/maas/deepseek:
DeepSeek-V3.1 is "a hybrid model that supports both thinking mode and non-thinking mode"),
and the publishers' model cards for the reasoning forms.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Literal

from ._model import ChatPlan, content_text, thinking_config, word_count

ReasoningForm = Literal["field", "think", "close_only"]

# (pattern on the lower-cased model name, form, thinks without being asked)
_FORMS: list[tuple[str, ReasoningForm, bool]] = [
    # reasoning_content on the message / delta (docs / public captures, M: "Call open model
    # APIs" and the publishers' MaaS pages; the GLM, Kimi and Qwen3 thinking model cards).
    ("deepseek-ai/deepseek-v3.2*", "field", False),
    ("openai/gpt-oss*", "field", True),  # gpt-oss always reasons (effort defaults to medium)
    ("zai-org/glm*", "field", False),
    ("moonshotai/kimi*thinking*", "field", True),
    ("moonshotai/kimi*", "field", False),
    ("qwen/qwen3*thinking*", "field", True),  # thinking-only models
    # <think>...</think> inside content (model cards: DeepSeek-R1 always thinks; MiniMax-M2
    # is an interleaved-thinking model that keeps <think> blocks in content).
    ("deepseek-ai/deepseek-r1*", "think", True),
    ("minimaxai/minimax*", "think", True),
    # DeepSeek-V3.1's chat template opens <think> in the prompt, so the completion starts
    # inside it: a closing </think> with no opening tag (model card, H; public captures, M).
    ("deepseek-ai/deepseek-v3.1*", "close_only", False),
]


def reasoning_form(model: str) -> tuple[ReasoningForm, bool] | None:
    """The reasoning form of a MaaS model and whether it always thinks (None: no form)."""
    name = model.lower()
    for pattern, form, always in _FORMS:
        if fnmatch.fnmatchcase(name, pattern):
            return form, always
    return None


def is_maas(model: str) -> bool:
    """A partner / open model on ``endpoints/openapi`` (any publisher but ``google``)."""
    publisher, _, name = model.partition("/")
    return bool(publisher and name) and publisher != "google"


def thinking_requested(body: dict[str, Any]) -> bool:
    """Whether the request asks a hybrid model to think.

    ``reasoning_effort`` other than ``none``, a Google ``thinking_config`` (budget not 0), or
    vLLM/SGLang's ``chat_template_kwargs`` ``thinking`` / ``enable_thinking`` (the switch the
    hybrid models' cards document).
    """
    effort = body.get("reasoning_effort")
    if isinstance(effort, str) and effort not in ("none", "minimal"):
        return True
    config = thinking_config(body)
    if config is not None:
        budget = config.get("thinking_budget", config.get("thinkingBudget"))
        return budget != 0
    kwargs = body.get("chat_template_kwargs")
    if not isinstance(kwargs, dict):
        outer = body.get("extra_body")
        kwargs = outer.get("chat_template_kwargs") if isinstance(outer, dict) else None
    if isinstance(kwargs, dict):
        return kwargs.get("thinking") is True or kwargs.get("enable_thinking") is True
    return False


def apply_reasoning(
    plan: ChatPlan,
    model: str,
    body: dict[str, Any],
    mode: str,
    text: str,
    field: str = "reasoning_content",
) -> int:
    """Add the model's reasoning to each plain-text choice; returns the reasoning tokens.

    ``mode`` is ``VertexEmulator.maas_reasoning``: ``"auto"`` (models that always think, and
    hybrid ones when asked: :func:`thinking_requested`), ``"always"`` or ``"never"``. The
    reasoning text is ``"Thinking about: <last user text>"``; the answer itself is unchanged.
    ``field`` names the reasoning field of the ``"field"`` form (``VertexEmulator.
    maas_reasoning_field``).
    """
    found = reasoning_form(model)
    if found is None or mode == "never":
        return 0
    form, always = found
    if mode == "auto" and not always and not thinking_requested(body):
        return 0
    reasoning = f"Thinking about: {text}"
    added = 0
    for choice in plan.choices:
        message = choice["message"]
        content = message.get("content")
        if message.get("tool_calls") and form != "field":
            continue
        added = word_count(reasoning)
        if form == "field":
            message[field] = reasoning
        elif form == "think":
            # A blank line after the closing tag, as in the MiniMax M2 example (docs, H).
            message["content"] = f"<think>{reasoning}</think>\n\n{content or ''}"
        else:
            message["content"] = f"{reasoning}</think>{content or ''}"
    if added:
        usage = plan.usage
        usage["completion_tokens"] = word_count(
            content_text(plan.choices[0]["message"].get("content"))
        ) + (added if form == "field" else 0)
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return added


def extend_usage(usage: dict[str, Any], reasoning_tokens: int) -> dict[str, Any]:
    """MaaS usage keys: ``prompt_tokens_details: null``, top-level ``reasoning_tokens`` and
    ``extra_properties.google.traffic_type`` (docs, H, for traffic_type: the Grok
    "Function calling" example response on docs.cloud.google.com, fixture
    tests/fixtures/vertex/openapi_responses_function_call_grok_docs.json; public captures,
    M, for the others: SGLang's ``UsageInfo`` fields as MaaS relays them)."""
    extended = dict(usage)
    extended.setdefault("prompt_tokens_details", None)
    extended.setdefault("reasoning_tokens", reasoning_tokens)
    extended.setdefault("extra_properties", {"google": {"traffic_type": "ON_DEMAND"}})
    return extended


def sglang_shape(model: str) -> bool:
    """Whether the model's answers have the SGLang-style keys of the thinking page's
    examples (``reasoning_content``/``tool_calls`` null when unused, no
    ``system_fingerprint``): every example but DeepSeek R1's (docs, H: Vertex AI docs
    "Thinking" for open models)."""
    return not fnmatch.fnmatchcase(model.lower(), "deepseek-ai/deepseek-r1*")


def extend_message(message: dict[str, Any]) -> dict[str, Any]:
    """``reasoning_content`` and ``tool_calls`` null when unused (the thinking page's
    examples, docs, H)."""
    extended = dict(message)
    extended.setdefault("reasoning_content", None)
    extended.setdefault("tool_calls", None)
    return extended


def extend_choice(choice: dict[str, Any]) -> dict[str, Any]:
    """``matched_stop`` on a finished choice: the EOS token id when the model stopped on its
    own, else null (public captures, M: SGLang's field, relayed by MaaS)."""
    extended = dict(choice)
    finish = choice.get("finish_reason")
    extended["matched_stop"] = 1 if finish == "stop" else None
    return extended


# The serving stack's weight version, sent at the top level of every response and chunk
# (public captures, M: SGLang's ``metadata.weight_version``, "default" unless updated).
METADATA: dict[str, Any] = {"weight_version": "default"}
