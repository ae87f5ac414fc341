"""vertex-openai emulator (vertex_openai.cli.emulator): a real process serving until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import ANSWER, QUESTION, SCRIPT, script_env

from vertex_openai.cli import main


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_console_script_emulator_serves_until_ctrl_c(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    process = subprocess.Popen(
        [str(SCRIPT), "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=script_env(),
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "--api-endpoint" in line and "endpoints" in line:
                break
        text = "".join(lines)
        url = text.split("listening on ", 1)[1].split()[0]
        key = text.split("export GOOGLE_APPLICATION_CREDENTIALS=", 1)[1].split()[0]
        assert Path(key).is_file()
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", key)
        assert main(["chat", "--api-endpoint", url, "--location", "us-central1", QUESTION]) == 0
        assert capsys.readouterr().out == ANSWER + "\n"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not Path(key).exists()  # the temporary key file is removed


def test_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--port", "70000"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "vertex-openai: error: --port must be 0..65535 (got 70000)\n"
