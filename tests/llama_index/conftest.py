"""Factories for the LlamaIndex adapter tests (real HTTP to the offline emulator)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from vertex_openai.testing import VertexEmulator

from support import target


@pytest.fixture
def make_llm(vertex_emulator: VertexEmulator) -> Callable[..., Any]:
    """Factory: a VertexOpenAILike on the emulator (real google-auth service-account refresh)."""
    from vertex_openai.llama_index import VertexOpenAILike

    def make(model: str = "gemini-2.5-flash", **kwargs: Any) -> VertexOpenAILike:
        kwargs.setdefault("max_retries", 0)
        return VertexOpenAILike(model=model, **target(vertex_emulator, **kwargs))

    return make


@pytest.fixture
def make_embedding(vertex_emulator: VertexEmulator) -> Callable[..., Any]:
    """Factory: a VertexOpenAILikeEmbedding on the emulator."""
    from vertex_openai.llama_index import VertexOpenAILikeEmbedding

    def make(model_name: str = "text-embedding-005", **kwargs: Any) -> VertexOpenAILikeEmbedding:
        kwargs.setdefault("max_retries", 0)
        return VertexOpenAILikeEmbedding(model_name=model_name, **target(vertex_emulator, **kwargs))

    return make


@pytest.fixture
def restore_settings() -> Iterator[None]:
    """Put LlamaIndex's global Settings.llm / embed_model back after the test."""
    from llama_index.core import Settings

    saved = (Settings._llm, Settings._embed_model)
    try:
        yield
    finally:
        Settings._llm, Settings._embed_model = saved
