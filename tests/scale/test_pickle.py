"""Pickle, cloudpickle and deepcopy of the four model classes (issue 12, item 4).

A pickle holds the settings and the credential the user gave, never a live access token,
a pool or a lock. Unpickled copies connect lazily, on first use, in the process that
unpickles them: a fresh interpreter here (``pickled_worker.py``), with google-auth really
refreshing against the emulator's token endpoint.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from scaleout import ECHO, call, clean_env

from vertex_openai.testing import VertexEmulator

from support import LOCATION, chat_requests, installed, needs_langchain, target

WORKER = Path(__file__).with_name("pickled_worker.py")


def _models(emu: VertexEmulator, **auth: Any) -> dict[str, Any]:
    """One model of each class on the emulator (the frameworks that are installed)."""
    models: dict[str, Any] = {}
    if installed("langchain_openai"):
        from vertex_openai.langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings

        models["chat"] = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu, **auth))
        models["embeddings"] = VertexOpenAIEmbeddings(
            model="text-embedding-005", **target(emu, **auth)
        )
    if installed("llama_index.llms.openai_like"):
        from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

        models["llm"] = VertexOpenAILike(model="gemini-2.5-flash", **target(emu, **auth))
        models["embedding"] = VertexOpenAILikeEmbedding(
            model_name="text-embedding-005", **target(emu, **auth)
        )
    return models


def _use(model: Any) -> Any:
    """One call, as pickled_worker.py makes it."""
    return call(model)


def _in_worker(payloads: dict[str, bytes], tmp_path: Path, env: dict[str, str]) -> Any:
    path = tmp_path / "payloads.pickle"
    path.write_bytes(pickle.dumps(payloads))
    done = subprocess.run(
        [sys.executable, str(WORKER), str(path)],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _expected(name: str, emu: VertexEmulator) -> Any:
    return ECHO if name in ("chat", "llm", "chat_cloudpickle") else emu.embedding_dimensions


@pytest.mark.timeout(180)
def test_unpickled_in_a_fresh_process_they_authenticate_there(
    emu: VertexEmulator, tmp_path: Path
) -> None:
    models = _models(emu)
    assert models, "no framework installed: nothing to test"
    for model in models.values():
        _use(model)  # each credential now holds a live token
    parent_tokens = {t.access_token for t in emu.token_requests if t.access_token}
    assert parent_tokens
    payloads = {name: b"p" + pickle.dumps(model) for name, model in models.items()}
    if "chat" in models:
        payloads["chat_cloudpickle"] = b"c" + cloudpickle.dumps(models["chat"])
    for name, data in payloads.items():
        assert b"ya29." not in data, f"{name}: a pickle holds an access token"
        for token in parent_tokens:
            assert token.encode() not in data
    before = len(emu.token_requests)
    emu.clear_log()

    results = _in_worker(payloads, tmp_path, clean_env())

    assert set(results) == set(payloads)
    for name, result in results.items():
        assert result["answer"] == _expected(name, emu), name
        assert result["connected_before_use"] is False, name  # lazily, on first use
        assert result["credentials"] == "Credentials", name  # the service account it had
        assert result["static"] is False
        assert result["base_url"] == emu.base_url(location=LOCATION)
    # The worker fetched its own tokens (google-auth's refresh against the emulator) and
    # never sent one of the parent's.
    worker_tokens = {t.access_token for t in emu.token_requests if t.status == 200}
    assert worker_tokens and not worker_tokens & parent_tokens
    sent = {r.token for r in emu.requests}
    assert sent and sent <= worker_tokens
    assert before > 0


@pytest.mark.timeout(120)
def test_a_static_api_key_stays_that_key(emu: VertexEmulator, tmp_path: Path) -> None:
    key = emu.issue_token()
    models = _models(emu, api_key=key)
    payloads = {name: b"p" + pickle.dumps(model) for name, model in models.items()}
    emu.clear_log()

    # No Application Default Credentials in the worker: a copy falling back on them fails.
    results = _in_worker(payloads, tmp_path, clean_env())

    for name, result in results.items():
        assert result["answer"] == _expected(name, emu), name
        assert result["static"] is True, name
        assert result["credentials"] is None
    assert {r.token for r in emu.requests} == {key}
    assert emu.token_requests == []


@needs_langchain
@pytest.mark.timeout(120)
def test_adc_is_resolved_in_the_worker_and_the_target_kept(
    emu: VertexEmulator, key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No credential given: the pickle holds none, and the worker finds its own ADC."""
    from vertex_openai.langchain import ChatVertexOpenAI

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", emu.project)  # the project, from here only
    model = ChatVertexOpenAI(model="gemini-2.5-flash", location=LOCATION, api_endpoint=emu.url)
    data = pickle.dumps(model)
    assert b"PRIVATE KEY" not in data and b"ya29." not in data

    env = clean_env(GOOGLE_APPLICATION_CREDENTIALS=str(key_file))  # no GOOGLE_CLOUD_PROJECT
    results = _in_worker({"chat": b"p" + data}, tmp_path, env)

    assert results["chat"]["answer"] == ECHO
    assert results["chat"]["credentials"] is None  # ADC, resolved by the worker
    assert results["chat"]["fetches"] == 1
    assert results["chat"]["base_url"] == emu.base_url(location=LOCATION)
    assert [r.project for r in chat_requests(emu)][-1:] == [emu.project]


