"""Shared constants and helpers of the tests in tests/cli (imported by basename)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from vertex_openai.testing import VertexEmulator

QUESTION = "Why is the sky blue?"
ANSWER = "You said: Why is the sky blue?"
#: The installed console script (next to the interpreter of the venv).
SCRIPT = Path(sys.executable).with_name("vertex-openai")

ENV_NAMES = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_QUOTA_PROJECT",
)


def target(emu: VertexEmulator) -> list[str]:
    """Target flags; the project comes from the key file through ADC."""
    return ["--api-endpoint", emu.url, "--location", "us-central1"]


def no_secrets(text: str) -> None:
    assert "ya29." not in text and "PRIVATE KEY" not in text
    assert "Traceback" not in text


def script_env() -> dict[str, str]:
    """The environment for a child process: no Google settings, no metadata-server probe."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["NO_GCE_CHECK"] = "true"
    return env
