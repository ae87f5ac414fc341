"""Packaging: the core imports no framework; the lazy re-exports resolve; py.typed ships."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import vertex_openai


def test_import_loads_no_framework() -> None:
    code = (
        "import sys, vertex_openai, vertex_openai.testing, vertex_openai.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain', 'langchain_core', 'langchain_openai', 'llama_index'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_reexports() -> None:
    pytest.importorskip("langchain_openai")
    from vertex_openai.langchain import ChatVertexOpenAI

    assert vertex_openai.ChatVertexOpenAI is ChatVertexOpenAI
    with pytest.raises(AttributeError):
        _ = vertex_openai.NoSuchThing  # type: ignore[attr-defined]


def test_py_typed_ships() -> None:
    assert (Path(vertex_openai.__file__).parent / "py.typed").exists()


def test_plugin_and_emulator_load_no_http_or_auth_stack() -> None:
    code = (
        "import sys, vertex_openai, vertex_openai.testing.pytest_plugin\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('openai', 'httpx', 'google', 'langchain_core', 'llama_index'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_export_resolves() -> None:
    assert sorted(vertex_openai.__all__) == sorted(vertex_openai._EXPORTS)
    for name, module in vertex_openai._EXPORTS.items():
        if module == "langchain":
            pytest.importorskip("langchain_openai")
        if module == "llama_index":
            pytest.importorskip("llama_index.core")
        assert getattr(vertex_openai, name) is not None


def test_adc_file_found_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vertex_openai.auth import adc_file

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    assert adc_file() is None
    gcloud = tmp_path / "application_default_credentials.json"
    gcloud.write_text("{}")
    assert adc_file() == gcloud
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    assert adc_file() is None
