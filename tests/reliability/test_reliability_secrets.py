"""Secrets never leak; bad input is refused before anything is sent; copies share one token."""

from __future__ import annotations

import json
import logging
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from vertex_openai import CredentialsError, TokenSource
from vertex_openai.testing import VertexEmulator

from support import connect, fetched, target, user


def issued_tokens(emu: VertexEmulator) -> set[str]:
    return {t.access_token for t in emu.token_requests if t.access_token}


def assert_no_token(texts: list[str], tokens: set[str]) -> None:
    assert tokens, "the test issued no token: it could not fail"
    for text in texts:
        for token in tokens:
            assert token not in text


def record_texts(records: list[logging.LogRecord]) -> list[str]:
    texts = []
    for record in records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        texts.append(repr(record.__dict__))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]))
    return texts


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def test_no_token_in_debug_logs_core(
    vertex_emulator: VertexEmulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    client = connection.openai_client(max_retries=0)
    client.chat.completions.create(**user("hello"))
    list(client.chat.completions.create(**user("stream me"), stream=True))
    emu.revoke()
    client.chat.completions.create(**user("after revoke"))  # 401, refresh, retry
    emu.fail(400)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(**user("error"))
    assert len(debug_logs.records) > 10  # DEBUG logging really was on
    assert_no_token(record_texts(debug_logs.records), issued_tokens(emu))


def test_no_token_in_framework_logs_repr_dumps_and_errors(
    vertex_emulator: VertexEmulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("langchain_openai")
    pytest.importorskip("llama_index.core")
    from langchain_core.load import dumps

    from vertex_openai.langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings
    from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

    emu = vertex_emulator
    static = emu.issue_token()
    models: list[Any] = [
        ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu)),
        ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu, credentials=None, api_key=static)),
        VertexOpenAIEmbeddings(model="text-embedding-005", **target(emu)),
        VertexOpenAILike(model="gemini-2.5-flash", **target(emu)),
        VertexOpenAILike(model="gemini-2.5-flash", **target(emu, credentials=None, api_key=static)),
        VertexOpenAILikeEmbedding(model_name="text-embedding-005", **target(emu)),
    ]
    chat_lc, static_lc, emb_lc, chat_li, static_li, emb_li = models
    chat_lc.invoke("a")
    static_lc.invoke("b")
    list(chat_lc.stream("c"))
    emb_lc.embed_documents(["d"])
    chat_li.complete("e")
    static_li.complete("f")
    emb_li.get_text_embedding("g")
    texts = [repr(m) for m in models] + [str(m) for m in models]
    texts += [dumps(chat_lc), dumps(static_lc), json.dumps(chat_lc._get_ls_params(), default=str)]
    texts += [json.dumps(static_lc._identifying_params, default=str)]
    texts += [
        static_li.to_json(),
        chat_li.to_json(),
        json.dumps(static_li.model_dump(), default=str),
    ]
    emu.revoke(static)
    for call in (lambda: static_lc.invoke("x"), lambda: static_li.complete("y")):
        with pytest.raises(openai.AuthenticationError) as info:
            call()
        texts.append(str(info.value))
        texts.append(repr(info.value))
    assert_no_token(texts + record_texts(debug_logs.records), issued_tokens(emu) | {static})


def test_credentials_error_message_has_no_token(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=0)
    client.chat.completions.create(**user("warm"))  # the client holds a token now
    emu.revoke()
    emu.fail_token(error="invalid_grant")
    with pytest.raises(CredentialsError) as info:  # 401, then the refresh fails
        client.chat.completions.create(**user("x"))
    assert [r.status for r in emu.requests] == [200, 401]
    texts = [str(info.value), repr(info.value), repr(info.value.__cause__)]
    assert_no_token(texts, issued_tokens(emu))


BAD: list[dict[str, Any]] = [
    {"project": "a/b"},
    {"project": ""},
    {"location": "../x"},
    {"location": "us central1"},
    {"endpoint_id": "1/../2"},
    {"endpoint_id": ""},
    {"api_version": "v2"},
    {"api_endpoint": "http://10.1.2.3:8080"},
    {"api_endpoint": "http://example.com"},
    {"location": "global", "endpoint_id": "123"},
]


@pytest.mark.parametrize("bad", BAD, ids=[json.dumps(b) for b in BAD])
def test_bad_input_refused_before_any_request(
    vertex_emulator: VertexEmulator, bad: dict[str, Any]
) -> None:
    emu = vertex_emulator
    factories: list[Any] = [
        lambda kw: connect(emu, **kw).openai_client().chat.completions.create(**user("x"))
    ]
    try:
        from vertex_openai.langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings

        factories += [
            lambda kw: ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu, **kw)),
            lambda kw: VertexOpenAIEmbeddings(model="text-embedding-005", **target(emu, **kw)),
        ]
    except ImportError:
        pass
    try:
        from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

        factories += [
            lambda kw: VertexOpenAILike(model="gemini-2.5-flash", **target(emu, **kw)),
            lambda kw: VertexOpenAILikeEmbedding(model_name="e", **target(emu, **kw)),
        ]
    except ImportError:
        pass
    for factory in factories:
        with pytest.raises(ValueError) as info:
            factory(bad)
        assert any(name in str(info.value) for name in bad)
    assert emu.requests == [] and emu.token_requests == []


