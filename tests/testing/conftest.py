"""Fixtures shared by the emulator's tests."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from vertex_openai.testing import VertexEmulator


@pytest.fixture
def emu(vertex_emulator: VertexEmulator) -> VertexEmulator:
    """The started emulator (the package's own pytest fixture)."""
    return vertex_emulator


@pytest.fixture
def token(emu: VertexEmulator) -> str:
    """An access token the emulator accepts."""
    return emu.issue_token()


@pytest.fixture
def client(emu: VertexEmulator, token: str) -> Iterator[openai.OpenAI]:
    """A plain openai client on the emulator's openapi route (no retries)."""
    with openai.OpenAI(base_url=emu.base_url(), api_key=token, max_retries=0) as c:
        yield c
