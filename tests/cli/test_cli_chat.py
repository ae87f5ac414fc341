"""vertex-openai chat (vertex_openai.cli.chat), in-process against the offline emulator."""

from __future__ import annotations

import io
import sys

import pytest
from cli_helpers import ANSWER, QUESTION, no_secrets, target

from vertex_openai.cli import main
from vertex_openai.testing import VertexEmulator


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
