"""Factories for the LangChain adapter tests (real HTTP to the offline emulator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vertex_openai.testing import VertexEmulator

from support import target


@pytest.fixture
def chat_model(vertex_emulator: VertexEmulator) -> Callable[..., Any]:
    """Factory: a ChatVertexOpenAI on the emulator (real google-auth service-account refresh)."""
    from vertex_openai.langchain import ChatVertexOpenAI

    def make(**kwargs: Any) -> ChatVertexOpenAI:
        kwargs.setdefault("model", "gemini-2.5-flash")
        kwargs.setdefault("max_retries", 0)
        return ChatVertexOpenAI(**target(vertex_emulator, **kwargs))

    return make


@pytest.fixture
def embeddings_model(vertex_emulator: VertexEmulator) -> Callable[..., Any]:
    """Factory: a VertexOpenAIEmbeddings on the emulator."""
    from vertex_openai.langchain import VertexOpenAIEmbeddings

    def make(**kwargs: Any) -> VertexOpenAIEmbeddings:
        kwargs.setdefault("model", "gemini-embedding-001")
        kwargs.setdefault("max_retries", 0)
        return VertexOpenAIEmbeddings(**target(vertex_emulator, **kwargs))

    return make
