from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from vertex_openai import VertexConnection
from vertex_openai.testing import VertexEmulator


def target(emu: VertexEmulator, **kwargs: Any) -> dict[str, Any]:
    """Constructor arguments aiming any of our classes at the emulator."""
    kwargs.setdefault("credentials", emu.credentials())
    return {"project": emu.project, "location": "us-central1", "api_endpoint": emu.url, **kwargs}


def connect(emu: VertexEmulator, **kwargs: Any) -> VertexConnection:
    return VertexConnection.create(**target(emu, **kwargs))


def fetched(emu: VertexEmulator) -> int:
    return sum(1 for t in emu.token_requests if t.status == 200)


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def user(text: str) -> dict[str, Any]:
    return {"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": text}]}
