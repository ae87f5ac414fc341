"""The classes as LlamaIndex's global Settings.llm and Settings.embed_model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

import llama_index.core
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.schema import TextNode

from vertex_openai.testing import VertexEmulator


@pytest.fixture(autouse=True)
def _offline_tokenizer(monkeypatch: pytest.MonkeyPatch, restore_settings: None) -> None:
    # LlamaIndex's default tokenizer is tiktoken, which downloads its vocabulary at run time.
    monkeypatch.setattr(llama_index.core, "global_tokenizer", str.split)


def test_settings_index_and_query(
    vertex_emulator: VertexEmulator,
    make_llm: Callable[..., Any],
    make_embedding: Callable[..., Any],
) -> None:
    Settings.llm = make_llm()
    Settings.embed_model = make_embedding()
    nodes = [TextNode(text="Lisbon is the capital of Portugal."), TextNode(text="Oslo is cold.")]
    index = VectorStoreIndex(nodes)  # embeds with Settings.embed_model
    response = index.as_query_engine(similarity_top_k=1).query("Capital of Portugal?")
    assert str(response).startswith("You said: ")
    routes = [r.route for r in vertex_emulator.requests]
    assert routes.count("embeddings") == 2 and routes[-1] == "chat"
    assert all(r.status == 200 for r in vertex_emulator.requests)


async def test_settings_async(
    vertex_emulator: VertexEmulator,
    make_llm: Callable[..., Any],
    make_embedding: Callable[..., Any],
) -> None:
    Settings.llm = make_llm()
    Settings.embed_model = make_embedding()
    assert (await Settings.llm.acomplete("hi")).text == "You said: hi"
    assert len(await Settings.embed_model.aget_query_embedding("hi")) == 16
