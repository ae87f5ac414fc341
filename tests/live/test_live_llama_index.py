"""LlamaIndex against real Vertex AI (marked ``live``).

Collected only with ``uv run pytest --live`` (or ``VERTEX_OPENAI_LIVE=1``, or this file's
path on the command line); then skipped unless GOOGLE_CLOUD_PROJECT and a credential file are
set. Optional:
GOOGLE_CLOUD_LOCATION (default us-central1), VERTEX_LIVE_MODEL (gemini-2.5-flash),
VERTEX_LIVE_GEMINI3_MODEL (gemini-3-pro-preview, on the global location),
VERTEX_LIVE_EMBEDDING_MODEL (text-embedding-005).
"""

from __future__ import annotations

import os

import pytest

from vertex_openai.auth import adc_file

pytest.importorskip("llama_index.core")


PROJECT = os.environ.get("GOOGLE_CLOUD_PROJECT")
LOCATION = os.environ.get("GOOGLE_CLOUD_LOCATION", "us-central1")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not PROJECT or adc_file() is None,
        reason="live Vertex AI: set GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS "
        "(or run `gcloud auth application-default login`)",
    ),
]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_live_chat_and_stream() -> None:
    from llama_index.core.llms import ChatMessage

    from vertex_openai.llama_index import VertexOpenAILike

    llm = VertexOpenAILike(
        model=os.environ.get("VERTEX_LIVE_MODEL", "gemini-2.5-flash"),
        project=PROJECT,
        location=LOCATION,
        thinking_budget=0,
        max_tokens=32,
    )
    assert llm.complete("Reply with the single word: pong").text.strip()
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="Count to three.")]))
    assert chunks and chunks[-1].message.content


async def test_live_gemini3_agent() -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    from vertex_openai.llama_index import VertexOpenAILike

    llm = VertexOpenAILike(
        model=os.environ.get("VERTEX_LIVE_GEMINI3_MODEL", "gemini-3-pro-preview"),
        project=PROJECT,
        location="global",
        thinking_level="low",
    )
    agent = FunctionAgent(tools=[add], llm=llm, system_prompt="Use the add tool for sums.")
    result = await agent.run("What is 1234 + 4321? Use the tool.")
    assert "5555" in str(result).replace(",", "")


def test_live_embeddings() -> None:
    from vertex_openai.llama_index import VertexOpenAILikeEmbedding

    embed = VertexOpenAILikeEmbedding(
        model_name=os.environ.get("VERTEX_LIVE_EMBEDDING_MODEL", "text-embedding-005"),
        project=PROJECT,
        location=LOCATION,
    )
    vectors = embed.get_text_embedding_batch(["hello", "world"])
    assert len(vectors) == 2 and len(vectors[0]) > 0
