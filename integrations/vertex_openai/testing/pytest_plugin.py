"""pytest plugin (entry point ``pytest11: vertex_openai``): the ``vertex_emulator`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulator import VertexEmulator


@pytest.fixture
def vertex_emulator() -> Iterator[VertexEmulator]:
    """A started :class:`VertexEmulator` on 127.0.0.1 (random port), stopped afterwards."""
    emulator = VertexEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()
