"""ChatVertexOpenAI against the offline emulator: real google-auth, real HTTP, real LangChain."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("langchain_openai")

import openai
from langchain_core.load import dumpd, dumps
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    messages_from_dict,
    messages_to_dict,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from vertex_openai.langchain import EXTRA_CONTENT_KEY, ChatVertexOpenAI
from vertex_openai.testing import VertexEmulator

from support import GEMINI3, chat_requests, fetched, run_docstring_examples

Factory = Callable[..., ChatVertexOpenAI]
OPENAPI = "/v1/projects/{project}/locations/us-central1/endpoints/openapi/chat/completions"
DUMMY_SIGNATURE = "context_engineering_is_the_way_to_go"  # accepted by the emulator


class GetWeather(BaseModel):
    """Get the current weather in a given location."""

    location: str = Field(description="The city, e.g. Paris")


class Joke(BaseModel):
    """Joke to tell user."""

    setup: str = Field(description="The setup of the joke")
    punchline: str = Field(description="The punchline to the joke")
    rating: int | None = Field(default=None, description="How funny, 1 to 10")


def _aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    assert chunks
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def _signature(message: BaseMessage, position: int = 0) -> str:
    captured = message.additional_kwargs[EXTRA_CONTENT_KEY]
    calls = {c["index"]: c for c in captured["tool_calls"]}
    return str(calls[position]["extra_content"]["google"]["thought_signature"])


def _sent_assistant(request: Any) -> dict[str, Any]:
    (assistant,) = [m for m in request.body["messages"] if m["role"] == "assistant"]
    return dict(assistant)


# ------------------------------------------------------------------------------- basics


def test_invoke(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model()
    message = model.invoke([("system", "Be brief."), ("human", "Why is the sky blue?")])
    assert isinstance(message, AIMessage)
    assert message.content == "You said: Why is the sky blue?"
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] > 0
    (request,) = chat_requests(vertex_emulator)
    assert request.path == OPENAPI.format(project=vertex_emulator.project)
    assert request.status == 200
    assert request.body["model"] == "google/gemini-2.5-flash"
    assert fetched(vertex_emulator) == 1


def test_batch(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    answers = chat_model().batch(["one", "two", "three"])
    assert [a.content for a in answers] == ["You said: one", "You said: two", "You said: three"]
    assert fetched(vertex_emulator) == 1  # one token source for the whole batch


def test_stream(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    chunks = list(chat_model().stream("tell me about streams"))
    assert len(chunks) > 2
    full = _aggregate(chunks)
    assert full.content == "You said: tell me about streams"
    assert full.usage_metadata is not None  # stream_usage is on by default
    assert full.usage_metadata["output_tokens"] == 6
    (request,) = chat_requests(vertex_emulator)
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}


def test_stream_usage_can_be_turned_off(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    model = chat_model(stream_usage=False)
    list(model.stream("hi"))
    (request,) = chat_requests(vertex_emulator)
    assert "stream_options" not in request.body


async def test_ainvoke_and_astream(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model()
    message = await model.ainvoke("async hello")
    assert message.content == "You said: async hello"
    chunks = [chunk async for chunk in model.astream("async stream")]
    full = _aggregate(chunks)
    assert full.content == "You said: async stream"
    assert full.usage_metadata is not None
    answers = await model.abatch(["a", "b"])
    assert [a.content for a in answers] == ["You said: a", "You said: b"]
    assert fetched(vertex_emulator) == 1


def test_per_call_model_gets_publisher_prefix(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    chat_model().invoke("hi", model="gemini-2.5-pro")
    (request,) = chat_requests(vertex_emulator)
    assert request.body["model"] == "google/gemini-2.5-pro"


def test_partner_model_name_is_kept(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model(model="meta/llama-3.3-70b-instruct-maas")
    assert model.model_name == "meta/llama-3.3-70b-instruct-maas"
    model.invoke("hi")
    assert chat_requests(vertex_emulator)[0].body["model"] == "meta/llama-3.3-70b-instruct-maas"


def test_docstring_examples_run() -> None:
    namespace = run_docstring_examples(ChatVertexOpenAI.__doc__)
    assert isinstance(namespace["model"], ChatVertexOpenAI)


# -------------------------------------------------------------- Gemini 3 thought signatures


def test_tool_loop_gemini3_invoke(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    history: list[BaseMessage] = [HumanMessage("What is the weather in Paris?")]
    first = model.invoke(history)
    assert isinstance(first, AIMessage)
    (call,) = first.tool_calls
    assert call["name"] == "GetWeather"
    signature = _signature(first)
    history += [first, ToolMessage("sunny, 24C", tool_call_id=call["id"])]
    final = model.invoke(history)
    assert final.content == "Tool result: sunny, 24C"
    requests = chat_requests(vertex_emulator)
    assert [r.status for r in requests] == [200, 200]
    sent = _sent_assistant(requests[1])
    assert sent["tool_calls"][0]["extra_content"] == {"google": {"thought_signature": signature}}
    # Gemini 3 also signs the final text; the message-level signature is kept too.
    assert "thought_signature" in final.additional_kwargs[EXTRA_CONTENT_KEY]["message"]["google"]


def test_tool_loop_gemini3_stream(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    history: list[BaseMessage] = [HumanMessage("What is the weather in Rome?")]
    first = _aggregate(list(model.stream(history)))
    (call,) = first.tool_calls
    signature = _signature(first)
    history += [first, ToolMessage("rain", tool_call_id=call["id"])]
    final = _aggregate(list(model.stream(history)))
    assert final.content == "Tool result: rain"
    requests = chat_requests(vertex_emulator)
    assert [r.status for r in requests] == [200, 200]
    sent = _sent_assistant(requests[1])
    assert sent["tool_calls"][0]["extra_content"]["google"]["thought_signature"] == signature
    # The streamed text's signature, aggregated from its delta, is a single clean value.
    message_sig = final.additional_kwargs[EXTRA_CONTENT_KEY]["message"]["google"]
    assert len(message_sig["thought_signature"]) == 64  # base64 of 48 bytes, not doubled


def test_tool_loop_after_serialization(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    history: list[BaseMessage] = [HumanMessage("Weather in Oslo?")]
    first = model.invoke(history)
    history += [first, ToolMessage("snow", tool_call_id=first.tool_calls[0]["id"])]
    stored = json.dumps(messages_to_dict(history))
    restored = messages_from_dict(json.loads(stored))
    assert (
        restored[1].additional_kwargs[EXTRA_CONTENT_KEY]
        == first.additional_kwargs[EXTRA_CONTENT_KEY]
    )
    final = model.invoke(restored)
    assert final.content == "Tool result: snow"
    assert [r.status for r in chat_requests(vertex_emulator)] == [200, 200]


def test_streamed_history_after_serialization(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    history: list[BaseMessage] = [HumanMessage("Weather in Lima?")]
    first = _aggregate(list(model.stream(history)))
    history += [first, ToolMessage("fog", tool_call_id=first.tool_calls[0]["id"])]
    restored = messages_from_dict(json.loads(json.dumps(messages_to_dict(history))))
    assert model.invoke(restored).content == "Tool result: fog"


async def test_tool_loop_gemini3_async(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    history: list[BaseMessage] = [HumanMessage("Weather in Tokyo?")]
    first = await model.ainvoke(history)
    history += [first, ToolMessage("clear", tool_call_id=first.tool_calls[0]["id"])]
    assert (await model.ainvoke(history)).content == "Tool result: clear"

    history = [HumanMessage("Weather in Cairo?")]
    streamed = _aggregate([c async for c in model.astream(history)])
    history += [streamed, ToolMessage("hot", tool_call_id=streamed.tool_calls[0]["id"])]
    final = _aggregate([c async for c in model.astream(history)])
    assert final.content == "Tool result: hot"
    assert all(r.status == 200 for r in chat_requests(vertex_emulator))


def test_history_without_signatures_gets_the_placeholder(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    """History no model signed (another model's, a checkpoint from before this package):
    Google's placeholder signature goes on the current turn's unsigned steps, so Gemini 3
    answers instead of a 400; a signature that is not the call's own is still refused."""
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    first = model.invoke("Weather in Bern?")
    stripped = AIMessage(content=first.content, tool_calls=first.tool_calls)
    history = [
        HumanMessage("Weather in Bern?"),
        stripped,
        ToolMessage("mild", tool_call_id=first.tool_calls[0]["id"]),
    ]
    assert model.invoke(history).content == "Tool result: mild"
    sent = chat_requests(vertex_emulator)[-1].body["messages"][1]["tool_calls"][0]
    assert (
        sent["extra_content"]["google"]["thought_signature"] == "skip_thought_signature_validator"
    )
    forged = AIMessage(
        content=first.content,
        tool_calls=first.tool_calls,
        additional_kwargs={
            EXTRA_CONTENT_KEY: {
                "tool_calls": [
                    {
                        "id": first.tool_calls[0]["id"],
                        "index": 0,
                        "extra_content": {"google": {"thought_signature": "bm90IGEgc2lnbmF0dXJl"}},
                    }
                ]
            }
        },
    )
    with pytest.raises(openai.BadRequestError) as caught:
        model.invoke([history[0], forged, history[2]])
    assert caught.value.status_code == 400
    assert "thought_signature" in str(caught.value)
    assert "INVALID_ARGUMENT" in str(caught.value)


def test_parallel_calls_and_repeated_stream_signatures(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    """Repeated extra_content on several deltas must not be concatenated by LangChain."""
    signed = {"google": {"thought_signature": DUMMY_SIGNATURE}}

    def event(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "r1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "google/gemini-3-pro-preview",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def call(index: int, call_id: str | None, args: str, **extra: Any) -> dict[str, Any]:
        function: dict[str, Any] = {"arguments": args}
        if call_id:
            function["name"] = "GetWeather"
        item: dict[str, Any] = {"index": index, "function": function, **extra}
        if call_id:
            item.update(id=call_id, type="function")
        return {"tool_calls": [item]}

    vertex_emulator.queue_reply(
        raw=[
            event({"role": "assistant", "content": "", "extra_content": signed}),
            event({"content": "Checking.", "extra_content": signed}),
            event(call(0, "call_a", '{"location": ', extra_content=signed)),
            event(call(0, None, '"Paris"}', extra_content=signed)),
            event(call(1, "call_b", '{"location": "Rome"}')),
            event({}, "tool_calls"),
        ]
    )
    model = chat_model(model=GEMINI3).bind_tools([GetWeather])
    first = _aggregate(list(model.stream("Weather in Paris and Rome?")))
    assert [c["args"] for c in first.tool_calls] == [{"location": "Paris"}, {"location": "Rome"}]
    captured = first.additional_kwargs[EXTRA_CONTENT_KEY]
    assert captured == {
        "message": signed,
        "tool_calls": [{"id": "call_a", "index": 0, "extra_content": signed}],
    }
    history = [
        HumanMessage("Weather in Paris and Rome?"),
        first,
        ToolMessage("sunny", tool_call_id="call_a"),
        ToolMessage("rain", tool_call_id="call_b"),
    ]
    assert model.invoke(history).content == "Tool result: rain"
    sent = _sent_assistant(chat_requests(vertex_emulator)[-1])
    assert sent["tool_calls"][0]["extra_content"] == signed
    assert "extra_content" not in sent["tool_calls"][1]
    assert sent["extra_content"] == signed


def test_environment_is_not_read_for_openai(
    chat_model: Factory, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-vertex")
    monkeypatch.setenv("OPENAI_API_BASE", "https://api.openai.com/v1")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    model = chat_model()
    assert model.openai_api_key is None
    assert model.stream_usage is True
    model.invoke("hi")
    (request,) = chat_requests(vertex_emulator)
    assert request.token != "sk-not-for-vertex"


def test_create_agent_gemini3(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    agents = pytest.importorskip("langchain.agents")

    @tool
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return f"It is always sunny in {city}"

    agent = agents.create_agent(chat_model(model=GEMINI3), tools=[get_weather])
    result = agent.invoke({"messages": [HumanMessage("Weather in Madrid?")]})
    final = result["messages"][-1]
    assert isinstance(final, AIMessage)
    assert final.content == "Tool result: It is always sunny in Weather in Madrid?"
    requests = chat_requests(vertex_emulator)
    assert [r.status for r in requests] == [200, 200]
    assert _sent_assistant(requests[1])["tool_calls"][0]["extra_content"]["google"]


async def test_create_agent_gemini3_async_stream(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    agents = pytest.importorskip("langchain.agents")

    @tool
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return f"Windy in {city}"

    agent = agents.create_agent(chat_model(model=GEMINI3, streaming=True), tools=[get_weather])
    async for _ in agent.astream(
        {"messages": [HumanMessage("Weather in Lyon?")]}, stream_mode="messages"
    ):
        pass
    assert [r.status for r in chat_requests(vertex_emulator)] == [200, 200]
    assert all(r.body["stream"] is True for r in chat_requests(vertex_emulator))


# ------------------------------------------------------------------------ structured output


def test_structured_output_function_calling(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    joke = chat_model().with_structured_output(Joke).invoke("cats")
    assert isinstance(joke, Joke)
    assert joke.setup == "cats"
    (request,) = chat_requests(vertex_emulator)
    assert request.body["tools"][0]["function"]["name"] == "Joke"
    assert "response_format" not in request.body


def test_structured_output_json_schema(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    model = chat_model(model=GEMINI3)
    joke = model.with_structured_output(Joke, method="json_schema").invoke("dogs")
    assert isinstance(joke, Joke)
    assert joke.punchline == "dogs"
    (request,) = chat_requests(vertex_emulator)
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.body["response_format"]["json_schema"]["name"] == "Joke"


# langchain-openai's _stream model_dumps the SDK's stream events, whose snapshot holds a parsed
# pydantic object: pydantic warns (upstream, not ours).
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
def test_structured_output_json_schema_stream(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    """response_format streams go through beta.chat.completions.stream + a final completion."""
    model = chat_model(model=GEMINI3)
    raw_model = model.with_structured_output(Joke, method="json_schema", include_raw=True)
    result = raw_model.invoke("birds")
    assert isinstance(result["parsed"], Joke)
    chunks = list(model.bind(response_format=Joke).stream("fish"))
    full = _aggregate(chunks)
    assert json.loads(str(full.content))["setup"] == "fish"
    signature = full.additional_kwargs[EXTRA_CONTENT_KEY]["message"]["google"]["thought_signature"]
    assert len(signature) == 64  # captured once, not concatenated with the final completion


async def test_structured_output_async(chat_model: Factory) -> None:
    model = chat_model()
    assert isinstance(await model.with_structured_output(Joke).ainvoke("a"), Joke)
    assert isinstance(
        await model.with_structured_output(Joke, method="json_schema").ainvoke("b"), Joke
    )


# ------------------------------------------------------------------------------ options


def test_gemini_options_in_request_body(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]
    model = chat_model(
        thinking_budget=512,
        include_thoughts=True,
        safety_settings=safety,
        cached_content="projects/p/locations/us-central1/cachedContents/c1",
        thought_tag_marker="think",
        extra_body={"extra_body": {"google": {"media_resolution": "low"}}, "top_k": 3},
    )
    message = model.invoke("options please")
    # The thoughts (in the marker's tags on the wire) are reasoning, not text.
    assert message.content == "You said: options please"
    assert message.additional_kwargs["reasoning_content"] == "Thinking about: options please"
    (request,) = chat_requests(vertex_emulator)
    assert request.body["top_k"] == 3
    assert request.body["extra_body"] == {
        "google": {
            "media_resolution": "low",
            "thinking_config": {"thinking_budget": 512, "include_thoughts": True},
            "safety_settings": safety,
            "cached_content": "projects/p/locations/us-central1/cachedContents/c1",
            "thought_tag_marker": "think",
        }
    }
    # Per-call extra_body is merged with the typed options, not a replacement for them.
    model.invoke("again", extra_body={"extra_body": {"google": {"labels": {"team": "a"}}}})
    google = chat_requests(vertex_emulator)[-1].body["extra_body"]["google"]
    assert google["labels"] == {"team": "a"}
    assert google["thinking_config"]["thinking_budget"] == 512


def test_thinking_level_and_stream(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    list(chat_model(model=GEMINI3, thinking_level="low").stream("x"))
    body = chat_requests(vertex_emulator)[0].body
    assert body["extra_body"] == {"google": {"thinking_config": {"thinking_level": "low"}}}


def test_reasoning_effort_conflicts(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    with pytest.raises(ValueError, match="reasoning_effort"):
        chat_model(reasoning_effort="low", thinking_budget=1024)
    with pytest.raises(ValueError, match="reasoning_effort"):
        chat_model(
            reasoning_effort="low",
            extra_body={"extra_body": {"google": {"thinking_config": {"thinking_budget": 1}}}},
        )
    thinking = chat_model(thinking_budget=1024)
    with pytest.raises(ValueError, match="reasoning_effort"):
        thinking.invoke("x", reasoning_effort="high")
    with pytest.raises(ValueError, match="reasoning_effort"):
        list(thinking.stream("x", reasoning_effort="high"))
    assert chat_requests(vertex_emulator) == []  # nothing was sent
    message = chat_model(reasoning_effort="low").invoke("effort")
    assert message.usage_metadata is not None
    body = chat_requests(vertex_emulator)[0].body
    assert body["reasoning_effort"] == "low" and "extra_body" not in body


async def test_reasoning_effort_conflict_async(chat_model: Factory) -> None:
    with pytest.raises(ValueError, match="reasoning_effort"):
        await chat_model(include_thoughts=True).ainvoke("x", reasoning_effort="low")


def test_options_change_the_cache_key(chat_model: Factory) -> None:
    plain = chat_model()._get_llm_string()
    thinking = chat_model(thinking_budget=64)._get_llm_string()
    assert plain != thinking


# ----------------------------------------------------------------------------- auth


def test_quota_project_header(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    chat_model(quota_project="billing-project").invoke("hi")
    assert chat_requests(vertex_emulator)[0].headers["x-goog-user-project"] == "billing-project"
    creds = vertex_emulator.credentials(quota_project_id="from-credentials")
    chat_model(credentials=creds).invoke("hi")
    assert chat_requests(vertex_emulator)[1].headers["x-goog-user-project"] == "from-credentials"
    chat_model().invoke("hi")
    assert "x-goog-user-project" not in chat_requests(vertex_emulator)[2].headers


def test_401_recovery(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model()
    assert model.invoke("first").content == "You said: first"
    assert fetched(vertex_emulator) == 1
    vertex_emulator.revoke()
    assert model.invoke("second").content == "You said: second"
    assert fetched(vertex_emulator) == 2  # exactly one new token
    assert [r.status for r in chat_requests(vertex_emulator)] == [200, 401, 200]


async def test_401_recovery_async_stream(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    model = chat_model()
    await model.ainvoke("first")
    vertex_emulator.revoke()
    full = _aggregate([c async for c in model.astream("second")])
    assert full.content == "You said: second"
    assert fetched(vertex_emulator) == 2


def test_static_token(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    token = vertex_emulator.issue_token()
    chat_model(api_key=token).invoke("hi")
    (request,) = chat_requests(vertex_emulator)
    assert request.token == token
    assert fetched(vertex_emulator) == 0


def test_copies_share_one_connection(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model()
    copy = model.model_copy(update={"temperature": 0.5})
    assert copy.connection is model.connection
    model.invoke("a")
    copy.invoke("b")
    model.bind_tools([GetWeather]).invoke("c")
    model.with_structured_output(Joke).invoke("d")
    model.with_structured_output(Joke, method="json_schema").invoke("e")
    assert fetched(vertex_emulator) == 1
    assert len({r.token for r in chat_requests(vertex_emulator)}) == 1


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("stream", [False, True])
def test_vertex_error_reaches_the_user(
    chat_model: Factory, vertex_emulator: VertexEmulator, stream: bool
) -> None:
    vertex_emulator.known_models = {"google/gemini-2.5-flash"}
    model = chat_model(model="gemini-9-ultra")
    with pytest.raises(openai.NotFoundError) as caught:
        if stream:
            list(model.stream("hi"))
        else:
            model.invoke("hi")
    error = caught.value
    assert error.status_code == 404
    assert "Publisher Model" in error.message and "gemini-9-ultra" in error.message
    assert "NOT_FOUND" in str(error)
    assert isinstance(error.body, dict) and error.body["status"] == "NOT_FOUND"


async def test_vertex_errors_async(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.fail(429)
    with pytest.raises(openai.RateLimitError) as caught:
        await chat_model().ainvoke("hi")
    assert caught.value.status_code == 429
    assert "RESOURCE_EXHAUSTED" in caught.value.message
    vertex_emulator.fail(403, message="Permission 'aiplatform.endpoints.predict' denied")
    with pytest.raises(openai.PermissionDeniedError) as denied:
        _ = [c async for c in chat_model().astream("hi")]
    assert "aiplatform.endpoints.predict" in denied.value.message


def test_retries_follow_max_retries(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.fail(503, times=1)
    assert chat_model(max_retries=1).invoke("retry").content == "You said: retry"
    assert [r.status for r in chat_requests(vertex_emulator)] == [503, 200]


# --------------------------------------------------------------------- no Responses API


def test_never_the_responses_api(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    model = chat_model(model="openai/gpt-5-codex", output_version="responses/v1")
    assert model.use_responses_api is False
    assert model._use_responses_api({"tools": [{"type": "web_search"}]}) is False
    model.invoke("hi")
    model.bind_tools([GetWeather]).invoke("hi")
    paths = [r.path for r in chat_requests(vertex_emulator)]
    assert len(paths) == 2 and all(p.endswith("/chat/completions") for p in paths)
    with pytest.raises(ValueError, match="Chat Completions only"):
        chat_model(use_responses_api=True)
    with pytest.raises(ValueError, match="reasoning"):
        chat_model(reasoning={"effort": "low"})


# ------------------------------------------------------------------------ no token leaks


def test_token_not_in_repr_dumps_or_traces(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    token = vertex_emulator.issue_token()
    static = chat_model(api_key=token)
    refreshing = chat_model()
    refreshing.invoke("hi")
    fetched_token = chat_requests(vertex_emulator)[0].token
    assert fetched_token
    for model, secret in ((static, token), (refreshing, fetched_token)):
        texts = [
            repr(model),
            str(model),
            dumps(model),
            json.dumps(dumpd(model)),
            model.model_dump_json(),
            repr(model.model_dump()),
            repr(model._get_ls_params()),
            repr(model._identifying_params),
            repr(model._get_invocation_params()),
            model._get_llm_string(),
            repr(model.connection),
        ]
        for text in texts:
            assert secret not in text
    assert ChatVertexOpenAI.is_lc_serializable() is False
    assert static.lc_secrets == {"openai_api_key": "VERTEX_AI_ACCESS_TOKEN"}
    assert dumpd(static)["type"] == "not_implemented"
    vertex_emulator.fail(403)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        static.invoke("hi")
    assert token not in str(caught.value) and token not in repr(caught.value.body)


def test_ls_params(chat_model: Factory) -> None:
    params = chat_model(temperature=0.2, max_tokens=10)._get_ls_params(stop=["x"])
    assert params["ls_provider"] == "google_vertexai"
    assert params["ls_model_name"] == "google/gemini-2.5-flash"
    assert params["ls_model_type"] == "chat"
    assert chat_model()._llm_type == "vertex-openai-chat"


def test_construction_errors(chat_model: Factory, vertex_emulator: VertexEmulator) -> None:
    with pytest.raises(ValueError, match="model is required"):
        chat_model(model="")
    with pytest.raises(ValueError, match="credentials or api_key"):
        chat_model(api_key="tok", credentials=vertex_emulator.credentials())
    with pytest.raises(ValueError, match="base_url"):
        chat_model(base_url="https://example.com/v1")
    with pytest.raises(ValueError, match="http_client"):
        import httpx

        chat_model(http_client=httpx.Client())
    with pytest.raises(ValueError, match="https"):
        chat_model(api_endpoint="http://example.com")
    with pytest.raises(ValueError, match="static access token"):
        chat_model(api_key=lambda: "tok")


async def test_create_agent_three_streamed_turns_of_parallel_calls(
    chat_model: Factory, vertex_emulator: VertexEmulator
) -> None:
    """Gemini's stream shape (index-less calls in separate chunks, finish_reason "stop")."""
    agents = pytest.importorskip("langchain.agents")
    assert vertex_emulator.gemini_stream_tool_call_index is False
    called: list[str] = []

    @tool
    def get_time(city: str) -> str:
        """The local time in a city."""
        called.append(city)
        return f"noon in {city}"

    for first, second in (("Paris", "Rome"), ("Oslo", "Lima"), ("Kyiv", "Doha")):
        vertex_emulator.queue_reply(
            tool_calls=[
                {"name": "get_time", "arguments": {"city": first}},
                {"name": "get_time", "arguments": {"city": second}},
            ]
        )
    agent = agents.create_agent(chat_model(model=GEMINI3, streaming=True), tools=[get_time])
    result = await agent.ainvoke({"messages": [HumanMessage("Six cities?")]})
    assert sorted(called) == sorted(["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Doha"])
    assert result["messages"][-1].content == "Tool result: noon in Doha"
    requests = chat_requests(vertex_emulator)
    assert len(requests) == 4 and all(r.status == 200 and r.body["stream"] for r in requests)
    steps = [m for m in requests[-1].body["messages"] if m["role"] == "assistant"]
    assert [len(s["tool_calls"]) for s in steps] == [2, 2, 2]
    assert all(s["tool_calls"][0]["extra_content"]["google"]["thought_signature"] for s in steps)


async def test_clients_use_the_http_library_of_the_openai_sdk(
    chat_model: Factory, embeddings_model: Callable[..., Any]
) -> None:
    """Under openai 3.x the models' openai clients hold httpx2 clients (as langchain-openai's
    own do, langchain_openai/_compat.py), under 2.x httpx ones: never the SDK's adapter."""
    from vertex_openai.sdk_http import http, sdk_uses_httpx2

    model, embeddings = chat_model(), embeddings_model()
    for sync, aclient in (
        (model.root_client, model.root_async_client),
        (embeddings.client._client, embeddings.async_client._client),
    ):
        assert isinstance(sync._client, http.Client)
        assert isinstance(aclient._client, http.AsyncClient)
        assert issubclass(openai.DefaultHttpxClient, type(sync._client))
        assert issubclass(openai.DefaultAsyncHttpxClient, type(aclient._client))
        assert sdk_uses_httpx2() == (type(sync._client).__module__.split(".")[0] == "httpx2")
    assert (await model.ainvoke("hi")).content == "You said: hi"
    assert model.invoke("hi").content == "You said: hi"
    assert len(embeddings.embed_query("hi")) > 0
