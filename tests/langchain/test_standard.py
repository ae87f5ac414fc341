"""langchain-tests' standard unit tests (construction only, no network)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("langchain_openai")
pytest.importorskip("langchain_tests")

from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from vertex_openai.langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings

# A loopback URL nothing listens on: construction must not touch the network.
_ENDPOINT = "http://127.0.0.1:9"
_BASE = "http://127.0.0.1:9/v1/projects/{project}/locations/{location}/endpoints/openapi"


class TestChatVertexOpenAIStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatVertexOpenAI]:
        return ChatVertexOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "gemini-2.5-flash",
            "project": "test-project",
            "location": "us-central1",
            "api_endpoint": _ENDPOINT,
            "api_key": "test-token",
        }

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"GOOGLE_CLOUD_PROJECT": "env-project", "GOOGLE_CLOUD_LOCATION": "europe-west4"},
            {"model": "gemini-2.5-flash", "api_key": "test-token", "api_endpoint": _ENDPOINT},
            {
                "openai_api_base": _BASE.format(project="env-project", location="europe-west4"),
                "model_name": "google/gemini-2.5-flash",
                "openai_api_key": "test-token",
            },
        )


class TestVertexOpenAIEmbeddingsStandard(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[VertexOpenAIEmbeddings]:
        return VertexOpenAIEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {
            "model": "gemini-embedding-001",
            "project": "test-project",
            "location": "us-central1",
            "api_endpoint": _ENDPOINT,
            "api_key": "test-token",
        }

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"GOOGLE_CLOUD_PROJECT": "env-project", "GOOGLE_CLOUD_LOCATION": "europe-west4"},
            {"model": "gemini-embedding-001", "api_key": "test-token", "api_endpoint": _ENDPOINT},
            {
                "openai_api_base": _BASE.format(project="env-project", location="europe-west4"),
                "model": "google/gemini-embedding-001",
                "check_embedding_ctx_length": False,
            },
        )
