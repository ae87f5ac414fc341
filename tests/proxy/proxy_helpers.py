"""Helpers of tests/proxy (imported by basename): ``vertex-openai proxy`` in its own process,
aimed at the emulator, as users run it.

The emulator runs in the test process (so a test can script it: revoke tokens, fail, queue
answers, count token fetches); the proxy reaches it with the emulator's service-account key
as Application Default Credentials, exactly as it would reach Google with a real one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from vertex_openai.testing import VertexEmulator

SCRIPT = Path(sys.executable).with_name("vertex-openai")
LOCATION = "us-central1"
GOOGLE_ENV = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_QUOTA_PROJECT",
    "VERTEX_OPENAI_PROXY_KEY",
)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """No Google or OpenAI settings of the machine; no metadata-server probe."""
    env = {
        k: v for k, v in os.environ.items() if k not in GOOGLE_ENV and not k.startswith("OPENAI_")
    }
    env["NO_GCE_CHECK"] = "true"
    env.update(extra or {})
    return env


@dataclass
class ProxyProcess:
    """A running ``vertex-openai proxy``: its base URL, what it printed, how it ended."""

    process: subprocess.Popen[str]
    base_url: str
    banner: str
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    secrets: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit; returns the exit status."""
        if self.returncode is None:
            self.process.send_signal(sig)
            out, err = self.process.communicate(timeout=30)
            self.stdout, self.stderr = self.banner + out, err
            self.returncode = self.process.returncode
        return self.returncode


def start_proxy(
    emu: VertexEmulator | None,
    key_file: Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> ProxyProcess:
    """Start the proxy on a free port (aimed at ``emu``, or with ``--emulator`` in ``args``)
    and wait for its banner."""
    command = [str(SCRIPT), "proxy", "--port", "0"]
    if emu is not None:
        command += ["--api-endpoint", emu.url, "--location", LOCATION]
    command += args
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env({"GOOGLE_APPLICATION_CREDENTIALS": str(key_file), **(env or {})}),
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    base_url = None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("OPENAI_BASE_URL="):
            base_url = line.split("=", 1)[1].strip()
        if line.lstrip().startswith("curl "):  # the banner's last line
            break
    if base_url is None:
        process.kill()
        _, err = process.communicate(timeout=30)
        raise AssertionError(f"the proxy did not start:\n{''.join(lines)}\n{err}")
    return ProxyProcess(process, base_url, "".join(lines))
