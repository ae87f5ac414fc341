"""langchain-tests' integration tests against real Vertex AI (marked ``live``).

Collected only with ``uv run pytest --live`` (or ``VERTEX_OPENAI_LIVE=1``, or this file's
path on the command line); then skipped, without any network call, unless GOOGLE_CLOUD_PROJECT
is set and a credential file exists (GOOGLE_APPLICATION_CREDENTIALS, or gcloud's
application_default_credentials.json). Optional:
GOOGLE_CLOUD_LOCATION (default us-central1), VERTEX_LIVE_MODEL (gemini-2.5-flash),
VERTEX_LIVE_GEMINI3_MODEL (gemini-3-pro-preview, on the global location),
VERTEX_LIVE_EMBEDDING_MODEL (text-embedding-005).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from vertex_openai.auth import adc_file

pytest.importorskip("langchain_openai")
pytest.importorskip("langchain_tests")

from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from vertex_openai.langchain import (
    EXTRA_CONTENT_KEY,
    ChatVertexOpenAI,
    VertexOpenAIEmbeddings,
)

_READY = bool(os.environ.get("GOOGLE_CLOUD_PROJECT")) and adc_file() is not None

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not _READY, reason="live Vertex AI: needs GOOGLE_CLOUD_PROJECT and a credential file"
    ),
]

_LOCATION = os.environ.get("GOOGLE_CLOUD_LOCATION", "us-central1")
_MODEL = os.environ.get("VERTEX_LIVE_MODEL", "gemini-2.5-flash")
_GEMINI3 = os.environ.get("VERTEX_LIVE_GEMINI3_MODEL", "gemini-3-pro-preview")
_EMBEDDING = os.environ.get("VERTEX_LIVE_EMBEDDING_MODEL", "text-embedding-005")


class TestChatVertexOpenAILive(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatVertexOpenAI]:
        return ChatVertexOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": _MODEL, "location": _LOCATION}

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        params = super().standard_chat_model_params
        params.pop("api_key", None)  # Application Default Credentials, refreshed
        return params

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str | None:
        return "gemini-2.5-flash-lite"


def test_gemini3_tool_loop_live() -> None:
    model = ChatVertexOpenAI(model=_GEMINI3, location="global")

    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return f"sunny in {city}"

    with_tools = model.bind_tools([get_weather], tool_choice="required")
    history: list[BaseMessage] = [HumanMessage("What is the weather in Paris? Use the tool.")]
    first = with_tools.invoke(history)
    assert first.tool_calls
    assert EXTRA_CONTENT_KEY in first.additional_kwargs  # Gemini 3 signs its tool calls
    history.append(first)
    history += [ToolMessage(get_weather("Paris"), tool_call_id=c["id"]) for c in first.tool_calls]
    final = model.bind_tools([get_weather]).invoke(history)
    assert final.text


def test_embeddings_live() -> None:
    embeddings = VertexOpenAIEmbeddings(model=_EMBEDDING, location=_LOCATION)
    vectors = embeddings.embed_documents(["hello", "world"])
    assert len(vectors) == 2 and len(vectors[0]) > 0
