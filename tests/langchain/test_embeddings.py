"""VertexOpenAIEmbeddings against the offline emulator."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

pytest.importorskip("langchain_openai")

import openai
from langchain_core.load import dumps

from vertex_openai.langchain import VertexOpenAIEmbeddings
from vertex_openai.testing import VertexEmulator, embedding_vector

from support import fetched, run_docstring_examples

Factory = Callable[..., VertexOpenAIEmbeddings]
EMBEDDINGS = "/v1/projects/{project}/locations/us-central1/endpoints/openapi/embeddings"


def _embedding_requests(emu: VertexEmulator) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.route == "embeddings"]


def test_embed_documents_and_query(
    embeddings_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    # text-embedding-005 takes up to 250 texts a request (gemini-embedding-001 takes one).
    embeddings = embeddings_model(model="text-embedding-005")
    vectors = embeddings.embed_documents(["hello world", "bonjour"])
    dims = vertex_emulator.embedding_dimensions
    assert vectors == [embedding_vector("hello world", dims), embedding_vector("bonjour", dims)]
    assert embeddings.embed_query("hello world") == vectors[0]
    requests = _embedding_requests(vertex_emulator)
    assert [r.status for r in requests] == [200, 200]
    first = requests[0]
    assert first.path == EMBEDDINGS.format(project=vertex_emulator.project)
    # Raw strings (no tiktoken token arrays), floats (not the SDK's base64), publisher prefix.
    assert first.body == {
        "input": ["hello world", "bonjour"],
        "model": "google/text-embedding-005",
        "encoding_format": "float",
    }
    assert fetched(vertex_emulator) == 1


async def test_async_embeddings(embeddings_model: Factory, vertex_emulator: VertexEmulator) -> None:
    embeddings = embeddings_model(model="text-embedding-005")
    vectors = await embeddings.aembed_documents(["a", "b", "c"])
    assert len(vectors) == 3
    assert await embeddings.aembed_query("b") == vectors[1]
    bodies = [r.body for r in _embedding_requests(vertex_emulator)]
    assert all(b["encoding_format"] == "float" for b in bodies)
    assert bodies[0]["input"] == ["a", "b", "c"]


def test_batching(embeddings_model: Factory, vertex_emulator: VertexEmulator) -> None:
    texts = [f"text number {i}" for i in range(5)]
    vectors = embeddings_model(model="text-embedding-005", chunk_size=2).embed_documents(texts)
    dims = vertex_emulator.embedding_dimensions
    assert vectors == [embedding_vector(t, dims) for t in texts]
    assert [r.body["input"] for r in _embedding_requests(vertex_emulator)] == [
        texts[0:2],
        texts[2:4],
        texts[4:5],
    ]


def test_dimensions_and_encoding_override(
    embeddings_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    (vector,) = embeddings_model(dimensions=8).embed_documents(["short"])
    assert len(vector) == 8
    assert _embedding_requests(vertex_emulator)[0].body["dimensions"] == 8


def test_quota_401_and_static_token(
    embeddings_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    embeddings = embeddings_model(quota_project="billing-project")
    embeddings.embed_query("one")
    vertex_emulator.revoke()
    embeddings.embed_query("two")
    assert fetched(vertex_emulator) == 2
    requests = _embedding_requests(vertex_emulator)
    assert [r.status for r in requests] == [200, 401, 200]
    assert all(r.headers["x-goog-user-project"] == "billing-project" for r in requests)

    token = vertex_emulator.issue_token()
    static = embeddings_model(api_key=token)
    static.embed_query("three")
    assert _embedding_requests(vertex_emulator)[-1].token == token
    for text in (repr(static), dumps(static), static.model_dump_json()):
        assert token not in text
    assert VertexOpenAIEmbeddings.is_lc_serializable() is False


def test_vertex_error(embeddings_model: Factory, vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.fail(429, route="embeddings")
    with pytest.raises(openai.RateLimitError) as caught:
        embeddings_model().embed_query("x")
    assert caught.value.status_code == 429
    assert "RESOURCE_EXHAUSTED" in caught.value.message


def test_environment_is_not_read_for_openai(
    embeddings_model: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-vertex")
    monkeypatch.setenv("OPENAI_API_BASE", "https://api.openai.com/v1")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-x")
    embeddings = embeddings_model()
    assert embeddings.openai_api_key is None
    assert embeddings.openai_organization is None
    assert "aiplatform" not in str(embeddings.openai_api_base)  # the emulator's URL
    assert "/endpoints/openapi" in str(embeddings.openai_api_base)
    assert "sk-not-for-vertex" not in json.dumps(embeddings.model_dump(mode="json"))


def test_api_version_is_vertex(embeddings_model: Factory, vertex_emulator: VertexEmulator) -> None:
    embeddings = embeddings_model(api_version="v1beta1")
    embeddings.embed_query("beta")
    assert _embedding_requests(vertex_emulator)[0].path.startswith("/v1beta1/projects/")


def test_docstring_examples_run() -> None:
    namespace = run_docstring_examples(VertexOpenAIEmbeddings.__doc__)
    assert isinstance(namespace["embeddings"], VertexOpenAIEmbeddings)
