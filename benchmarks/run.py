"""vertex-openai against the plain OpenAI-compatible adapters, side by side, on the emulator.

Run ``uv run python benchmarks/run.py`` (``--help`` for the flags). The offline emulator runs
in a separate process (so its HTTP server does not share the benchmark's GIL) on a free
loopback port; both sides talk to it over the same loopback HTTP, with the same model, the same
openai client defaults (timeouts, retries, pool limits) and reused clients:

* A: this package (``ChatVertexOpenAI`` / ``VertexOpenAILike``) with google-auth service-account
  credentials refreshing against the emulator's token endpoint (the token is fetched during
  warmup, so the timed calls measure signing, not fetching);
* B: ``ChatOpenAI`` / ``OpenAILike`` with ``base_url`` set to the same emulator endpoint and a
  static emulator token as ``api_key``.

Every comparison alternates A and B in rounds (A B A B ..., after untimed warmup) and reports
medians, the A/B ratio, its target and PASS/FAIL. Token fetches per rotation are counted by
the emulator (token endpoint hits) and checked against ``TokenSource.fetch_count``.
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
ANSWER = f"You said: {PROMPT}"
A_LABEL = "vertex-openai"
B_LABEL = "baseline"

# google-auth's refresh threshold is 3 min 45 s: a token living less than that is "stale" (still
# valid, refreshed in the background) from the moment it is issued.
STALE_LIFETIME = 200.0
SHORT_LIFETIME = 2.0
NORMAL_LIFETIME = 3600.0


# ------------------------------------------------------------------------------------------
# Settings and results


@dataclass(frozen=True)
class Settings:
    """How much of everything to run."""

    rounds: int
    warmup: int
    calls: int  # timed sequential calls per side per round
    concurrency: int
    concurrent_rounds: int
    stream_words: int
    constructions: int  # per side per round
    import_rounds: int
    import_warmup: int
    token_callers: tuple[int, ...]

    @classmethod
    def default(cls, rounds: int | None) -> Settings:
        r = rounds or 15
        return cls(
            rounds=r,
            warmup=2,
            calls=15,
            concurrency=200,
            concurrent_rounds=max(3, r // 2),
            stream_words=200,
            constructions=10,
            import_rounds=max(3, r // 3),
            import_warmup=1,
            token_callers=(1, 64, 512),
        )

    @classmethod
    def quick(cls, rounds: int | None) -> Settings:
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
        )


Kind = Literal["ratio", "exact", "info"]


@dataclass
class Row:
    """One line of the table. ``a`` is vertex-openai's figure, ``b`` the baseline's."""

    name: str
    unit: str
    a: float
    b: float | None = None
    kind: Kind = "info"
    target: float | None = None  # max A/B ratio ("ratio"), or the exact value ("exact")
    higher_is_better: bool = False
    note: str = ""
    samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.b is None or self.b == 0:
            return None
        return self.a / self.b

    @property
    def verdict(self) -> str:
        if self.kind == "exact":
            return "PASS" if self.a == self.target else "FAIL"
        if self.kind == "ratio" and self.target is not None and self.ratio is not None:
            return "PASS" if self.ratio <= self.target else "FAIL"
        return "-"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["verdict"] = self.verdict
        return data


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "chunks/s":
        return f"{value:,.0f}/s"
    if unit == "fetches":
        return f"{value:g}"
    return f"{value:g} {unit}"


def _target_text(row: Row) -> str:
    if row.kind == "exact" and row.target is not None:
        return f"= {row.target:g}"
    if row.kind == "ratio" and row.target is not None:
        return f"≤ {row.target:.2f}x"
    return "-"


def _cells(row: Row) -> list[str]:
    ratio = row.ratio
    return [
        row.name,
        _fmt(row.a, row.unit),
        _fmt(row.b, row.unit),
        "-" if ratio is None else f"{ratio:.3f}x",
        _target_text(row),
        row.verdict,
    ]


HEADER = ["Benchmark", "vertex-openai (A)", "baseline (B)", "A/B", "target", "result"]


def text_table(rows: Sequence[Row]) -> str:
    table = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: Sequence[Row], machine: dict[str, str], settings: Settings) -> str:
    out = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, load average {machine['load']} "
        f"at start; Python {machine['python']}; openai {machine['openai']}, "
        f"langchain-openai {machine['langchain-openai']}, "
        f"llama-index-core {machine['llama-index-core']}, "
        f"llama-index-llms-openai-like {machine['llama-index-llms-openai-like']}; "
        f"{machine['date']}. Rounds: {settings.rounds} (concurrency {settings.concurrency}, "
        f"{settings.concurrent_rounds} rounds; imports {settings.import_rounds} rounds).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---", "---:", "---:", "---:", "---:", ":---:"]) + "|",
    ]
    out += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or "?"),
        "load": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
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


def _median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000.0


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
            elif command == "requests":
                conn.send(len(emulator.requests))
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
        if not self._conn.poll(60):
            self._process.kill()
            raise RuntimeError("the emulator process did not start within 60 s")
        hello: dict[str, Any] = self._conn.recv()
        self.url: str = hello["url"]
        self.base_url: str = hello["base_url"]
        self.service_account_info: dict[str, str] = hello["service_account_info"]
        self.static_token: str = hello["token"]

    def _call(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def clear(self) -> None:
        """Forget recorded requests (the emulator's log grows with every request)."""
        self._call("clear")

    def token_requests(self) -> int:
        return int(self._call("token_requests"))

    def requests(self) -> int:
        return int(self._call("requests"))

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
        with contextlib.suppress(EOFError, OSError, BrokenPipeError):
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
    )


