"""Embeddings within Vertex's per-request limits: the core's batches, and both frameworks."""

from __future__ import annotations

from typing import Any

from vertex_openai.embeddings import (
    MAX_TEXTS_PER_REQUEST,
    MAX_TOKENS_PER_REQUEST,
    batches,
    estimated_tokens,
)
from vertex_openai.testing import VertexEmulator, embedding_vector

from support import needs_langchain, needs_llama_index, target


def test_batches_respect_count_tokens_and_one_text_models() -> None:
    texts = [f"text {i}" for i in range(600)]
    assert batches(texts, "google/text-embedding-005") == [(0, 250), (250, 500), (500, 600)]
    assert batches(texts[:3], "google/gemini-embedding-001") == [(0, 1), (1, 2), (2, 3)]
    assert batches(texts, "text-embedding-005", max_texts=100)[0] == (0, 100)
    assert batches([], "text-embedding-005") == []
    long = "x" * (MAX_TOKENS_PER_REQUEST * 3 // 2)  # half the token budget each
    slices = batches([long, long, long, "short"], "text-embedding-005")
    assert slices == [(0, 2), (2, 4)]
    for start, end in slices:
        cost = sum(estimated_tokens(t) for t in [long, long, long, "short"][start:end])
        assert cost <= MAX_TOKENS_PER_REQUEST
    huge = "y" * (MAX_TOKENS_PER_REQUEST * 4)  # over the budget alone: its own request
    assert batches(["a", huge, "b"], "text-embedding-005") == [(0, 1), (1, 2), (2, 3)]
    assert MAX_TEXTS_PER_REQUEST == 250


def test_estimate_errs_high() -> None:
    assert estimated_tokens("hello world, four chars a token") >= 31 // 4
    assert estimated_tokens("日本語のテキスト") >= 8  # about a token a character


def _sizes(emu: VertexEmulator) -> list[int]:
    return [len(r.body["input"]) for r in emu.requests if r.route == "embeddings"]


TEXTS = [f"document {i}" for i in range(520)]


def _expected(texts: list[str], dimensions: int) -> list[list[float]]:
    return [embedding_vector(t, dimensions) for t in texts]


@needs_langchain
async def test_langchain_splits_by_vertex_limits(vertex_emulator: VertexEmulator) -> None:
    from vertex_openai.langchain import VertexOpenAIEmbeddings

    emu = vertex_emulator
    model = VertexOpenAIEmbeddings(model="text-embedding-005", **target(emu))
    vectors = model.embed_documents(TEXTS)
    assert _sizes(emu) == [250, 250, 20]
    assert vectors[519] == model.embed_query(TEXTS[519])  # order kept across requests
    emu.clear_log()
    one = VertexOpenAIEmbeddings(model="gemini-embedding-001", **target(emu))
    assert len(await one.aembed_documents(TEXTS[:3])) == 3
    assert _sizes(emu) == [1, 1, 1]


@needs_llama_index
async def test_llama_index_splits_by_vertex_limits(vertex_emulator: VertexEmulator) -> None:
    from vertex_openai.llama_index import VertexOpenAILikeEmbedding

    emu = vertex_emulator
    kwargs: dict[str, Any] = target(emu)
    model = VertexOpenAILikeEmbedding(
        model_name="text-embedding-005", embed_batch_size=300, **kwargs
    )
    vectors = model.get_text_embedding_batch(TEXTS)
    assert _sizes(emu) == [250, 50, 220]  # LlamaIndex's batches of 300, each split at 250
    assert vectors[519] == model.get_text_embedding(TEXTS[519])
    emu.clear_log()
    one = VertexOpenAILikeEmbedding(model_name="gemini-embedding-001", **target(emu))
    assert len(await one.aget_text_embedding_batch(TEXTS[:3])) == 3
    assert _sizes(emu) == [1, 1, 1]
