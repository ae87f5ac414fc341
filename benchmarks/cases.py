"""The benchmark cases: vertex-openai (A) against the frameworks' own adapters (B).

Both sides talk to the same emulator over the same loopback HTTP, with the same model, the
same openai client defaults (retries, pool limits), ``stream_usage=True`` and reused clients:

* A: this package (``ChatVertexOpenAI`` / ``VertexOpenAILike``) with google-auth
  service-account credentials refreshing against the emulator's token endpoint (the token is
  fetched during warmup: timed calls measure signing, not fetching);
* B: ``ChatOpenAI`` / ``OpenAILike`` with ``base_url`` / ``api_base`` set to the same emulator
  endpoint and a static emulator token as ``api_key``.

Each case takes the emulator and the :class:`~harness.Settings` and returns table rows;
:data:`BENCHMARKS` names them for ``run.py --only``. Token fetches per rotation are counted at
the emulator's token endpoint and checked against ``TokenSource.fetch_count``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import (
    LOCATION,
    PROJECT,
    TOKEN_LIFETIME,
    EmulatorProcess,
    Paired,
    Row,
    Settings,
    Side,
    Stopwatch,
    interleaved,
    profile,
    progress,
    settle,
    timed_rounds,
)

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI
    from llama_index.llms.openai_like import OpenAILike

    from vertex_openai.langchain import ChatVertexOpenAI
    from vertex_openai.llama_index import VertexOpenAILike

MODEL = "gemini-2.5-flash"
FULL_MODEL = f"google/{MODEL}"
PROMPT = "Why is the sky blue?"
ANSWER = f"You said: {PROMPT}"  # the emulator's echo
# Both LangChain sides get the same timeout. ChatOpenAI's default is request_timeout=None, no
# timeout at all (langchain-ai/langchain, libs/partners/openai/langchain_openai/chat_models/
# base.py); ChatVertexOpenAI's is the openai SDK's DEFAULT_TIMEOUT, 600 s
# (openai/openai-python, src/openai/_constants.py). With a timeout, every socket operation of
# the async transport arms a timer, which costs a few percent of CPU at 200 concurrent calls.
# The LlamaIndex classes both keep their default, OpenAI's timeout=60.0 (run-llama/llama_index,
# llama-index-integrations/llms/llama-index-llms-openai/llama_index/llms/openai/base.py).
TIMEOUT = 600.0

# google-auth refreshes 3 min 45 s before expiry (REFRESH_THRESHOLD in
# googleapis/google-auth-library-python, google/auth/_helpers.py): a token living less than
# that is "stale" (valid, refreshed in the background) from the moment it is issued.
STALE_LIFETIME = 200.0
#: ``credentials=ADC``: build the model on Application Default Credentials (no credential).
ADC = "adc"
SHORT_LIFETIME = 1.0


# ------------------------------------------------------------------------------------------
# Models


def vertex_chat(
    emu: EmulatorProcess, credentials: Any = None, model: str = MODEL
) -> ChatVertexOpenAI:
    from vertex_openai.langchain import ChatVertexOpenAI

    return ChatVertexOpenAI(
        model=model,
        project=PROJECT,
        location=LOCATION,
        api_endpoint=emu.url,
        credentials=None if credentials == ADC else credentials or emu.credentials(),
        stream_usage=True,
        timeout=TIMEOUT,
    )


def openai_chat(emu: EmulatorProcess) -> ChatOpenAI:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=FULL_MODEL,
        base_url=emu.base_url,
        api_key=emu.static_token,  # type: ignore[arg-type]
        stream_usage=True,
        timeout=TIMEOUT,
    )


def vertex_llm(emu: EmulatorProcess) -> VertexOpenAILike:
    from vertex_openai.llama_index import VertexOpenAILike

    return VertexOpenAILike(
        model=MODEL,
        project=PROJECT,
        location=LOCATION,
        api_endpoint=emu.url,
        credentials=emu.credentials(),
    )


def openai_like_llm(emu: EmulatorProcess) -> OpenAILike:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=FULL_MODEL,
        api_base=emu.base_url,
        api_key=emu.static_token,
        is_chat_model=True,
    )


def _check(label: str, content: Any, expected: str = ANSWER) -> None:
    if content != expected:
        raise RuntimeError(f"{label}: unexpected answer {content!r} (expected {expected!r})")


# ------------------------------------------------------------------------------------------
# Sequential calls and construction


def _sequential(
    emu: EmulatorProcess, s: Settings, name: str, a: Side, b: Side, text: Callable[[Any], Any]
) -> list[Row]:
    """One call per side checked (``text`` of its answer), then A B A B ... timed."""
    for label, call in (a, b):
        _check(label, text(call()))
    paired = interleaved(emu, s.rounds, s.warmup, s.calls, a[1], b[1])
    if s.profile:
        profile(200, a, b)
    return [paired.row(name, 1.03, note=paired.cpu_note())]


def bench_invoke(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    return _sequential(
        emu,
        s,
        "LangChain invoke, sequential, per call",
        ("ChatVertexOpenAI.invoke", lambda: a_model.invoke(PROMPT)),
        ("ChatOpenAI.invoke", lambda: b_model.invoke(PROMPT)),
        lambda message: message.content,
    )


def bench_llama(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_llm(emu), openai_like_llm(emu)
    return _sequential(
        emu,
        s,
        "LlamaIndex complete, sequential, per call",
        ("VertexOpenAILike.complete", lambda: a_model.complete(PROMPT)),
        ("OpenAILike.complete", lambda: b_model.complete(PROMPT)),
        lambda response: response.text,
    )


def bench_construct(emu: EmulatorProcess, s: Settings) -> list[Row]:
    credentials = emu.credentials()
    _check("construction", vertex_chat(emu, credentials).invoke(PROMPT).content)
    a: Side = ("ChatVertexOpenAI()", lambda: vertex_chat(emu, credentials))
    b: Side = ("ChatOpenAI()", lambda: openai_chat(emu))
    keep: list[Any] = []

    def build(factory: Callable[[], Any]) -> Callable[[], None]:
        return lambda: keep.append(factory())

    paired = interleaved(
        emu, max(2, s.rounds // 2), s.warmup, s.constructions, build(a[1]), build(b[1])
    )
    keep.clear()
    if s.profile:
        profile(50, a, b)
    return [
        paired.row(
            "LangChain model construction",
            1.3,
            note="A: one google-auth credentials object, reused; B: a static api_key",
        )
    ]


# ------------------------------------------------------------------------------------------
# Concurrency and streaming


def _concurrent(
    emu: EmulatorProcess, s: Settings, a_model: Any, b_model: Any, name: str
) -> list[Row]:
    n = s.concurrency

    async def batch(model: Any) -> tuple[float, float]:
        with Stopwatch() as watch:
            results = await asyncio.gather(*(model.ainvoke(PROMPT) for _ in range(n)))
        for message in results:
            _check(f"{type(model).__name__}.ainvoke", message.content)
        return watch.wall, watch.cpu

    async def run() -> Paired:
        paired = Paired()
        # Warm up, and never the same model twice in a row: with httpx against a
        # thread-per-connection server (the emulator's, or a bare http.server), a client's
        # second 200-call batch, and a batch right after one of the same client, can stall for
        # ~5 s, on either side (not an adapter effect; these batches stay out of the figures).
        await batch(a_model)  # connections, token
        await batch(b_model)
        for timed in timed_rounds(emu, s.concurrent_rounds, s.warmup):
            wall_a, cpu_a = await batch(a_model)
            settle(emu)
            wall_b, cpu_b = await batch(b_model)
            if timed:
                paired.add_round([wall_a], [wall_b], cpu_a, cpu_b)
        return paired

    paired = asyncio.run(run())
    return [paired.row(name, 1.05, note=paired.cpu_note(per=f"batch of {n}"))]


def bench_concurrent(emu: EmulatorProcess, s: Settings) -> list[Row]:
    return _concurrent(
        emu,
        s,
        vertex_chat(emu),
        openai_chat(emu),
        f"LangChain {s.concurrency} concurrent ainvoke, wall time",
    )


def bench_stream(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    prompt = " ".join(f"word{i}" for i in range(s.stream_words))
    expected = f"You said: {prompt}"

    def one(model: ChatVertexOpenAI | ChatOpenAI) -> tuple[float, float, float, int]:
        """(time to first chunk, chunks per second after the first, CPU seconds, chunks)."""
        first = last = 0.0
        count = 0
        text: list[str] = []
        with Stopwatch() as watch:
            for chunk in model.stream(prompt):
                now = time.perf_counter()
                if count == 0:
                    first = now
                last = now
                count += 1
                text.append(chunk.text)
        _check(f"{type(model).__name__}.stream", "".join(text), expected)
        rate = (count - 1) / (last - first) if count > 1 and last > first else 0.0
        return first - watch.started, rate, watch.cpu, count

    one(a_model)
    one(b_model)
    first = Paired()
    rates = Paired()
    per_round = max(1, s.calls // 5)
    chunks = 0
    for timed in timed_rounds(emu, s.rounds, s.warmup):
        a: list[tuple[float, float, float, int]] = []
        b: list[tuple[float, float, float, int]] = []
        for _ in range(per_round):
            a.append(one(a_model))
            b.append(one(b_model))
        if timed:
            first.add_round([x[0] for x in a], [x[0] for x in b], 0.0, 0.0)
            cpu_a, cpu_b = sum(x[2] for x in a), sum(x[2] for x in b)
            rates.add_round([x[1] for x in a], [x[1] for x in b], cpu_a, cpu_b)
            chunks = a[0][3]
    return [
        first.row("LangChain stream: time to first chunk", None),
        Row(
            "LangChain stream: chunks per second",
            "chunks/s",
            statistics.median(rates.all_a),
            statistics.median(rates.all_b),
            ratio=rates.ratio(),
            note=(
                f"{chunks} chunks per answer; A/B above 1 is faster; "
                + rates.cpu_note("chunk", parts=chunks, unit="µs")
            ),
            samples=len(rates.all_a),
            extra={"a": rates.all_a, "b": rates.all_b},
        ),
    ]


# ------------------------------------------------------------------------------------------
# Import time


def _import_time(module: str) -> float:
    code = (
        "import time; start = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - start)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def bench_imports(emu: EmulatorProcess, s: Settings) -> list[Row]:
    rows = []
    note = "a fresh interpreter per sample, timed around the import statement"
    pairs: tuple[tuple[str, str | None, float | None, str], ...] = (
        ("vertex_openai.langchain", "langchain_openai", 1.10, note),
        ("vertex_openai", None, None, "the package alone (it loads its modules lazily)"),
        ("vertex_openai.connection", "openai", None, "the core: openai, httpx, google-auth"),
    )
    for module_a, module_b, target, why in pairs:
        paired = Paired()
        for index in range(s.import_warmup + s.import_rounds):
            if index % 2 == 0 or module_b is None:
                a = _import_time(module_a)
                b = _import_time(module_b) if module_b else a
            else:
                b = _import_time(module_b)
                a = _import_time(module_a)
            if index >= s.import_warmup:
                paired.add_round([a], [b], 0.0, 0.0)
        if module_b is None:
            median = statistics.median(paired.all_a) * 1e3
            rows.append(Row(f"import {module_a}", "ms", median, note=why, samples=len(paired.a)))
        else:
            rows.append(paired.row(f"import {module_a} (B: import {module_b})", target, note=why))
    return rows


# ------------------------------------------------------------------------------------------
# Token fetches per rotation


async def _rotation(
    emu: EmulatorProcess, scenario: str, callers: int
) -> tuple[int, int, int, float]:
    """(token endpoint hits, TokenSource.fetch_count, right answers, seconds)."""
    # Every model of a process that authenticates as one identity shares one token source:
    # a quota project of its own makes this rotation's identity new (no token yet).
    credentials = emu.credentials().with_quota_project(f"rotation-{scenario}-{callers}")
    model = vertex_chat(emu, credentials)
    source = model.connection.token_source
    if scenario != "cold":
        # A first token that is stale from the start, or expires in a second.
        emu.set_token_lifetime(STALE_LIFETIME if scenario == "stale" else SHORT_LIFETIME)
        _check("rotation warmup", (await model.ainvoke(PROMPT)).content)
    emu.set_token_lifetime(TOKEN_LIFETIME)
    if scenario == "expired":
        await asyncio.sleep(SHORT_LIFETIME + 0.2)
    emu.clear()
    fetched = source.fetch_count
    t0 = time.perf_counter()
    results = await asyncio.gather(*(model.ainvoke(PROMPT) for _ in range(callers)))
    elapsed = time.perf_counter() - t0
    ok = sum(1 for message in results if message.content == ANSWER)
    # A stale token is replaced in the background: let that refresh land before counting.
    for _ in range(1000 if scenario == "stale" else 0):  # at most 10 s
        if source.fetch_count != fetched:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    return emu.token_requests(), source.fetch_count - fetched, ok, elapsed


def bench_tokens(emu: EmulatorProcess, s: Settings) -> list[Row]:
    rows = []
    scenarios = (
        ("cold", "before the first token"),
        ("expired", "token just expired"),
        ("stale", "token stale (< 3 min 45 s left)"),
    )
    for scenario, description in scenarios:
        for callers in s.token_callers:
            hits, fetches, ok, elapsed = asyncio.run(_rotation(emu, scenario, callers))
            note = ""
            if ok != callers or hits != fetches:
                note = f"{ok}/{callers} right answers; TokenSource.fetch_count {fetches}"
            rows.append(
                Row(
                    f"token fetches: {callers} concurrent ainvoke, {description}",
                    "fetches",
                    float(hits),
                    kind="exact",
                    target=1.0,
                    note=note,
                    samples=1,
                    extra={"fetch_count": fetches, "right_answers": ok, "seconds": elapsed},
                )
            )
    return rows


# ------------------------------------------------------------------------------------------
# A model built per request (a web app's handler), and the peer: LiteLLM through ChatLiteLLM

# A fresh interpreter builds a model per request, credentials loaded each time, and calls
# it: how many token requests does the emulator see in total? (A fresh process, because this
# one's token source for the emulator's service account already holds a token.)
_PER_REQUEST_COUNT = """
import json, sys
from google.oauth2 import service_account
sys.path.insert(0, sys.argv[1])
from harness import EmulatorProcess
import cases, peers
info = json.loads(sys.argv[2]); requests = int(sys.argv[4])
emu = EmulatorProcess.__new__(EmulatorProcess)
emu.url, emu.base_url, emu.service_account_info = sys.argv[3], "", info
for _ in range(requests):
    if sys.argv[5] == "vertex-openai":
        creds = service_account.Credentials.from_service_account_info(
            info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
        answer = cases.vertex_chat(emu, creds).invoke(cases.PROMPT).content
    else:
        model = peers.litellm_chat(emu, cases.TIMEOUT, json.dumps(info))
        answer = model.invoke(cases.PROMPT).content
    assert answer == cases.ANSWER, answer
"""


def _fetches_per_request(emu: EmulatorProcess, side: str, requests: int) -> int:
    """Token requests the emulator answered while a fresh process made ``requests`` requests,
    each with a model (and its credentials) built for it."""
    emu.clear()
    here = str(Path(__file__).resolve().parent)
    info = json.dumps(emu.service_account_info)
    subprocess.run(
        [sys.executable, "-c", _PER_REQUEST_COUNT, here, info, emu.url, str(requests), side],
        check=True,
        capture_output=True,
        text=True,
    )
    return emu.token_requests()


@contextlib.contextmanager
def _adc(emu: EmulatorProcess) -> Iterator[None]:
    """Application Default Credentials: the emulator's service-account key file."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "key.json"
        path.write_text(json.dumps(emu.service_account_info))
        before = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = str(path)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
            else:
                os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = before


def bench_per_request(emu: EmulatorProcess, s: Settings) -> list[Row]:
    """A model built per request (a web handler), then one invoke; B: ChatOpenAI the same way."""
    from google.oauth2 import service_account

    from vertex_openai import CLOUD_PLATFORM_SCOPE

    info = emu.service_account_info
    per_round = max(1, s.calls // 2)

    def b() -> Any:
        return openai_chat(emu).invoke(PROMPT)

    def on_adc() -> Any:
        return vertex_chat(emu, credentials=ADC).invoke(PROMPT)

    def loading() -> Any:
        creds = service_account.Credentials.from_service_account_info(
            info, scopes=[CLOUD_PLATFORM_SCOPE]
        )
        return vertex_chat(emu, creds).invoke(PROMPT)

    with _adc(emu):
        for label, call in (("ADC", on_adc), ("loading", loading), ("ChatOpenAI", b)):
            _check(f"per request, {label}", call().content)
        adc = interleaved(emu, s.rounds, s.warmup, per_round, on_adc, b)
    load = interleaved(emu, max(2, s.rounds // 2), s.warmup, per_round, loading, b)
    requests = max(5, s.calls)
    fetches = _fetches_per_request(emu, "vertex-openai", requests)
    return [
        adc.row(
            "LangChain model built per request + invoke (ADC)",
            1.2,
            note="A: ChatVertexOpenAI built per request on Application Default Credentials "
            "(a key file); B: ChatOpenAI built per request with a static api_key; "
            + adc.cpu_note(per="request"),
        ),
        load.row(
            "LangChain model built per request + invoke, credentials loaded per request",
            None,
            note="A also loads the service-account credentials per request "
            "(google-auth's from_service_account_info parses the RSA key each time); "
            + load.cpu_note(per="request"),
        ),
        Row(
            f"token fetches: {requests} requests, a model and credentials built per request",
            "fetches",
            float(fetches),
            kind="exact",
            target=1.0,
            note="counted in a fresh process",
            samples=1,
        ),
    ]


def bench_peer(emu: EmulatorProcess, s: Settings) -> list[Row]:
    """The same figures against ChatLiteLLM (LiteLLM's vertex_ai provider), on a partner model."""
    import peers

    if not peers.available():
        progress("peer: langchain-litellm is not installed (uv sync --group bench): skipped")
        return []
    model = peers.PARTNER_MODEL
    a_model = vertex_chat(emu, model=model)
    b_model = peers.litellm_chat(emu, TIMEOUT)
    rows = _sequential(
        emu,
        s,
        "peer: invoke, sequential, per call (B: ChatLiteLLM vertex_ai)",
        ("ChatVertexOpenAI.invoke", lambda: a_model.invoke(PROMPT)),
        ("ChatLiteLLM.invoke", lambda: b_model.invoke(PROMPT)),
        lambda message: message.content,
    )
    rows[0].kind, rows[0].target = "info", None

    credentials_json = json.dumps(emu.service_account_info)

    def a() -> Any:
        return vertex_chat(emu, credentials=ADC, model=model).invoke(PROMPT)

    def b() -> Any:
        return peers.litellm_chat(emu, TIMEOUT, credentials_json=ADC).invoke(PROMPT)

    with _adc(emu):
        for label, call in (("A", a), ("B", b)):
            _check(f"peer per request {label}", call().content)
        per_request = interleaved(emu, s.rounds, s.warmup, max(1, s.calls // 2), a, b)
    rows.append(
        per_request.row(
            "peer: model built per request + invoke, ADC (B: ChatLiteLLM)",
            None,
            note="both on Application Default Credentials (a key file); "
            + per_request.cpu_note(per="request"),
        )
    )
    credentials = emu.credentials()
    build = interleaved(
        emu,
        max(2, s.rounds // 2),
        s.warmup,
        s.constructions,
        lambda: vertex_chat(emu, credentials, model=model),
        lambda: peers.litellm_chat(emu, TIMEOUT, credentials_json),
    )
    rows.append(build.row("peer: model construction (B: ChatLiteLLM())", None))
    rows += _concurrent(
        emu, s, a_model, b_model, f"peer: {s.concurrency} concurrent ainvoke (B: ChatLiteLLM)"
    )
    requests = max(5, s.calls)
    fetches = _fetches_per_request(emu, "litellm", requests)
    rows.append(
        Row(
            f"peer: token fetches, {requests} requests, ChatLiteLLM built per request",
            "fetches",
            float(fetches),
            note="LiteLLM caches credentials and tokens by the credential it is given",
            samples=1,
        )
    )
    for row in rows:
        row.kind, row.target = "info", None
    return rows


BENCHMARKS: dict[str, Callable[[EmulatorProcess, Settings], list[Row]]] = {
    "invoke": bench_invoke,
    "concurrent": bench_concurrent,
    "llama": bench_llama,
    "stream": bench_stream,
    "imports": bench_imports,
    "construct": bench_construct,
    "tokens": bench_tokens,
    "per-request": bench_per_request,
    "peer": bench_peer,
}