def openai_chat(emu: EmulatorProcess) -> ChatOpenAI:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=FULL_MODEL,
        base_url=emu.base_url,
        api_key=emu.static_token,  # type: ignore[arg-type]
        stream_usage=True,
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


def alternate(
    emu: EmulatorProcess,
    rounds: int,
    warmup: int,
    run_a: Callable[[], list[float]],
    run_b: Callable[[], list[float]],
) -> tuple[list[float], list[float]]:
    """A B A B ...: ``warmup`` untimed rounds, then ``rounds`` rounds; samples of each side."""
    a: list[float] = []
    b: list[float] = []
    for index in range(warmup + rounds):
        emu.clear()
        gc.collect()
        samples_a = run_a()
        gc.collect()
        samples_b = run_b()
        if index >= warmup:
            a += samples_a
            b += samples_b
    return a, b


def timed_calls(call: Callable[[], Any], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def bench_invoke(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    _check("ChatVertexOpenAI.invoke", a_model.invoke(PROMPT).content)
    _check("ChatOpenAI.invoke", b_model.invoke(PROMPT).content)
    a, b = alternate(
        emu,
        s.rounds,
        s.warmup,
        lambda: timed_calls(lambda: a_model.invoke(PROMPT), s.calls),
        lambda: timed_calls(lambda: b_model.invoke(PROMPT), s.calls),
    )
    return [
        Row(
            "LangChain invoke, sequential (per call)",
            "ms",
            _median_ms(a),
            _median_ms(b),
            kind="ratio",
            target=1.03,
            samples=len(a),
        )
    ]


def bench_concurrent(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    n = s.concurrency

    async def batch(model: ChatVertexOpenAI | ChatOpenAI) -> float:
        start = time.perf_counter()
        results = await asyncio.gather(*(model.ainvoke(PROMPT) for _ in range(n)))
        elapsed = time.perf_counter() - start
        for message in results:
            _check(type(model).__name__ + ".ainvoke", message.content)
        return elapsed

    async def main() -> tuple[list[float], list[float]]:
        a: list[float] = []
        b: list[float] = []
        for index in range(s.warmup + s.concurrent_rounds):
            emu.clear()
            gc.collect()
            wall_a = await batch(a_model)
            gc.collect()
            wall_b = await batch(b_model)
            if index >= s.warmup:
                a.append(wall_a)
                b.append(wall_b)
        return a, b

    a, b = asyncio.run(main())
    return [
        Row(
            f"LangChain {n} concurrent ainvoke (wall time)",
            "ms",
            _median_ms(a),
            _median_ms(b),
            kind="ratio",
            target=1.05,
            samples=len(a),
        )
    ]


def bench_llama(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_llm(emu), openai_like_llm(emu)
    _check("VertexOpenAILike.complete", a_model.complete(PROMPT).text)
    _check("OpenAILike.complete", b_model.complete(PROMPT).text)
    a, b = alternate(
        emu,
        s.rounds,
        s.warmup,
        lambda: timed_calls(lambda: a_model.complete(PROMPT), s.calls),
        lambda: timed_calls(lambda: b_model.complete(PROMPT), s.calls),
    )
    return [
        Row(
            "LlamaIndex complete, sequential (per call)",
            "ms",
            _median_ms(a),
            _median_ms(b),
            kind="ratio",
            target=1.03,
            samples=len(a),
        )
    ]


def bench_stream(emu: EmulatorProcess, s: Settings) -> list[Row]:
    a_model, b_model = vertex_chat(emu), openai_chat(emu)
    prompt = " ".join(f"word{i}" for i in range(s.stream_words))
    expected = f"You said: {prompt}"

    def one(model: ChatVertexOpenAI | ChatOpenAI) -> tuple[float, float]:
        """(time to first chunk, chunks per second after the first)."""
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
        _check(type(model).__name__ + ".stream", "".join(text), expected)
        rate = (count - 1) / (last - first) if count > 1 and last > first else 0.0
        return first - start, rate

    ttfc_a: list[float] = []
    ttfc_b: list[float] = []
    rate_a: list[float] = []
    rate_b: list[float] = []
    for index in range(s.warmup + s.rounds):
        emu.clear()
        gc.collect()
        first_a, chunks_a = one(a_model)
        gc.collect()
        first_b, chunks_b = one(b_model)
        if index >= s.warmup:
            ttfc_a.append(first_a)
            ttfc_b.append(first_b)
            rate_a.append(chunks_a)
            rate_b.append(chunks_b)
    note = f"a {s.stream_words}-word answer, about {s.stream_words + 4} chunks"
    return [
        Row(
            "LangChain stream: time to first chunk",
            "ms",
            _median_ms(ttfc_a),
            _median_ms(ttfc_b),
            samples=len(ttfc_a),
        ),
        Row(
            "LangChain stream: chunks per second",
            "chunks/s",
            statistics.median(rate_a),
            statistics.median(rate_b),
            higher_is_better=True,
            note=note,
            samples=len(rate_a),
        ),
    ]


def _bytecode_cache_dir() -> str:
    return str(Path(tempfile.gettempdir()) / "vertex-openai-bench-pycache")


def use_bytecode_cache() -> None:
    """Where bytecode writing is off (PYTHONDONTWRITEBYTECODE, -B), cache it privately.

    Otherwise every interpreter of the run (this one, the emulator's, the import samples)
    would compile LangChain, LlamaIndex and openai from source: slow, and not what users see.
    Nothing is written next to the sources; the cache lives in the temp directory.
    """
    if sys.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE"):
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ.setdefault("PYTHONPYCACHEPREFIX", _bytecode_cache_dir())
        sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
        sys.dont_write_bytecode = False


def _import_time(module: str) -> float:
    code = (
        "import time; start = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - start)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def bench_imports(emu: EmulatorProcess, s: Settings) -> list[Row]:
    rows = []
    pairs = (
        ("vertex_openai.langchain", "langchain_openai", 1.10),
        ("vertex_openai", "openai", None),
    )
    for module_a, module_b, target in pairs:
        a, b = alternate(
            emu,
            s.import_rounds,
            s.import_warmup,
            lambda m=module_a: [_import_time(m)],  # type: ignore[misc]
            lambda m=module_b: [_import_time(m)],  # type: ignore[misc]
        )
        rows.append(
            Row(
                f"import {module_a} (B: {module_b})",
                "ms",
                _median_ms(a),
                _median_ms(b),
                kind="ratio" if target else "info",
                target=target,
                samples=len(a),
                note="a fresh interpreter per sample (bytecode cached), timed around the import",
            )
        )
    return rows


def bench_construct(emu: EmulatorProcess, s: Settings) -> list[Row]:
    credentials = emu.credentials()
    _check("construction", vertex_chat(emu, credentials).invoke(PROMPT).content)
    keep: list[Any] = []  # not collected inside the timed loop

    def build(factory: Callable[[], Any]) -> list[float]:
        samples = []
        for _ in range(s.constructions):
            start = time.perf_counter()
            model = factory()
            samples.append(time.perf_counter() - start)
            keep.append(model)
        keep.clear()
        return samples

    a, b = alternate(
        emu,
        s.rounds,
        s.warmup,
        lambda: build(lambda: vertex_chat(emu, credentials)),
        lambda: build(lambda: openai_chat(emu)),
    )
    return [
        Row(
            "LangChain model construction",
            "ms",
            _median_ms(a),
            _median_ms(b),
            kind="ratio",
            target=1.3,
            samples=len(a),
            note="A with one google-auth credentials object reused; B with a static api_key",
        )
    ]


async def _rotation(
    emu: EmulatorProcess, scenario: str, callers: int
) -> tuple[int, int, int, float]:
    """(token endpoint hits, TokenSource.fetch_count, 200 answers, seconds) for one rotation."""
    model = vertex_chat(emu)
    source = model.connection.token_source
    if scenario != "cold":
        # A first token that will be stale (valid, < 3 min 45 s left) or soon expired.
        emu.set_token_lifetime(STALE_LIFETIME if scenario == "stale" else SHORT_LIFETIME)
        _check("rotation warmup", (await model.ainvoke(PROMPT)).content)
    emu.set_token_lifetime(NORMAL_LIFETIME)
    if scenario == "expired":
        await asyncio.sleep(SHORT_LIFETIME + 0.3)
    emu.clear()
    fetches_before = source.fetch_count
    start = time.perf_counter()
    results = await asyncio.gather(*(model.ainvoke(PROMPT) for _ in range(callers)))
    elapsed = time.perf_counter() - start
    ok = sum(1 for message in results if message.content == ANSWER)
    # A stale token is refreshed in the background: let that refresh land before counting.
    deadline = time.monotonic() + 10
    while scenario == "stale" and source.fetch_count == fetches_before:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    return emu.token_requests(), source.fetch_count - fetches_before, ok, elapsed


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
                note = f"{ok}/{callers} answers ok; TokenSource.fetch_count {fetches}"
            rows.append(
                Row(
                    f"token fetches, {callers} concurrent ainvoke, {description}",
                    "fetches",
                    float(hits),
                    kind="exact",
                    target=1.0,
                    note=note,
                    extra={"fetch_count": fetches, "answers_ok": ok, "seconds": elapsed},
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
    parser.add_argument("--rounds", type=int, default=None, help="timed A/B rounds (default 15)")
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run (smoke test; figures meaningless)"
    )
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write results as JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="print a Markdown table with machine details"
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_bytecode_cache()
    settings = Settings.quick(args.rounds) if args.quick else Settings.default(args.rounds)
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
