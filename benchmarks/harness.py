"""The A/B harness of the benchmarks: emulator process, timing, rounds, statistics, tables.

Nothing here knows which classes are compared (that is ``cases.py``): it serves the offline
emulator from a child process, runs two callables alternately in rounds, reduces the samples
to medians and per-round ratios, and renders the results as a text or Markdown table.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import importlib.metadata
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

PROJECT = "emulator-project"
LOCATION = "us-central1"
TOKEN_LIFETIME = 3600.0  # of the tokens the emulator issues, unless told otherwise

# A label (for error messages and profiles) and a call of one side.
Side = tuple[str, Callable[[], Any]]


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


# ------------------------------------------------------------------------------------------
# Tables


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


def _notes(rows: Sequence[Row], bullet: str) -> list[str]:
    """The rows' notes, one bullet each, after a blank line (nothing when no row has one)."""
    notes = [f"{bullet} {r.name}: {r.note}" for r in rows if r.note]
    return ["", *notes] if notes else []


HEADER = ["Benchmark", "vertex-openai (A)", "baseline (B)", "A/B", "target", "result"]


def text_table(rows: Sequence[Row]) -> str:
    table = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + _notes(rows, "*"))


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
    return "\n".join(out + _notes(rows, "-"))


# ------------------------------------------------------------------------------------------
# The machine and the interpreter


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


def progress(message: str) -> None:
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

    emulator = VertexEmulator(port=0, project=project, token_lifetime=TOKEN_LIFETIME)
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
# Timing and statistics


class Stopwatch:
    """Wall time and this process's CPU time (all threads) of the block in ``with``."""

    started: float  # perf_counter() on entry
    wall: float
    cpu: float
    _cpu_start: float

    def __enter__(self) -> Stopwatch:
        self._cpu_start = time.process_time()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self.started
        self.cpu = time.process_time() - self._cpu_start


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

    def cpu_note(self, per: str = "call", parts: int = 1, unit: Literal["ms", "µs"] = "ms") -> str:
        """Client CPU per ``per``: per sample, divided by the ``parts`` of one sample."""
        cpu_a = sum(self.cpu_a) / len(self.all_a) / parts
        cpu_b = sum(self.cpu_b) / len(self.all_b) / parts

        def show(seconds: float) -> str:
            return f"{seconds * 1e3:.2f} ms" if unit == "ms" else f"{seconds * 1e6:.0f} µs"

        return f"client CPU per {per} A {show(cpu_a)}, B {show(cpu_b)} ({cpu_a / cpu_b:.3f}x)"

    def row(self, name: str, target: float | None, note: str = "", **extra: Any) -> Row:
        """The row of timings: medians in ms, A/B the median per-round ratio."""
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


# ------------------------------------------------------------------------------------------
# Rounds


def settle(emu: EmulatorProcess) -> None:
    """Between rounds: empty the emulator's log; collect garbage outside timed code."""
    emu.clear()
    gc.collect()


def freeze_heap() -> None:
    """Move everything alive now out of the collector's way (a full collection of the
    LangChain + LlamaIndex heap takes ~0.2 s and would land in random timed calls)."""
    gc.collect()
    gc.freeze()


def timed_rounds(emu: EmulatorProcess, rounds: int, warmup: int) -> Iterator[bool]:
    """Freeze the heap, then ``warmup`` + ``rounds`` rounds, each after :func:`settle`:
    yields whether the round is timed (False for the warmup rounds)."""
    freeze_heap()
    for index in range(warmup + rounds):
        settle(emu)
        yield index >= warmup


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
    for timed in timed_rounds(emu, rounds, warmup):
        samples: tuple[list[float], list[float]] = ([], [])
        cpu = [0.0, 0.0]
        for _ in range(per_round):
            for side, call in enumerate((call_a, call_b)):
                with Stopwatch() as watch:
                    call()
                cpu[side] += watch.cpu
                samples[side].append(watch.wall)
        if timed:
            result.add_round(samples[0], samples[1], cpu[0], cpu[1])
    return result


def profile(count: int, *sides: Side) -> None:
    """pyinstrument profile of ``count`` calls of each side, printed to stderr (``--profile``)."""
    from pyinstrument import Profiler

    for label, call in sides:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(count):
            call()
        profiler.stop()
        print(f"\n===== profile: {label} ({count} calls) =====", file=sys.stderr)
        print(profiler.output_text(unicode=True, color=False), file=sys.stderr)
