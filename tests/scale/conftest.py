"""Fixtures of the scale-out tests: one emulator per module, reachable from other processes.

The emulator serves from a thread of the test process on 127.0.0.1; subprocesses and Ray
workers reach it there and authenticate with a service-account key file it issued (real
google-auth refreshes against its token endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vertex_openai.testing import VertexEmulator


@pytest.fixture(scope="module")
def emu() -> Iterator[VertexEmulator]:
    """A started emulator shared by the module's tests (the Ray cluster outlives a test)."""
    emulator = VertexEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def key_file(emu: VertexEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service-account key file whose token_uri is the emulator's (for ADC in workers)."""
    return emu.write_service_account_file(tmp_path_factory.mktemp("adc") / "key.json")
