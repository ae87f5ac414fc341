"""Test-suite options: live tests against real Vertex AI are collected only when asked.

``uv run pytest`` runs everything offline against the emulator. ``uv run pytest --live`` (or
``VERTEX_OPENAI_LIVE=1``) also collects ``tests/live/``, which needs GOOGLE_CLOUD_PROJECT and
Application Default Credentials.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_LIVE_DIR = Path(__file__).parent / "live"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live",
        action="store_true",
        default=False,
        help="also run tests/live/ against real Vertex AI (or set VERTEX_OPENAI_LIVE=1)",
    )


def live_requested(config: pytest.Config) -> bool:
    return bool(config.getoption("--live")) or os.environ.get("VERTEX_OPENAI_LIVE") == "1"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == _LIVE_DIR or _LIVE_DIR in collection_path.parents:
        return None if live_requested(config) else True
    return None