def test_a_service_account_pickle_holds_its_key_but_not_its_token(emu: VertexEmulator) -> None:
    """What the docstrings say: the credential travels (its private key), its token not."""
    models = _models(emu)
    for model in models.values():
        _use(model)
        copy_ = pickle.loads(pickle.dumps(model))
        assert copy_.credentials is not model.credentials
        assert copy_.credentials.token is None and copy_.credentials.expiry is None
        assert copy_.credentials.service_account_email == emu.client_email
        assert copy_.credentials.signer.key_id == model.credentials.signer.key_id


def test_cloudpickle_and_deepcopy_in_process(emu: VertexEmulator) -> None:
    models = _models(emu)
    for name, model in models.items():
        _use(model)
        fetched = len(emu.token_requests)
        twin = copy.deepcopy(model)
        assert twin.connection is model.connection  # a deep copy shares the connection
        assert _use(twin) == _expected(name, emu)
        assert len(emu.token_requests) == fetched  # no token fetch for a copy

        revived = cloudpickle.loads(cloudpickle.dumps(model))
        assert revived._connection is None
        copies = [revived.model_copy(), copy.deepcopy(revived)]
        assert all(c.connection is revived.connection for c in copies)
        assert _use(copies[0]) == _expected(name, emu)
        assert _use(revived) == _expected(name, emu)
        assert pickle.loads(pickle.dumps(revived))._connection is None


@needs_langchain
def test_a_chain_with_a_bound_model_pickles(emu: VertexEmulator) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from vertex_openai.langchain import ChatVertexOpenAI

    model = ChatVertexOpenAI(model="gemini-2.5-flash", **target(emu))
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | model.bind(temperature=0)
    chain = chain | StrOutputParser()
    revived = cloudpickle.loads(cloudpickle.dumps(chain))
    assert revived.invoke({"q": "chained"}) == "You said: chained"


async def test_close_and_aclose_release_the_sockets_and_the_model_reconnects(
    emu: VertexEmulator,
) -> None:
    for name, model in _models(emu).items():
        assert _use(model) == _expected(name, emu)
        http = model.connection.http_client()
        model.close()
        assert http.is_closed
        assert _use(model) == _expected(name, emu)  # new clients on the same connection
        await model.aclose()
        assert _use(model) == _expected(name, emu)
        revived = pickle.loads(pickle.dumps(model))
        revived.close()  # never connected: nothing to close, and nothing opened
        assert revived._connection is None


def test_an_in_memory_rate_limiter_is_refused_clearly(emu: VertexEmulator) -> None:
    """The frameworks' in-memory limiters hold a lock: a clear error, and the documented way."""
    limiters: dict[str, Any] = {}
    if installed("langchain_core"):
        from langchain_core.rate_limiters import InMemoryRateLimiter

        limiters["chat"] = InMemoryRateLimiter(requests_per_second=10)
    if installed("llama_index.core.rate_limiter"):  # not in llama-index-core 0.14.5 (our floor)
        from llama_index.core.rate_limiter import TokenBucketRateLimiter

        limiters["llm"] = TokenBucketRateLimiter(requests_per_minute=600)
    models = _models(emu)
    for name, limiter in limiters.items():
        limited = models[name].model_copy(update={"rate_limiter": limiter})
        for dumps in (pickle.dumps, cloudpickle.dumps):
            with pytest.raises(TypeError, match=r"rate_limiter .*give each worker its own"):
                dumps(limited)
        # Without it the model travels; the worker gives the copy a limiter of its own.
        revived = pickle.loads(pickle.dumps(models[name]))
        local = revived.model_copy(update={"rate_limiter": limiter})
        assert _use(local) == _expected(name, emu)
