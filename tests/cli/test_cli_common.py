"""What every command shares (vertex_openai.cli and ._common): parsing, connecting, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import ANSWER, QUESTION, SCRIPT, no_secrets, script_env, target

from vertex_openai.cli import main
from vertex_openai.testing import VertexEmulator


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["chat", "--emulator", "--location", "us/central1", "hi"], "location="),
        (["chat", "--emulator", "--api-version", "v2", "hi"], "invalid choice"),
        (["chat", "--emulator", "--endpoint-id", "123", "--location", "global", "hi"], "region"),
        (["chat", "--emulator", "--api-endpoint", "http://127.0.0.1:1", "hi"], "--emulator"),
        (["chat", "--emulator", "--model", " ", "hi"], "model"),
        (["chat", "--emulator", "  "], "empty"),
        (["chat", "--no-such-flag"], "unrecognized arguments"),
        (["endpoints", "--emulator", "--location", "global"], "regional"),
        ([], "required"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and needle in err
    assert err.startswith("vertex-openai")
    no_secrets(err)


def test_bad_api_endpoint_is_refused_before_sending(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["chat", "--api-endpoint", "http://example.com", "--location", "us-central1", "hi"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "plain http" in err and err.count("\n") == 1
    assert emu.requests == [] and emu.token_requests == []


def test_vertex_error_is_one_line_with_its_message(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", *target(emu), "--project", "someone-else", "hi"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "HTTP 403: PERMISSION_DENIED: Permission 'aiplatform.endpoints.predict' denied" in err
    no_secrets(err)


def test_unreachable_vertex_is_one_line(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--api-endpoint", "http://127.0.0.1:9", "--location", "us-central1"]
    assert main(["chat", *argv, "hi"]) == 1
    assert main(["endpoints", *argv]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith("vertex-openai: error: could not reach http://127.0.0.1:9/v1/")
    assert err[1].startswith("vertex-openai: error: could not reach http://127.0.0.1:9:")


def test_chat_without_credentials_explains_gcloud(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--project", "p", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "gcloud auth application-default login" in err
    assert "GOOGLE_APPLICATION_CREDENTIALS" in err
    no_secrets(err)


def test_chat_missing_key_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    assert main(["chat", "--project", "p", "hi"]) == 1
    err = capsys.readouterr().err
    assert "missing.json: file not found" in err and err.count("\n") == 1


def test_token_failure_is_one_line(emu: VertexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    emu.fail_token(error="invalid_grant", description="Invalid JWT Signature.")
    assert main(["chat", *target(emu), "hi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid_grant" in err
    no_secrets(err)


def test_bad_flags_reported_before_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    assert main(["chat", "--project", "a/b", "hi"]) == 2
    err = capsys.readouterr().err
    assert "project" in err and "credentials" not in err.lower()
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            [str(SCRIPT)],
            id="console-script",
            marks=pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed"),
        ),
        pytest.param([sys.executable, "-m", "vertex_openai.cli"], id="python-m"),
    ],
)
def test_chat_emulator_from_a_shell(command: list[str]) -> None:
    result = subprocess.run(
        [*command, "chat", "--emulator", QUESTION],
        capture_output=True,
        text=True,
        timeout=90,
        env=script_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ANSWER + "\n"
    assert result.stderr == ""


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: vertex-openai [-h] [--version] COMMAND ...")
    for command in ("chat", "endpoints", "doctor", "emulator"):
        assert f"    {command} " in out
        assert main([command, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: vertex-openai {command} ")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == "vertex-openai 0.1.0\n"
