"""What ``vertex-openai proxy`` adds: the same openai SDK call through the proxy (A) and
straight to the emulator (B), side by side.

* A: ``openai.OpenAI(base_url=<proxy>/v1)``, the proxy running as ``vertex-openai proxy`` in
  its own process (as users run it), signing with google-auth service-account credentials
  refreshing against the emulator (the token is fetched during warmup);
* B: ``openai.OpenAI(base_url=<emulator's openapi URL>)`` with a static emulator token.

Same emulator process, same model, same prompt, same client defaults. Reported: the
sequential unary call (A, B, and what the proxy adds per call) and a stream's time to first
chunk. There is no target: the figures say what one extra local hop costs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness import (
    LOCATION,
    PROJECT,
    EmulatorProcess,
    Paired,
    Row,
    Settings,
    interleaved,
    timed_rounds,
)

MODEL = "gemini-2.5-flash"
PROMPT = "Why is the sky blue?"
ANSWER = f"You said: {PROMPT}"
SCRIPT = Path(sys.executable).with_name("vertex-openai")


@contextlib.contextmanager
def proxy_process(emu: EmulatorProcess) -> Iterator[str]:
    """``vertex-openai proxy --port 0`` aimed at the emulator; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="vertex-openai-bench-proxy-") as tmp:
        key = Path(tmp) / "sa.json"
        key.write_text(json.dumps(emu.service_account_info))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GOOGLE_", "GCLOUD_", "OPENAI_"))
        }
        env.update(GOOGLE_APPLICATION_CREDENTIALS=str(key), NO_GCE_CHECK="true")
        command = [str(SCRIPT), "proxy", "--port", "0", "--api-endpoint", emu.url]
        command += ["--project", PROJECT, "--location", LOCATION]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            assert process.stdout is not None
            base_url = None
            deadline = time.monotonic() + 120
            while base_url is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                if line.startswith("OPENAI_BASE_URL="):
                    base_url = line.split("=", 1)[1].strip()
            if base_url is None:
                process.kill()
                raise RuntimeError(f"the proxy did not start: {process.communicate()[1]}")
            yield base_url
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=30)


def _check(label: str, content: Any, expected: str = ANSWER) -> None:
    if content != expected:
        raise RuntimeError(f"{label}: unexpected answer {content!r} (expected {expected!r})")


def bench_proxy(emu: EmulatorProcess, s: Settings) -> list[Row]:
    import openai

    with proxy_process(emu) as proxy_url:
        through = openai.OpenAI(base_url=proxy_url, api_key="unused")
        direct = openai.OpenAI(base_url=emu.base_url, api_key=emu.static_token)
        sides = ((through, MODEL), (direct, f"google/{MODEL}"))
        messages: Any = [{"role": "user", "content": PROMPT}]

        def unary(side: int) -> Any:
            client, model = sides[side]
            answer = client.chat.completions.create(model=model, messages=messages)
            return answer.choices[0].message.content

        for side in (0, 1):
            _check(("proxy", "direct")[side], unary(side))
        calls = interleaved(emu, s.rounds, s.warmup, s.calls, lambda: unary(0), lambda: unary(1))

        words = " ".join(f"word{i}" for i in range(s.stream_words))
        stream_messages: Any = [{"role": "user", "content": words}]

        def first_chunk(side: int) -> float:
            client, model = sides[side]
            started = time.perf_counter()
            first = None
            text = []
            for chunk in client.chat.completions.create(
                model=model, messages=stream_messages, stream=True
            ):
                for choice in chunk.choices:
                    if choice.delta.content:
                        if first is None:
                            first = time.perf_counter() - started
                        text.append(choice.delta.content)
            _check(("proxy", "direct")[side], "".join(text), f"You said: {words}")
            assert first is not None
            return first

        first_chunk(0)
        first_chunk(1)
        firsts = Paired()
        for timed in timed_rounds(emu, s.rounds, s.warmup):
            a: list[float] = []
            b: list[float] = []
            for _ in range(max(1, s.calls // 5)):  # A B A B ..., as every case
                a.append(first_chunk(0))
                b.append(first_chunk(1))
            if timed:
                firsts.add_round(a, b, 0.0, 0.0)

    added = statistics.median(calls.all_a) - statistics.median(calls.all_b)
    added_first = statistics.median(firsts.all_a) - statistics.median(firsts.all_b)
    return [
        calls.row(
            "proxy: openai SDK call through the proxy (A) vs to the emulator (B), per call",
            None,
            note=f"the proxy adds {added * 1e3:.2f} ms per call (median); "
            "client CPU excludes the proxy's process",
        ),
        firsts.row(
            "proxy: stream time to first chunk, through the proxy (A) vs direct (B)",
            None,
            note=f"the proxy adds {added_first * 1e3:.2f} ms before the first chunk (median); "
            f"{s.stream_words + 2} words streamed",
        ),
    ]
