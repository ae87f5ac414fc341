"""Shared helpers for the LangChain adapter tests (real HTTP to the offline emulator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vertex_openai.testing import VertexEmulator


@pytest.fixture
def chat_model(vertex_emulator: VertexEmulator) -> Callable[..., Any]:
    """Factory: a ChatVertexOpenAI on the emulator (real google-auth service-account refresh)."""
    from vertex_openai.langchain import ChatVertexOpenAI

    def make(**kwargs: Any) -> ChatVertexOpenAI:
        kwargs.setdefault("model", "gemini-2.5-flash")
        kwargs.setdefault("project", vertex_emulator.project)
        kwargs.setdefault("location", "us-central1")
        kwargs.setdefault("api_endpoint", vertex_emulator.url)
        if "api_key" not in kwargs:
            kwargs.setdefault("credentials", vertex_emulator.credentials())
        kwargs.setdefault("max_retries", 0)
        return ChatVertexOpenAI(**kwargs)

    return make


@pytest.fixture
def embeddings_model(vertex_emulator: VertexEmulator) -> Callable[..., Any]:
    """Factory: a VertexOpenAIEmbeddings on the emulator."""
    from vertex_openai.langchain import VertexOpenAIEmbeddings

    def make(**kwargs: Any) -> VertexOpenAIEmbeddings:
        kwargs.setdefault("model", "gemini-embedding-001")
        kwargs.setdefault("project", vertex_emulator.project)
        kwargs.setdefault("location", "us-central1")
        kwargs.setdefault("api_endpoint", vertex_emulator.url)
        if "api_key" not in kwargs:
            kwargs.setdefault("credentials", vertex_emulator.credentials())
        kwargs.setdefault("max_retries", 0)
        return VertexOpenAIEmbeddings(**kwargs)

    return make
