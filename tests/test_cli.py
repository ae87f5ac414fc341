"""The ``vertex-openai`` command line, in-process against the offline emulator."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vertex_openai.cli import main
from vertex_openai.testing import VertexEmulator

QUESTION = "Why is the sky blue?"
ANSWER = "You said: Why is the sky blue?"
SCRIPT = Path(sys.executable).with_name("vertex-openai")

_ENV_NAMES = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_QUOTA_PROJECT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Google settings from the machine running the tests; no metadata-server probe."""
    for name in _ENV_NAMES:
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


def target(emu: VertexEmulator) -> list[str]:
    """Target flags; the project comes from the key file through ADC."""
    return ["--api-endpoint", emu.url, "--location", "us-central1"]


def no_secrets(text: str) -> None:
    assert "ya29." not in text and "PRIVATE KEY" not in text
    assert "Traceback" not in text


# --------------------------------------------------------------------------------- chat


def test_chat_one_shot(emu: VertexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", *target(emu), QUESTION]) == 0
    out, err = capsys.readouterr()
    assert out == ANSWER + "\n"
    assert err == ""  # stderr is not a TTY: no status line
    (request,) = emu.requests
    assert request.path.endswith(
        "/projects/emulator-project/locations/us-central1/endpoints/openapi/chat/completions"
    )
    assert request.body["model"] == "google/gemini-2.5-flash"
    assert request.body["stream"] is True
    assert "stream_options" not in request.body


def test_chat_emulator_flag_needs_no_google_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["chat", "--emulator", QUESTION]) == 0
    out, err = capsys.readouterr()
    assert out == ANSWER + "\n"
    assert err == ""


def test_chat_model_flag_and_stdin_prompt(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("from a pipe\n"))
    assert main(["chat", *target(emu), "--model", "meta/llama-3.3-70b-instruct-maas", "-"]) == 0
    assert capsys.readouterr().out == "You said: from a pipe\n"
    assert emu.requests[0].body["model"] == "meta/llama-3.3-70b-instruct-maas"


def test_chat_self_deployed_endpoint(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.add_endpoint("987654321", location="us-central1")
    assert main(["chat", *target(emu), "--endpoint-id", "987654321", "hi"]) == 0
    assert capsys.readouterr().out == "You said: hi\n"
    assert emu.requests[0].path.endswith("/endpoints/987654321/chat/completions")


def test_chat_interactive_keeps_the_conversation(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n\nsecond turn\nexit\nnot sent\n"))
    assert main(["chat", *target(emu), "--system", "Be brief."]) == 0
    out, _ = capsys.readouterr()
    assert out == "You said: hello\nYou said: second turn\n"
    first, second = emu.requests
    assert [m["role"] for m in first.body["messages"]] == ["system", "user"]
    assert second.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "You said: hello"},
        {"role": "user", "content": "second turn"},
    ]


