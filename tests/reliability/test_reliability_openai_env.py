"""OpenAI's environment stays home: no OPENAI_* variable is read or sent by any of our classes.

Every variable the openai SDK, langchain-openai and llama-index-llms-openai read is set to a
recognisable value; the emulator then shows what Vertex would have received.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import vertex_openai
from vertex_openai.testing import RecordedRequest, VertexEmulator

from support import needs_langchain, needs_llama_index, target

MARK = "from-openai-env"

# Every OPENAI_* variable read by openai 1.x-3.x (openai/_client.py, openai/lib/_client_auth.py),
# langchain-openai (chat_models/base.py, embeddings/base.py) and llama-index-llms-openai
# (utils.resolve_openai_credentials).
OPENAI_ENV = {
    "OPENAI_API_KEY": f"sk-{MARK}",
    "OPENAI_ADMIN_KEY": f"sk-admin-{MARK}",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    "OPENAI_API_BASE": "http://127.0.0.1:9/v1",
    "OPENAI_ORG_ID": f"org-{MARK}",
    "OPENAI_ORGANIZATION": f"org2-{MARK}",
    "OPENAI_PROJECT_ID": f"proj-{MARK}",
    "OPENAI_WEBHOOK_SECRET": f"whsec-{MARK}",
    "OPENAI_CUSTOM_HEADERS": f"X-Custom-From-Env: {MARK}\nOpenAI-Beta: {MARK}",
    "OPENAI_PROXY": "http://127.0.0.1:9",
    "OPENAI_API_VERSION": "2099-01-01",
    "OPENAI_API_TYPE": "azure",
}


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OPENAI_ENV.items():
        monkeypatch.setenv(name, value)


def assert_nothing_of_openai(emu: VertexEmulator, requests: list[RecordedRequest]) -> None:
    assert requests, "nothing reached the emulator: the test could not fail"
    issued = {t.access_token for t in emu.token_requests if t.access_token}
    for request in requests:
        assert request.path.startswith("/v1/projects/"), request.path
        assert request.token in issued, "signed with something other than the Google token"
        for name, value in request.headers.items():
            assert MARK not in value, f"{name}: {value}"
            assert not name.startswith("openai-"), name
        assert "x-custom-from-env" not in request.headers


def test_plain_clients(vertex_emulator: VertexEmulator, openai_env: None) -> None:
    emu = vertex_emulator
    client = vertex_openai.openai_client(**target(emu), default_headers={"X-Mine": "kept"})
    answer = client.chat.completions.create(
        model="google/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == "You said: hi"
    assert emu.requests[-1].headers["x-mine"] == "kept"  # the caller's own headers stay
    # Copies are built anew by the SDK (which reads the environment again); an explicit None
    # means "none", not "from the environment".
    copy = client.with_options(timeout=30, default_headers={"X-Also": "kept"})
    copy.chat.completions.create(model="google/gemini-2.5-flash", messages=[user_message()])
    assert emu.requests[-1].headers["x-mine"] == emu.requests[-1].headers["x-also"] == "kept"
    explicit = vertex_openai.openai_client(**target(emu), organization=None)
    explicit.chat.completions.create(model="google/gemini-2.5-flash", messages=[user_message()])
    assert len(emu.requests) == 3
    assert_nothing_of_openai(emu, emu.requests)


def user_message() -> Any:
    return {"role": "user", "content": "again"}


async def test_async_plain_client(vertex_emulator: VertexEmulator, openai_env: None) -> None:
    emu = vertex_emulator
    client = vertex_openai.async_openai_client(**target(emu))
    await client.embeddings.create(model="google/gemini-embedding-001", input=["a"])
    await client.with_options(max_retries=1).embeddings.create(
        model="google/gemini-embedding-001", input=["b"]
    )
    assert_nothing_of_openai(emu, emu.requests)


@needs_langchain
async def test_langchain(vertex_emulator: VertexEmulator, openai_env: None) -> None:
    from vertex_openai.langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings

    emu = vertex_emulator
    chat = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu))
    assert chat.openai_organization is None
    assert chat.openai_proxy is None
    assert chat.invoke("hi").content == "You said: hi"
    assert "".join(str(c.content) for c in chat.stream("hey")) == "You said: hey"
    assert (await chat.ainvoke("ho")).content == "You said: ho"
    embeddings = VertexOpenAIEmbeddings(model="gemini-embedding-001", **target(emu))
    assert len(embeddings.embed_documents(["a", "b"])) == 2
    assert len(await embeddings.aembed_query("c")) > 0
    assert {r.route for r in emu.requests} == {"chat", "embeddings"}
    assert_nothing_of_openai(emu, emu.requests)


@needs_llama_index
async def test_llama_index(vertex_emulator: VertexEmulator, openai_env: None) -> None:
    from llama_index.core.llms import ChatMessage

    from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

    emu = vertex_emulator
    llm = VertexOpenAILike(model="gemini-2.5-flash", **target(emu))
    assert llm.api_base.startswith(emu.url)
    assert str(llm.complete("hi")) == "You said: hi"
    reply = await llm.achat([ChatMessage(role="user", content="ho")])
    assert reply.message.content == "You said: ho"
    assert "".join(r.delta or "" for r in llm.stream_complete("hey")) == "You said: hey"
    embed: Callable[..., Any] = VertexOpenAILikeEmbedding(
        model_name="text-embedding-005", **target(emu)
    ).get_text_embedding_batch
    assert len(embed(["a", "b"])) == 2
    assert {r.route for r in emu.requests} == {"chat", "embeddings"}
    assert_nothing_of_openai(emu, emu.requests)
