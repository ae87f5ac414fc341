from __future__ import annotations

from typing import Any

from vertex_openai import TokenSource, VertexConnection, resolve_target
from vertex_openai.testing import VertexEmulator


def connect(emu: VertexEmulator, **kwargs: Any) -> VertexConnection:
    """A connection to the emulator with real google-auth service-account credentials."""
    kwargs.setdefault("credentials", emu.credentials())
    kwargs.setdefault("project", emu.project)
    kwargs.setdefault("location", "us-central1")
    return VertexConnection.create(api_endpoint=emu.url, **kwargs)


def connect_with(emu: VertexEmulator, source: TokenSource, **target: Any) -> VertexConnection:
    """A connection with a hand-built token source (retry/backoff settings)."""
    target.setdefault("project", emu.project)
    target.setdefault("location", "us-central1")
    return VertexConnection(resolve_target(api_endpoint=emu.url, **target), source)


def fetched(emu: VertexEmulator) -> int:
    """Token requests the emulator answered with a token."""
    return sum(1 for t in emu.token_requests if t.status == 200)


def chat(emu_model: str = "google/gemini-2.5-flash", text: str = "hello") -> dict[str, Any]:
    return {"model": emu_model, "messages": [{"role": "user", "content": text}]}
