"""Fixtures of tests/proxy: ``vertex-openai proxy`` processes aimed at the test's emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from proxy_helpers import SCRIPT, ProxyProcess, start_proxy

from vertex_openai.testing import VertexEmulator

from support import installed

_MISSING = (
    "console script not installed"
    if not SCRIPT.exists()
    else "needs the [proxy] extra"
    if not (installed("starlette") and installed("uvicorn"))
    else None
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _MISSING is None:
        return
    for item in items:
        if "tests/proxy/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.skip(reason=_MISSING))


@pytest.fixture
def key_file(vertex_emulator: VertexEmulator, tmp_path: Path) -> Path:
    return vertex_emulator.write_service_account_file(tmp_path / "sa.json")


@pytest.fixture
def proxy_factory(
    vertex_emulator: VertexEmulator, key_file: Path
) -> Iterator[Callable[..., ProxyProcess]]:
    """Start proxies (``factory(*args, env=...)``); each is stopped with SIGTERM at the end,
    must exit 0, and must never have printed a token or a traceback."""
    started: list[ProxyProcess] = []

    def factory(*args: str, env: dict[str, str] | None = None) -> ProxyProcess:
        proxy = start_proxy(vertex_emulator, key_file, *args, env=env)
        started.append(proxy)
        return proxy

    yield factory
    tokens = [t.access_token for t in vertex_emulator.token_requests if t.access_token]
    for proxy in started:
        assert proxy.stop() == 0, proxy.stderr
        output = proxy.stdout + proxy.stderr
        assert "Traceback" not in output, output
        assert "ya29." not in output and "PRIVATE KEY" not in output
        for token in tokens:
            assert token not in output


@pytest.fixture
def proxy(proxy_factory: Callable[..., ProxyProcess]) -> ProxyProcess:
    """One proxy with the default options."""
    return proxy_factory()
