"""VertexOpenAILikeEmbedding against the emulator: single and batch, sync and async."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

pytest.importorskip("llama_index.core")

from vertex_openai.llama_index import VertexOpenAILikeEmbedding
from vertex_openai.testing import VertexEmulator, embedding_vector

MakeEmbedding = Callable[..., VertexOpenAILikeEmbedding]
EMBEDDINGS = "/v1/projects/emulator-project/locations/us-central1/endpoints/openapi/embeddings"


def _close(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(abs(a - b) < 1e-9 for a, b in zip(got, want, strict=True))


def test_single(vertex_emulator: VertexEmulator, make_embedding: MakeEmbedding) -> None:
    embed = make_embedding()
    assert _close(embed.get_text_embedding("hello world"), embedding_vector("hello world", 16))
    assert _close(embed.get_query_embedding("a query"), embedding_vector("a query", 16))
    first = vertex_emulator.requests[0]
    assert first.path == EMBEDDINGS and first.status == 200
    assert first.body == {
        "input": ["hello world"],
        "model": "google/text-embedding-005",
        "encoding_format": "float",
    }
    assert embed.api_base == vertex_emulator.base_url()


def test_batch(vertex_emulator: VertexEmulator, make_embedding: MakeEmbedding) -> None:
    embed = make_embedding(embed_batch_size=2)
    texts = ["one", "two", "three"]
    vectors = embed.get_text_embedding_batch(texts)
    assert all(_close(v, embedding_vector(t, 16)) for v, t in zip(vectors, texts, strict=True))
    assert [r.body["input"] for r in vertex_emulator.requests] == [["one", "two"], ["three"]]
    assert all(r.body["encoding_format"] == "float" for r in vertex_emulator.requests)


async def test_async(vertex_emulator: VertexEmulator, make_embedding: MakeEmbedding) -> None:
    embed = make_embedding()
    assert _close(await embed.aget_text_embedding("async"), embedding_vector("async", 16))
    assert _close(await embed.aget_query_embedding("query"), embedding_vector("query", 16))
    vectors = await embed.aget_text_embedding_batch(["a", "b", "c"])
    assert [len(v) for v in vectors] == [16, 16, 16]
    assert _close(vectors[2], embedding_vector("c", 16))
    assert all(r.body["encoding_format"] == "float" for r in vertex_emulator.requests)
    assert sum(1 for t in vertex_emulator.token_requests if t.status == 200) == 1


def test_dimensions_and_publisher_model(
    vertex_emulator: VertexEmulator, make_embedding: MakeEmbedding
) -> None:
    embed = make_embedding("google/gemini-embedding-001", dimensions=8)
    assert len(embed.get_text_embedding("short")) == 8
    body = vertex_emulator.requests[0].body
    assert body["model"] == "google/gemini-embedding-001" and body["dimensions"] == 8


def test_auth_and_secrets(vertex_emulator: VertexEmulator, make_embedding: MakeEmbedding) -> None:
    embed = make_embedding(quota_project="billing-project")
    embed.get_text_embedding("first")
    token = vertex_emulator.requests[0].token
    assert token and vertex_emulator.requests[0].headers["x-goog-user-project"] == "billing-project"
    vertex_emulator.revoke()
    embed.get_text_embedding("second")
    assert [r.status for r in vertex_emulator.requests] == [200, 401, 200]
    for shown in (repr(embed), embed.to_json(), json.dumps(embed.model_dump(), default=str)):
        assert token not in shown
    static = vertex_emulator.issue_token()
    other = make_embedding(api_key=static)
    other.get_text_embedding("static")
    assert vertex_emulator.requests[-1].token == static
    assert static not in other.to_json() and static not in repr(other)


def test_refused_arguments(make_embedding: MakeEmbedding) -> None:
    with pytest.raises(ValueError, match="api_base"):
        make_embedding(api_base="http://localhost:1234/v1")
