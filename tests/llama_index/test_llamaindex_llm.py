"""VertexOpenAILike against the emulator: calls, target, auth, Gemini options, errors, secrets."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

pytest.importorskip("llama_index.core")

import httpx
import openai
from llama_index.core.llms import ChatMessage

from vertex_openai.llama_index import VertexOpenAILike
from vertex_openai.testing import VertexEmulator

from support import fetched

MakeLLM = Callable[..., VertexOpenAILike]
OPENAPI = "/v1/projects/emulator-project/locations/us-central1/endpoints/openapi"


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# -- calls ------------------------------------------------------------------------------------


def test_complete(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    assert str(llm.complete("Why is the sky blue?")) == "You said: Why is the sky blue?"
    (request,) = vertex_emulator.requests
    assert request.path == f"{OPENAPI}/chat/completions" and request.status == 200
    assert request.body["model"] == "google/gemini-2.5-flash"
    assert llm.api_base == vertex_emulator.base_url()
    assert fetched(vertex_emulator) == 1


def test_chat_and_stream_chat(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    reply = llm.chat(_user("hello there"))
    assert reply.message.content == "You said: hello there"
    assert reply.additional_kwargs["prompt_tokens"] == 2
    chunks = list(llm.stream_chat(_user("stream me please")))
    assert "".join(c.delta or "" for c in chunks) == "You said: stream me please"
    assert chunks[-1].message.content == "You said: stream me please"
    assert len(chunks) > 2
    streamed = vertex_emulator.requests[-1]
    assert streamed.body["stream"] is True and streamed.status == 200
    completions = list(llm.stream_complete("words"))
    assert completions[-1].text == "You said: words"
    assert fetched(vertex_emulator) == 1  # one token for every call


async def test_async_calls(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    reply = await llm.achat(_user("async hello"))
    assert reply.message.content == "You said: async hello"
    deltas = [c.delta async for c in await llm.astream_chat(_user("async stream"))]
    assert "".join(d or "" for d in deltas) == "You said: async stream"
    assert str(await llm.acomplete("done")) == "You said: done"
    assert all(r.status == 200 for r in vertex_emulator.requests)
    assert fetched(vertex_emulator) == 1


def test_publisher_model_sent_as_given(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm("meta/llama-3.3-70b-instruct-maas")
    llm.complete("hi")
    assert vertex_emulator.requests[0].body["model"] == "meta/llama-3.3-70b-instruct-maas"


def test_self_deployed_endpoint(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    vertex_emulator.add_endpoint("mg-endpoint-1234")
    llm = make_llm("gemma-3-12b-it", endpoint_id="mg-endpoint-1234", api_version="v1beta1")
    assert str(llm.complete("hi")) == "You said: hi"
    path = vertex_emulator.requests[0].path
    assert path.startswith("/v1beta1/") and path.endswith(
        "/endpoints/mg-endpoint-1234/chat/completions"
    )
    assert llm.api_version == "v1beta1"


# -- metadata and parameters ------------------------------------------------------------------


def test_metadata(make_llm: MakeLLM) -> None:
    gemini = make_llm("gemini-2.5-flash").metadata
    assert gemini.is_chat_model and gemini.is_function_calling_model
    assert gemini.context_window == 1_048_576
    assert make_llm("google/gemini-3-pro-preview").metadata.context_window == 1_048_576
    other = make_llm("meta/llama-3.3-70b-instruct-maas").metadata
    assert not other.is_function_calling_model and other.context_window == 3900
    custom = make_llm(
        "meta/llama-3.3-70b-instruct-maas", context_window=128_000, is_function_calling_model=True
    ).metadata
    assert custom.context_window == 128_000 and custom.is_function_calling_model


def test_openai_environment_is_ignored(
    monkeypatch: pytest.MonkeyPatch, vertex_emulator: VertexEmulator, make_llm: MakeLLM
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-vertex")
    monkeypatch.setenv("OPENAI_API_BASE", "https://api.openai.com/v1")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-02-01")
    llm = make_llm()
    assert llm.api_base == vertex_emulator.base_url()
    assert llm.api_version is None
    llm.complete("hi")
    assert "sk-not-for-vertex" not in json.dumps(vertex_emulator.requests[0].headers)


def test_refused_arguments(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    with pytest.raises(ValueError, match="api_base"):
        make_llm(api_base="https://api.openai.com/v1")
    with pytest.raises(ValueError, match="http_client"):
        make_llm(http_client=httpx.Client())
    with pytest.raises(ValueError, match="reuse_client"):
        make_llm(reuse_client=False)
    with pytest.raises(ValueError, match="single path segment"):
        make_llm(project="a/b")
    assert make_llm(api_base=vertex_emulator.base_url()).api_base == vertex_emulator.base_url()


def test_copies_share_the_connection(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    copies = [llm.model_copy(update={"temperature": 0.5}), copy.deepcopy(llm), copy.copy(llm)]
    for other in copies:
        assert other._connection is llm._connection
        assert str(other.complete("hi")) == "You said: hi"
    assert vertex_emulator.requests[0].body["temperature"] == 0.5
    assert fetched(vertex_emulator) == 1


def test_from_dict_round_trip(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(thinking_budget=64)
    again = VertexOpenAILike.from_dict(llm.to_dict(), credentials=vertex_emulator.credentials())
    assert again.api_base == llm.api_base and again.thinking_budget == 64
    assert str(again.complete("back")) == "You said: back"


# -- Gemini options ---------------------------------------------------------------------------


def test_gemini_options_in_request_body(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    safety = [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}]
    llm = make_llm(
        thinking_budget=512,
        include_thoughts=True,
        thought_tag_marker="think",
        safety_settings=safety,
        cached_content="projects/p/locations/us-central1/cachedContents/c1",
        additional_kwargs={
            "extra_body": {"extra_body": {"google": {"media_resolution": "MEDIA_RESOLUTION_LOW"}}},
            "seed": 7,
        },
    )
    reply = llm.chat(_user("think"))
    # The thoughts (in the marker's tags on the wire) are a ThinkingBlock, not text.
    assert reply.message.content == "You said: think"
    assert reply.message.blocks[0].block_type == "thinking"
    assert reply.message.blocks[0].content == "Thinking about: think"
    body = vertex_emulator.requests[0].body
    assert body["seed"] == 7
    assert body["extra_body"] == {
        "google": {
            "media_resolution": "MEDIA_RESOLUTION_LOW",
            "thinking_config": {"thinking_budget": 512, "include_thoughts": True},
            "safety_settings": safety,
            "cached_content": "projects/p/locations/us-central1/cachedContents/c1",
            "thought_tag_marker": "think",
        }
    }
    list(llm.stream_chat(_user("again")))
    assert vertex_emulator.requests[1].body["extra_body"] == body["extra_body"]


def test_no_options_no_extra_body(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    make_llm().complete("plain")
    assert "extra_body" not in vertex_emulator.requests[0].body


def test_reasoning_effort(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    make_llm(reasoning_effort="low").complete("effort")
    body = vertex_emulator.requests[0].body
    assert body["reasoning_effort"] == "low" and "extra_body" not in body
    with pytest.raises(ValueError, match="reasoning_effort"):
        make_llm(reasoning_effort="low", thinking_level="high")
    with pytest.raises(ValueError, match="reasoning_effort"):
        make_llm(thinking_budget=100).chat(_user("x"), reasoning_effort="high")
    assert len(vertex_emulator.requests) == 1  # refused before sending


# -- auth -------------------------------------------------------------------------------------


def test_quota_project_header(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    make_llm(quota_project="billing-project").complete("hi")
    make_llm(credentials=vertex_emulator.credentials(quota_project_id="from-creds")).complete("hi")
    first, second = vertex_emulator.requests
    assert first.headers["x-goog-user-project"] == "billing-project"
    assert second.headers["x-goog-user-project"] == "from-creds"


def test_401_recovery(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    llm.complete("first")
    assert fetched(vertex_emulator) == 1
    vertex_emulator.revoke()
    assert str(llm.complete("second")) == "You said: second"
    assert fetched(vertex_emulator) == 2  # exactly one new token
    assert [r.status for r in vertex_emulator.requests] == [200, 401, 200]


async def test_401_recovery_async_stream(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM
) -> None:
    llm = make_llm()
    await llm.acomplete("first")
    vertex_emulator.revoke()
    deltas = [c.delta async for c in await llm.astream_chat(_user("second"))]
    assert "".join(d or "" for d in deltas) == "You said: second"
    assert fetched(vertex_emulator) == 2


def test_static_api_key(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    token = vertex_emulator.issue_token()
    llm = make_llm(api_key=token)
    assert str(llm.complete("static")) == "You said: static"
    assert vertex_emulator.requests[0].token == token
    assert vertex_emulator.token_requests == []
    assert llm.api_key != token
    for shown in (repr(llm), str(llm), llm.to_json(), json.dumps(llm.to_dict())):
        assert token not in shown


def test_no_token_in_repr_or_serialization(
    vertex_emulator: VertexEmulator, make_llm: MakeLLM
) -> None:
    llm = make_llm()
    llm.complete("hi")
    token = vertex_emulator.requests[0].token
    assert token
    shown = [
        repr(llm),
        str(llm),
        llm.to_json(),
        json.dumps(llm.model_dump(), default=str),
        repr(llm._connection),
        repr(llm._get_client()),
    ]
    for text in shown:
        assert token not in text
    assert "credentials" not in llm.to_dict()


# -- errors -----------------------------------------------------------------------------------


def test_error_carries_vertex_message(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    llm.complete("warm up")
    token = vertex_emulator.requests[0].token
    assert token
    vertex_emulator.fail(403, message="Permission 'aiplatform.endpoints.predict' denied on x")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        llm.chat(_user("nope"))
    message = str(caught.value)
    assert "PERMISSION_DENIED" in message
    assert "Permission 'aiplatform.endpoints.predict' denied on x" in message
    assert token not in message


def test_unknown_model_error(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    vertex_emulator.known_models = {"google/gemini-2.5-flash"}
    with pytest.raises(openai.NotFoundError, match=r"Publisher Model .*gemini-0"):
        make_llm("gemini-0").complete("hi")


async def test_async_error(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    vertex_emulator.fail(400, message="Request contains an invalid argument.")
    with pytest.raises(openai.BadRequestError, match="INVALID_ARGUMENT: Request contains"):
        await make_llm().achat(_user("bad"))