def test_chat_interactive_ends_at_eof_and_survives_an_error(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.fail(400, message="Something about the request.", route="chat")
    monkeypatch.setattr(sys, "stdin", io.StringIO("first\nsecond\n"))
    assert main(["chat", *target(emu)]) == 1  # a turn failed
    out, err = capsys.readouterr()
    assert out == "You said: second\n"
    assert err.count("\n") == 1
    assert err.startswith("vertex-openai: error: Vertex AI answered HTTP 400: INVALID_ARGUMENT:")
    # the failed turn is not part of the history
    assert emu.requests[-1].body["messages"] == [{"role": "user", "content": "second"}]


def test_chat_verbose_prints_usage(emu: VertexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", *target(emu), "--verbose", QUESTION]) == 0
    out, err = capsys.readouterr()
    assert out == ANSWER + "\n"
    assert "[usage] prompt 5 + completion 7 = total 12 tokens" in err
    assert f"[target] {emu.url}/v1/projects/emulator-project/" in err
    assert emu.requests[0].body["stream_options"] == {"include_usage": True}
    no_secrets(out + err)


def test_chat_quota_project_header(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["chat", *target(emu), "--quota-project", "billing-a", "hi"]) == 0
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-b")
    assert main(["chat", *target(emu), "hi"]) == 0
    capsys.readouterr()
    assert [r.headers.get("x-goog-user-project") for r in emu.requests] == [
        "billing-a",
        "billing-b",
    ]


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


# --------------------------------------------------------------------------------- endpoints


def _add_endpoints(emu: VertexEmulator) -> None:
    emu.add_endpoint("111", display_name="gemma shared", model="google/gemma-3-12b-it")
    emu.add_endpoint(
        "mg-endpoint-222",
        display_name="llama dedicated",
        dedicated_dns=f"mg-endpoint-222.us-central1-{emu.project_number}.prediction.vertexai.goog",
    )
    emu.add_endpoint("333", display_name="empty", deployed_models=[])
    emu.add_endpoint("444", display_name="other region", location="europe-west4")
    emu.add_endpoint("555", display_name="fifth")


def test_endpoints_table_follows_pages(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_endpoints(emu)
    emu.page_size = 2
    assert main(["endpoints", "--api-endpoint", emu.url, "--location", "us-central1"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "4 endpoints in project emulator-project, location us-central1:"
    header = lines[2].split()
    assert header == ["ENDPOINT_ID", "DISPLAY_NAME", "DEPLOYED_MODELS", "DEDICATED_DNS"]
    assert "444" not in out  # another region
    dns = f"mg-endpoint-222.us-central1-{emu.project_number}.prediction.vertexai.goog"
    assert 'use: endpoint_id="mg-endpoint-222", location="us-central1", ' in out
    assert f'api_endpoint="https://{dns}"' in out
    # the shared ones are reached through the --api-endpoint given
    assert f'use: endpoint_id="111", location="us-central1", api_endpoint="{emu.url}"' in out
    assert "(none deployed)" in out
    listings = [r for r in emu.requests if r.route == "endpoints"]
    assert [r.method for r in listings] == ["GET", "GET"]
    assert listings[0].path == "/v1/projects/emulator-project/locations/us-central1/endpoints"
    assert "pageToken" not in listings[0].query and listings[1].query["pageToken"]
    assert all(r.token for r in listings)  # signed with the core's auth
    no_secrets(out)


def test_endpoints_json(emu: VertexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    _add_endpoints(emu)
    emu.page_size = 1
    argv = ["endpoints", "--api-endpoint", emu.url, "--location", "us-central1", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["endpoint_id"] for r in rows] == ["111", "mg-endpoint-222", "333", "555"]
    by_id = {r["endpoint_id"]: r for r in rows}
    dedicated = by_id["mg-endpoint-222"]
    assert dedicated["dedicated_endpoint_dns"].endswith(".prediction.vertexai.goog")
    assert dedicated["parameters"] == {
        "endpoint_id": "mg-endpoint-222",
        "location": "us-central1",
        "api_endpoint": "https://" + dedicated["dedicated_endpoint_dns"],
    }
    assert by_id["111"]["deployed_models"][0]["display_name"] == "google/gemma-3-12b-it"
    assert by_id["333"]["deployed_models"] == []
    assert by_id["111"]["project"] == "emulator-project"
    assert len([r for r in emu.requests if r.route == "endpoints"]) == 4


def test_endpoints_empty_and_location_from_env(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "asia-east1")
    assert main(["endpoints", "--api-endpoint", emu.url]) == 0
    assert capsys.readouterr().out == (
        "No endpoints in project emulator-project, location asia-east1.\n"
    )
    assert main(["endpoints", "--api-endpoint", emu.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_endpoints_needs_a_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["endpoints", "--project", "p"]) == 2
    err = capsys.readouterr().err
    assert "--location" in err and err.count("\n") == 1


def test_endpoints_error_is_one_line(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["endpoints", "--api-endpoint", emu.url, "--location", "us-central1"]
    assert main([*argv, "--project", "not-mine"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "HTTP 403: PERMISSION_DENIED: Permission 'aiplatform.endpoints.list' denied" in err


def test_endpoints_emulator_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["endpoints", "--emulator"]) == 0
    out = capsys.readouterr().out
    assert "2 endpoints in project emulator-project, location us-central1:" in out
    assert 'use: endpoint_id="1234567890123456789", location="us-central1"\n' in out
    assert 'api_endpoint="https://mg-endpoint-' in out


# --------------------------------------------------------------------------------- doctor


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


# --------------------------------------------------------------------------------- processes


def _script_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_NAMES}
    env["NO_GCE_CHECK"] = "true"
    return env


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")
def test_console_script_chat_emulator() -> None:
    result = subprocess.run(
        [str(SCRIPT), "chat", "--emulator", QUESTION],
        capture_output=True,
        text=True,
        timeout=90,
        env=_script_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ANSWER + "\n"
    assert result.stderr == ""


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
        env=_script_env(),
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


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_on_a_tty_is_cleared_before_the_answer(
    emu: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.set_latency(0.4, route="chat")
    tty = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["chat", *target(emu), "hi"]) == 0
    assert capsys.readouterr().out == "You said: hi\n"
    status = tty.getvalue()
    assert "waiting for google/gemini-2.5-flash" in status
    assert status.endswith("\r\x1b[2K")  # erased: nothing left on the terminal line


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