class Answer(BaseModel):
    text: str


def test_langchain_copies_share_one_token_source(vertex_emulator: VertexEmulator) -> None:
    pytest.importorskip("langchain_openai")
    from langchain_core.tools import tool

    from vertex_openai.langchain import ChatVertexOpenAI

    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        return city

    emu = vertex_emulator
    llm = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu))
    llm.invoke("base")
    llm.model_copy(update={"temperature": 0.1}).invoke("copy")
    llm.bind_tools([lookup]).invoke("tools")
    llm.with_structured_output(Answer).invoke("structured")
    llm.with_structured_output(Answer, method="json_schema").invoke("json schema")
    llm.bind(stop=["x"]).invoke("bound")
    assert len(emu.requests) == 6 and all(r.status == 200 for r in emu.requests)
    assert fetched(emu) == 1


def test_llamaindex_copies_share_one_token_source(vertex_emulator: VertexEmulator) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.prompts import PromptTemplate

    from vertex_openai.llama_index import VertexOpenAILike

    emu = vertex_emulator
    llm = VertexOpenAILike(model="gemini-2.5-flash", **target(emu))
    llm.complete("base")
    llm.model_copy(update={"temperature": 0.1}).complete("copy")
    llm.as_structured_llm(Answer).complete("structured")
    llm.structured_predict(Answer, PromptTemplate("say {x}"), x="hi")
    assert len(emu.requests) == 4 and all(r.status == 200 for r in emu.requests)
    assert fetched(emu) == 1


def test_permanent_failure_in_frameworks(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    emu.fail_token(error="invalid_client", status=401, times=10)
    callers: list[Any] = []
    try:
        from vertex_openai.langchain import ChatVertexOpenAI

        callers.append(ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu)).invoke)
    except ImportError:
        pass
    try:
        from vertex_openai.llama_index import VertexOpenAILike

        callers.append(VertexOpenAILike(model="gemini-2.5-flash", **target(emu)).complete)
    except ImportError:
        pass
    for call in callers:
        with pytest.raises(CredentialsError, match="invalid_client"):
            call("x")
    assert callers
    # one attempt at the token endpoint per call (permanent: not retried), no Vertex request
    assert len(emu.token_requests) == len(callers)
    assert emu.requests == []


def test_token_source_repr() -> None:
    assert "secret" not in repr(TokenSource(api_key="secret"))


def test_model_copy_cannot_silently_keep_the_old_target(vertex_emulator: VertexEmulator) -> None:
    classes: list[Any] = []
    try:
        from vertex_openai.langchain import ChatVertexOpenAI

        classes.append(ChatVertexOpenAI)
    except ImportError:
        pass
    try:
        from vertex_openai.llama_index import VertexOpenAILike

        classes.append(VertexOpenAILike)
    except ImportError:
        pass
    assert classes
    for cls in classes:
        model = cls(model="gemini-2.5-flash", **target(vertex_emulator))
        with pytest.raises(ValueError, match="location"):
            model.model_copy(update={"location": "europe-west4"})
        assert model.model_copy(update={"temperature": 0.5}).temperature == 0.5


def _framework_models(emu: VertexEmulator) -> list[Any]:
    models: list[Any] = []
    try:
        from vertex_openai.langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings

        models += [
            ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu)),
            VertexOpenAIEmbeddings(model="text-embedding-005", **target(emu)),
        ]
    except ImportError:
        pass
    try:
        from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

        models += [
            VertexOpenAILike(model="gemini-2.5-flash", **target(emu)),
            VertexOpenAILikeEmbedding(model_name="text-embedding-005", **target(emu)),
        ]
    except ImportError:
        pass
    assert models
    return models


def test_deep_copies_share_the_connection(vertex_emulator: VertexEmulator) -> None:
    import copy

    for model in _framework_models(vertex_emulator):
        for clone in (copy.deepcopy(model), model.model_copy(deep=True)):
            assert clone is not model
            assert clone._connection is model._connection


def test_renamed_copy_still_gets_the_publisher_prefix(vertex_emulator: VertexEmulator) -> None:
    pytest.importorskip("langchain_openai")
    from vertex_openai.langchain import ChatVertexOpenAI

    emu = vertex_emulator
    llm = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu))
    llm.model_copy(update={"model_name": "gemini-2.5-pro"}).invoke("renamed")
    assert emu.requests[-1].body["model"] == "google/gemini-2.5-pro"
    with pytest.raises(ValueError, match="not a field name"):
        llm.model_copy(update={"model": "gemini-2.5-pro"})  # an alias would do nothing


def test_callable_api_key_refused_everywhere(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    with pytest.raises(ValueError, match="static access token"):
        connect(emu, credentials=None, api_key=lambda: "token")  # type: ignore[arg-type]
    try:
        from vertex_openai.llama_index import VertexOpenAILike

        with pytest.raises(ValueError, match="static access token"):
            VertexOpenAILike(
                model="gemini-2.5-flash", **target(emu, credentials=None, api_key=lambda: "t")
            )
    except ImportError:
        pass
    try:
        from vertex_openai.langchain import ChatVertexOpenAI

        with pytest.raises(ValueError, match="static access token"):
            ChatVertexOpenAI(
                model="gemini-2.5-flash", **target(emu, credentials=None, api_key=lambda: "t")
            )
    except ImportError:
        pass
    assert emu.requests == []
