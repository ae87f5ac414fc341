"""vertex-openai against the plain OpenAI-compatible adapters, side by side, on the emulator.

Run ``uv run python benchmarks/run.py`` (``--help`` for the flags). The offline emulator runs
in a separate process (its HTTP server does not share this process's GIL) on a free loopback
port. Both sides talk to it over the same loopback HTTP, with the same model, the same openai
client defaults (timeouts, retries, pool limits), ``stream_usage=True`` and reused clients:

* A: this package (``ChatVertexOpenAI`` / ``VertexOpenAILike``) with google-auth
  service-account credentials refreshing against the emulator's token endpoint (the token is
  fetched during warmup: timed calls measure signing, not fetching);
* B: ``ChatOpenAI`` / ``OpenAILike`` with ``base_url`` / ``api_base`` set to the same emulator
  endpoint and a static emulator token as ``api_key``.

A and B alternate (A B A B ..., call by call within a round, after untimed warmup rounds;
import samples go A B, B A, ...).
Reported: medians of each side, A/B = the median of the per-round ratios (robust to load
drifting during the run), the target and PASS/FAIL; notes give the client process's CPU per
call, which excludes the emulator and is the steadier figure on a busy machine. Token fetches
per rotation are counted at the emulator's token endpoint and checked against
``TokenSource.fetch_count``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gc
import importlib.metadata
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI
    from llama_index.llms.openai_like import OpenAILike

    from vertex_openai.langchain import ChatVertexOpenAI
    from vertex_openai.llama_index import VertexOpenAILike

PROJECT = "emulator-project"
LOCATION = "us-central1"
MODEL = "gemini-2.5-flash"
FULL_MODEL = f"google/{MODEL}"
PROMPT = "Why is the sky blue?"
# Both LangChain sides get the same timeout: ChatOpenAI's default (request_timeout=None) is no
# timeout at all, ChatVertexOpenAI's the openai SDK's 600 s; with a timeout, every socket
# operation of the async transport arms a timer, which costs a few percent of CPU at 200
# concurrent calls.
TIMEOUT = 600.0
ANSWER = f"You said: {PROMPT}"

# google-auth refreshes 3 min 45 s before expiry: a token living less than that is "stale"
# (valid, refreshed in the background) from the moment it is issued.
STALE_LIFETIME = 200.0
SHORT_LIFETIME = 1.0
NORMAL_LIFETIME = 3600.0


# ------------------------------------------------------------------------------------------
# Settings and results


@dataclass(frozen=True)
class Settings:
    """How much of everything to run."""

    rounds: int
    warmup: int  # untimed rounds before the timed ones
    calls: int  # timed calls per side per round (sequential benchmarks)
    concurrency: int
    concurrent_rounds: int
    stream_words: int
    constructions: int  # per side per round
    import_rounds: int
    import_warmup: int
    token_callers: tuple[int, ...]
    profile: bool = False

    @classmethod
    def default(cls, rounds: int | None, profile: bool) -> Settings:
        r = rounds or 20
        return cls(
            rounds=r,
            warmup=2,
            calls=20,
            concurrency=200,
            concurrent_rounds=max(3, r // 2),
            stream_words=200,
            constructions=10,
            import_rounds=max(3, r // 5),
            import_warmup=1,
            token_callers=(1, 64, 512),
            profile=profile,
        )

    @classmethod
    def quick(cls, rounds: int | None, profile: bool) -> Settings:
        r = rounds or 2
        return cls(
            rounds=r,
            warmup=1,
            calls=3,
            concurrency=10,
            concurrent_rounds=r,
            stream_words=10,
            constructions=2,
            import_rounds=1,
            import_warmup=0,
            token_callers=(1, 8),
            profile=profile,
        )


Kind = Literal["ratio", "exact", "info"]


@dataclass
class Row:
    """One line of the table: ``a`` is vertex-openai's figure, ``b`` the baseline's."""

    name: str
    unit: str
    a: float
    b: float | None = None
    ratio: float | None = None  # A/B; computed from a and b when not given
    kind: Kind = "info"
    target: float | None = None  # the largest A/B ("ratio"), or the exact value ("exact")
    note: str = ""
    samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.b:
            self.ratio = self.a / self.b

    @property
    def verdict(self) -> str:
        if self.kind == "exact":
            return "PASS" if self.a == self.target else "FAIL"
        if self.kind == "ratio" and self.target is not None and self.ratio is not None:
            return "PASS" if self.ratio <= self.target else "FAIL"
        return "-"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "chunks/s":
        return f"{value:,.0f}/s"
    return f"{value:g}"


def _target_text(row: Row) -> str:
    if row.kind == "exact" and row.target is not None:
        return f"= {row.target:g}"
    if row.kind == "ratio" and row.target is not None:
        return f"≤ {row.target:.2f}x"
    return "-"


def _cells(row: Row) -> list[str]:
    return [
        row.name,
        _fmt(row.a, row.unit),
        _fmt(row.b, row.unit),
        "-" if row.ratio is None else f"{row.ratio:.3f}x",
        _target_text(row),
        row.verdict,
    ]


HEADER = ["Benchmark", "vertex-openai (A)", "baseline (B)", "A/B", "target", "result"]


def text_table(rows: Sequence[Row]) -> str:
    table = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"* {r.name}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def markdown_table(rows: Sequence[Row], machine: dict[str, str], settings: Settings) -> str:
    out = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores (load average "
        f"{machine['load']} at start), {machine['platform']}; Python {machine['python']}; "
        f"openai {machine['openai']}, langchain-openai {machine['langchain-openai']}, "
        f"langchain-core {machine['langchain-core']}, "
        f"llama-index-core {machine['llama-index-core']}, "
        f"llama-index-llms-openai-like {machine['llama-index-llms-openai-like']}; "
        f"{machine['date']}. {settings.rounds} rounds of {settings.calls} calls per side "
        f"(concurrency: {settings.concurrent_rounds} rounds; imports: "
        f"{settings.import_rounds} rounds).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    out += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["", *notes] if notes else []))


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or "?"),
        "load": load,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "openai": _version("openai"),
        "langchain-openai": _version("langchain-openai"),
        "langchain-core": _version("langchain-core"),
        "llama-index-core": _version("llama-index-core"),
        "llama-index-llms-openai-like": _version("llama-index-llms-openai-like"),
        "vertex-openai": _version("vertex-openai"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _bytecode_cache_dir() -> str:
    return str(Path(tempfile.gettempdir()) / "vertex-openai-bench-pycache")


def use_bytecode_cache() -> None:
    """Where writing bytecode is off (PYTHONDONTWRITEBYTECODE, -B), cache it privately.

    Otherwise every interpreter of the run (this one, the emulator's, each import sample)
    compiles LangChain, LlamaIndex and openai from source: slow, and not what users see.
    Nothing is written next to the sources: the cache is in the temp directory.
    """
    if sys.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE"):
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ.setdefault("PYTHONPYCACHEPREFIX", _bytecode_cache_dir())
        sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
        sys.dont_write_bytecode = False


# ------------------------------------------------------------------------------------------
# The emulator, in its own process


def _emulator_main(conn: Connection, project: str) -> None:
    """Child process: serve the emulator on a free port; answer control messages."""
    from vertex_openai.testing import VertexEmulator

    emulator = VertexEmulator(port=0, project=project, token_lifetime=NORMAL_LIFETIME)
    emulator.start()
    conn.send(
        {
            "url": emulator.url,
            "base_url": emulator.base_url(location=LOCATION),
            "service_account_info": emulator.service_account_info(),
            "token": emulator.issue_token(lifetime=24 * 3600.0),
        }
    )
    try:
        while True:
            try:
                command, argument = conn.recv()
            except EOFError:
                break
            if command == "stop":
                conn.send(None)
                break
            if command == "clear":
                emulator.clear_log()
                conn.send(None)
            elif command == "token_requests":
                conn.send(len(emulator.token_requests))
            elif command == "token_lifetime":
                emulator.token_lifetime = float(argument)
                conn.send(None)
            else:
                conn.send(f"unknown command {command!r}")
    finally:
        emulator.stop()


class EmulatorProcess:
    """The emulator served by a child process, controlled through a pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_emulator_main, args=(child, PROJECT), name="vertex-emulator", daemon=True
        )
        self._process.start()
        child.close()
        if not self._conn.poll(120):
            self._process.kill()
            raise RuntimeError("the emulator process did not start within 120 s")
        hello: dict[str, Any] = self._conn.recv()
        self.url: str = hello["url"]
        self.base_url: str = hello["base_url"]
        self.service_account_info: dict[str, str] = hello["service_account_info"]
        self.static_token: str = hello["token"]

    def _call(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def clear(self) -> None:
        """Forget recorded requests (the emulator's request log grows with every call)."""
        self._call("clear")

    def token_requests(self) -> int:
        return int(self._call("token_requests"))

    def set_token_lifetime(self, seconds: float) -> None:
        self._call("token_lifetime", seconds)

    def credentials(self) -> Any:
        """Fresh service-account credentials (no token yet) refreshing against the emulator."""
        from google.oauth2 import service_account

        from vertex_openai import CLOUD_PLATFORM_SCOPE

        return service_account.Credentials.from_service_account_info(
            self.service_account_info, scopes=[CLOUD_PLATFORM_SCOPE]
        )

    def stop(self) -> None:
        with contextlib.suppress(EOFError, OSError):
            self._call("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._conn.close()


# ------------------------------------------------------------------------------------------
# Models


def vertex_chat(emu: EmulatorProcess, credentials: Any = None) -> ChatVertexOpenAI:
    from vertex_openai.langchain import ChatVertexOpenAI

    return ChatVertexOpenAI(
        model=MODEL,
        project=PROJECT,
        location=LOCATION,
        api_endpoint=emu.url,
        credentials=credentials if credentials is not None else emu.credentials(),
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
# A/B harness


@dataclass
class Paired:
    """Timed samples of both sides, per round (seconds), and the client's CPU seconds."""

    a: list[list[float]] = field(default_factory=list)
    b: list[list[float]] = field(default_factory=list)
    cpu_a: list[float] = field(default_factory=list)
    cpu_b: list[float] = field(default_factory=list)

    def add_round(self, a: list[float], b: list[float], cpu_a: float, cpu_b: float) -> None:
        self.a.append(a)
        self.b.append(b)
        self.cpu_a.append(cpu_a)
        self.cpu_b.append(cpu_b)

    @property
    def all_a(self) -> list[float]:
        return [x for r in self.a for x in r]

    @property
    def all_b(self) -> list[float]:
        return [x for r in self.b for x in r]

    def ratio(self) -> float:
        """Median over rounds of (median A / median B) within the round."""
        return statistics.median(
            statistics.median(a) / statistics.median(b) for a, b in zip(self.a, self.b, strict=True)
        )

    def cpu_note(self, per: str = "call") -> str:
        n_a, n_b = len(self.all_a), len(self.all_b)
        cpu_a, cpu_b = sum(self.cpu_a) / n_a, sum(self.cpu_b) / n_b
        return (
            f"client CPU per {per} A {cpu_a * 1e3:.2f} ms, B {cpu_b * 1e3:.2f} ms "
            f"({cpu_a / cpu_b:.3f}x)"
        )

    def row(self, name: str, target: float | None, note: str = "", **extra: Any) -> Row:
        return Row(
            name,
            "ms",
            statistics.median(self.all_a) * 1e3,
            statistics.median(self.all_b) * 1e3,
            ratio=self.ratio(),
            kind="ratio" if target is not None else "info",
            target=target,
            note=note,
            samples=len(self.all_a),
            extra={
                "a_ms": [x * 1e3 for x in self.all_a],
                "b_ms": [x * 1e3 for x in self.all_b],
                "cpu_a_s": sum(self.cpu_a),
                "cpu_b_s": sum(self.cpu_b),
                **extra,
            },
        )


def settle(emu: EmulatorProcess) -> None:
    """Between rounds: empty the emulator's log; collect garbage outside timed code."""
    emu.clear()
    gc.collect()


def freeze_heap() -> None:
    """Move everything alive now out of the collector's way (a full collection of the
    LangChain + LlamaIndex heap takes ~0.2 s and would land in random timed calls)."""
    gc.collect()
    gc.freeze()


def interleaved(
    emu: EmulatorProcess,
    rounds: int,
    warmup: int,
    per_round: int,
    call_a: Callable[[], Any],
    call_b: Callable[[], Any],
) -> Paired:
    """``warmup`` + ``rounds`` rounds; in each, ``per_round`` calls per side, A B A B ..."""
    result = Paired()
    freeze_heap()
    for index in range(warmup + rounds):
        settle(emu)
        samples: tuple[list[float], list[float]] = ([], [])
        cpu = [0.0, 0.0]
        for _ in range(per_round):
            for side, call in enumerate((call_a, call_b)):
                c0 = time.process_time()
                t0 = time.perf_counter()
                call()
                t1 = time.perf_counter()
                cpu[side] += time.process_time() - c0
                samples[side].append(t1 - t0)
        if index >= warmup:
            result.add_round(samples[0], samples[1], cpu[0], cpu[1])
    return result


def profile(label: str, call: Callable[[], Any], count: int) -> None:
    """pyinstrument profile of ``count`` calls, printed to stderr (``--profile``)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        call()
    profiler.stop()
    print(f"\n===== profile: {label} ({count} calls) =====", file=sys.stderr)
    print(profiler.output_text(unicode=True, color=False), file=sys.stderr)


# ------------------------------------------------------------------------------------------
# Benchmarks


def bench_invoke(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    _check("ChatVertexOpenAI.invoke", a_model.invoke(PROMPT).content)
    _check("ChatOpenAI.invoke", b_model.invoke(PROMPT).content)
    paired = interleaved(
        emu,
        s.rounds,
        s.warmup,
        s.calls,
        lambda: a_model.invoke(PROMPT),
        lambda: b_model.invoke(PROMPT),
    )
    if s.profile:
        profile("ChatVertexOpenAI.invoke", lambda: a_model.invoke(PROMPT), 200)
        profile("ChatOpenAI.invoke", lambda: b_model.invoke(PROMPT), 200)
    return [
        paired.row("LangChain invoke, sequential, per call", 1.03, note=paired.cpu_note()),
    ]


def bench_concurrent(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    n = s.concurrency

    async def batch(model: ChatVertexOpenAI | ChatOpenAI) -> tuple[float, float]:
        c0 = time.process_time()
        t0 = time.perf_counter()
        results = await asyncio.gather(*(model.ainvoke(PROMPT) for _ in range(n)))
        t1 = time.perf_counter()
        cpu = time.process_time() - c0
        for message in results:
            _check(f"{type(model).__name__}.ainvoke", message.content)
        return t1 - t0, cpu

    async def run() -> Paired:
        paired = Paired()
        # Warm up, and never the same model twice in a row: with httpx against a
        # thread-per-connection server (the emulator's, or a bare http.server), a client's
        # second 200-call batch, and a batch right after one of the same client, can stall for
        # ~5 s, on either side (not an adapter effect; these batches stay out of the figures).
        await batch(a_model)  # connections, token
        await batch(b_model)
        freeze_heap()
        for index in range(s.warmup + s.concurrent_rounds):
            settle(emu)
            wall_a, cpu_a = await batch(a_model)
            settle(emu)
            wall_b, cpu_b = await batch(b_model)
            if index >= s.warmup:
                paired.add_round([wall_a], [wall_b], cpu_a, cpu_b)
        return paired

    paired = asyncio.run(run())
    return [
        paired.row(
            f"LangChain {n} concurrent ainvoke, wall time",
            1.05,
            note=paired.cpu_note(per=f"batch of {n}"),
        )
    ]


def bench_llama(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_llm(emu), openai_like_llm(emu)
    _check("VertexOpenAILike.complete", a_model.complete(PROMPT).text)
    _check("OpenAILike.complete", b_model.complete(PROMPT).text)
    paired = interleaved(
        emu,
        s.rounds,
        s.warmup,
        s.calls,
        lambda: a_model.complete(PROMPT),
        lambda: b_model.complete(PROMPT),
    )
    if s.profile:
        profile("VertexOpenAILike.complete", lambda: a_model.complete(PROMPT), 200)
        profile("OpenAILike.complete", lambda: b_model.complete(PROMPT), 200)
    return [
        paired.row("LlamaIndex complete, sequential, per call", 1.03, note=paired.cpu_note()),
    ]


def bench_stream(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    prompt = " ".join(f"word{i}" for i in range(s.stream_words))
    expected = f"You said: {prompt}"

    def one(model: ChatVertexOpenAI | ChatOpenAI) -> tuple[float, float, float, int]:
        """(time to first chunk, chunks per second after the first, CPU seconds, chunks)."""
        c0 = time.process_time()
        start = time.perf_counter()
        first = last = 0.0
        count = 0
        text: list[str] = []
        for chunk in model.stream(prompt):
            now = time.perf_counter()
            if count == 0:
                first = now
            last = now
            count += 1
            text.append(chunk.text)
        cpu = time.process_time() - c0
        _check(f"{type(model).__name__}.stream", "".join(text), expected)
        rate = (count - 1) / (last - first) if count > 1 and last > first else 0.0
        return first - start, rate, cpu, count

    one(a_model)
    one(b_model)
    first = Paired()
    rates = Paired()
    per_round = max(1, s.calls // 5)
    chunks = 0
    freeze_heap()
    for index in range(s.warmup + s.rounds):
        settle(emu)
        sides: list[list[tuple[float, float, float, int]]] = [[], []]
        for _ in range(per_round):
            sides[0].append(one(a_model))
            sides[1].append(one(b_model))
        if index >= s.warmup:
            a, b = sides
            first.add_round([x[0] for x in a], [x[0] for x in b], 0.0, 0.0)
            cpu_a, cpu_b = sum(x[2] for x in a), sum(x[2] for x in b)
            rates.add_round([x[1] for x in a], [x[1] for x in b], cpu_a, cpu_b)
            chunks = a[0][3]
    n = len(rates.all_a)
    cpu_a = sum(rates.cpu_a) / n / chunks * 1e6
    cpu_b = sum(rates.cpu_b) / n / chunks * 1e6
    return [
        first.row("LangChain stream: time to first chunk", None),
        Row(
            "LangChain stream: chunks per second",
            "chunks/s",
            statistics.median(rates.all_a),
            statistics.median(rates.all_b),
            ratio=rates.ratio(),
            note=(
                f"{chunks} chunks per answer; A/B above 1 is faster; client CPU per chunk "
                f"A {cpu_a:.0f} µs, B {cpu_b:.0f} µs ({cpu_a / cpu_b:.3f}x)"
            ),
            samples=n,
            extra={"a": rates.all_a, "b": rates.all_b},
        ),
    ]


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


def bench_construct(emu: EmulatorProcess, s: Settings) -> list[Row]:
    credentials = emu.credentials()
    _check("construction", vertex_chat(emu, credentials).invoke(PROMPT).content)
    keep: list[Any] = []

    def build(factory: Callable[[], Any]) -> Callable[[], None]:
        return lambda: keep.append(factory())

    paired = interleaved(
        emu,
        max(2, s.rounds // 2),
        s.warmup,
        s.constructions,
        build(lambda: vertex_chat(emu, credentials)),
        build(lambda: openai_chat(emu)),
    )
    keep.clear()
    if s.profile:
        profile("ChatVertexOpenAI()", lambda: vertex_chat(emu, credentials), 50)
        profile("ChatOpenAI()", lambda: openai_chat(emu), 50)
    return [
        paired.row(
            "LangChain model construction",
            1.3,
            note="A: one google-auth credentials object, reused; B: a static api_key",
        )
    ]


async def _rotation(
    emu: EmulatorProcess, scenario: str, callers: int
) -> tuple[int, int, int, float]:
    """(token endpoint hits, TokenSource.fetch_count, right answers, seconds)."""
    model = vertex_chat(emu)
    source = model.connection.token_source
    if scenario != "cold":
        # A first token that is stale from the start, or expires in a second.
        emu.set_token_lifetime(STALE_LIFETIME if scenario == "stale" else SHORT_LIFETIME)
        _check("rotation warmup", (await model.ainvoke(PROMPT)).content)
    emu.set_token_lifetime(NORMAL_LIFETIME)
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


BENCHMARKS: dict[str, Callable[[EmulatorProcess, Settings], list[Row]]] = {
    "invoke": bench_invoke,
    "concurrent": bench_concurrent,
    "llama": bench_llama,
    "stream": bench_stream,
    "imports": bench_imports,
    "construct": bench_construct,
    "tokens": bench_tokens,
}


# ------------------------------------------------------------------------------------------
# Main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark vertex-openai against ChatOpenAI / OpenAILike on the emulator."
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="timed A/B rounds (default 20; --quick: 2)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run (smoke test: the figures mean nothing)"
    )
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="print a Markdown table with machine details"
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        choices=sorted(BENCHMARKS),
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print pyinstrument profiles of both sides (invoke, llama, construct)",
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_bytecode_cache()
    make = Settings.quick if args.quick else Settings.default
    settings = make(args.rounds, args.profile)
    machine = machine_info()
    names = args.only or list(BENCHMARKS)
    started = time.perf_counter()
    _progress(f"starting the emulator process ({machine['cores']} cores, load {machine['load']})")
    emu = EmulatorProcess()
    rows: list[Row] = []
    try:
        for name in names:
            t0 = time.perf_counter()
            rows += BENCHMARKS[name](emu, settings)
            _progress(f"{name}: {time.perf_counter() - t0:.1f} s")
    finally:
        emu.stop()
    total = time.perf_counter() - started
    _progress(f"total {total:.1f} s")
    if args.markdown:
        print(markdown_table(rows, machine, settings))
    else:
        print(text_table(rows))
    if args.json is not None:
        payload = {
            "machine": machine,
            "settings": asdict(settings),
            "seconds": total,
            "results": [row.as_json() for row in rows],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
