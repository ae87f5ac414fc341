"""vertex-openai doctor (vertex_openai.cli.doctor), against the offline emulator."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from cli_helpers import no_secrets, target

from vertex_openai.cli import main
from vertex_openai.testing import VertexEmulator


def _verdicts(out: str) -> dict[str, str]:
    names = ("credentials", "project", "quota project", "target", "token", "chat")
    result = {}
    for line in out.splitlines():
        for name in names:
            if line[6:].startswith(name):
                result[name] = line[:4].strip()
    return result


def test_doctor_all_ok(emu: VertexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", *target(emu)]) == 0
    out, err = capsys.readouterr()
    assert _verdicts(out) == {
        "credentials": "ok",
        "project": "ok",
        "quota project": "ok",
        "target": "ok",
        "token": "ok",
        "chat": "ok",
    }
    assert "service_account from GOOGLE_APPLICATION_CREDENTIALS file" in out
    assert f"account {emu.client_email}" in out
    assert "emulator-project (from the ADC credentials)" in out
    assert "token         fetched in " in out
    assert "answered in" in out and "You said: Reply with the single word: ok" in out
    assert out.rstrip().endswith("All checks passed.")
    (chat,) = [r for r in emu.requests if r.route == "chat"]
    assert chat.body["max_tokens"] <= 64
    no_secrets(out + err)


def test_doctor_project_and_quota_sources(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "emulator-project")
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing")
    assert main(["doctor", *target(emu)]) == 0
    out = capsys.readouterr().out
    assert "emulator-project (from GOOGLE_CLOUD_PROJECT)" in out
    assert "billing (from GOOGLE_CLOUD_QUOTA_PROJECT" in out
    assert emu.requests[-1].headers["x-goog-user-project"] == "billing"


def test_doctor_emulator_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--emulator"]) == 0
    out = capsys.readouterr().out
    assert set(_verdicts(out).values()) == {"ok"}
    assert "in-process emulator" in out


@pytest.mark.parametrize("key_file", [None, "missing.json"])
def test_doctor_without_credentials(
    key_file: str | None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if key_file:
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / key_file))
    started = time.monotonic()
    assert main(["doctor", "--project", "p", "--location", "us-central1"]) != 0
    assert time.monotonic() - started < 10
    out, err = capsys.readouterr()
    verdicts = _verdicts(out)
    assert verdicts["credentials"] == "FAIL"
    assert verdicts["token"] == "skip" and verdicts["chat"] == "skip"
    assert "gcloud auth application-default login" in out
    assert "GOOGLE_APPLICATION_CREDENTIALS" in out
    assert "check(s) failed" in out
    assert err == ""
    no_secrets(out)


def test_doctor_reports_token_and_chat_failures(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.fail_token(error="invalid_grant", description="Invalid JWT Signature.")
    assert main(["doctor", *target(emu)]) == 1
    out = capsys.readouterr().out
    assert _verdicts(out)["token"] == "FAIL" and "invalid_grant" in out
    assert _verdicts(out)["chat"] == "skip"

    emu.fail(403, route="chat")
    assert main(["doctor", *target(emu)]) == 1
    out = capsys.readouterr().out
    assert _verdicts(out)["chat"] == "FAIL"
    assert "roles/aiplatform.user" in out and "gcloud services enable" in out


@pytest.mark.parametrize("quota", [None, "billing-project"])
def test_doctor_with_gcloud_user_credentials(
    quota: str | None,
    vertex_emulator: VertexEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import google.oauth2.credentials

    emu = vertex_emulator
    # gcloud's ADC file; google-auth always sends authorized_user refreshes to Google's token
    # URL, so point that at the emulator.
    adc = Path(os.environ["CLOUDSDK_CONFIG"]) / "application_default_credentials.json"
    adc.write_text(json.dumps(emu.authorized_user_info(quota_project_id=quota)))
    monkeypatch.setattr(google.oauth2.credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", emu.token_uri)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", emu.project)
    assert main(["doctor", *target(emu)]) == 0  # a warning does not fail
    out, err = capsys.readouterr()
    verdicts = _verdicts(out)
    assert f"authorized_user from gcloud ADC file {adc}" in out
    assert verdicts["token"] == "ok" and verdicts["chat"] == "ok"
    if quota is None:
        assert verdicts["quota project"] == "warn"
        assert f"gcloud auth application-default set-quota-project {emu.project}" in out
        assert "All checks passed (1 warning(s))." in out
    else:
        assert verdicts["quota project"] == "ok"
        assert "billing-project (from the credentials" in out
        assert emu.requests[-1].headers["x-goog-user-project"] == "billing-project"
    assert err == ""  # google-auth's quota-project warning is not shown
    no_secrets(out)
