"""Fixtures of the CLI tests (and of the adc / endpoints unit tests next to them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import ENV_NAMES

from vertex_openai.testing import VertexEmulator


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Google settings from the machine running the tests; no metadata-server probe."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "gcloud-config"
    empty.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(empty))
    monkeypatch.setenv("NO_GCE_CHECK", "true")


@pytest.fixture
def emu(
    vertex_emulator: VertexEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> VertexEmulator:
    """The emulator as Application Default Credentials (a service-account key file)."""
    key = vertex_emulator.write_service_account_file(tmp_path / "sa.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    return vertex_emulator
