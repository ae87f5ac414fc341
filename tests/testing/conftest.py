"""Fixtures shared by the emulator's tests."""

from __future__ import annotations

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
