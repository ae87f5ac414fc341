"""The peer a user would pick instead of vertex-openai: LiteLLM's Vertex AI provider through
LangChain's ``ChatLiteLLM`` (langchain-litellm), aimed at the same emulator.

Optional: ``uv sync --group bench`` installs it; without it the peer rows are left out.

Which LiteLLM route reaches the emulator: its Gemini route (``vertex_ai/gemini-...``) calls
Vertex's native ``generateContent`` API, which the emulator does not serve; its partner-model
route for OpenAI-compatible publishers (``vertex_ai/meta/...``, DeepSeek, Qwen, ...) posts to
``v1/projects/P/locations/L/endpoints/openapi/chat/completions``, the route vertex-openai
uses (BerriAI/litellm, ``litellm/llms/vertex_ai/vertex_llm_base.py``,
``VertexBase.create_vertex_url`` for ``VertexPartnerProvider.llama``, and
``vertex_ai_partner_models/main.py``, ``should_use_openai_handler``). So the peer rows
compare both on a partner model, ``meta/llama-3.3-70b-instruct-maas``, same URL, same
emulator. ``api_base`` replaces LiteLLM's host; ``vertex_credentials`` (the service-account
JSON) is loaded, refreshed and cached by LiteLLM itself (real google-auth against the
emulator's token endpoint).
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

from harness import LOCATION, PROJECT, EmulatorProcess

#: The partner model both sides call in the peer rows (LiteLLM's OpenAI-compatible route).
PARTNER_MODEL = "meta/llama-3.3-70b-instruct-maas"


def available() -> bool:
    """True when langchain-litellm (and LiteLLM) are installed."""
    try:
        return importlib.util.find_spec("langchain_litellm") is not None
    except (ImportError, ValueError):
        return False


def litellm_chat(emu: EmulatorProcess, timeout: float, credentials_json: str | None = None) -> Any:
    """A ``ChatLiteLLM`` on LiteLLM's vertex_ai provider, aimed at the emulator.

    ``credentials_json``: the service-account JSON LiteLLM loads (default: the emulator's);
    ``"adc"``: none, LiteLLM uses Application Default Credentials.
    """
    # LiteLLM downloads its model price list at import unless told to use its bundled copy.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from langchain_litellm import ChatLiteLLM

    return ChatLiteLLM(
        model=f"vertex_ai/{PARTNER_MODEL}",
        api_base=emu.url,
        request_timeout=timeout,
        model_kwargs={
            "vertex_project": PROJECT,
            "vertex_location": LOCATION,
            **(
                {}
                if credentials_json == "adc"
                else {
                    "vertex_credentials": credentials_json or json.dumps(emu.service_account_info)
                }
            ),
        },
    )
