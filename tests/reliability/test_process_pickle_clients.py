"""Pickle, cloudpickle and deepcopy of the plain clients of ``openai_client()`` /
``async_openai_client()`` (issue 12, item 4, the part in connection.py): unpickled in a real
subprocess, re-authenticated there, the same identity, no access token in the bytes."""

from __future__ import annotations

import copy
import os
import pathlib
import pickle
import subprocess
import sys
from typing import Any

import pytest

import vertex_openai
from vertex_openai.testing import VertexEmulator

from support import LOCATION, chat_requests, fetched, installed, user

_CHILD = r"""
import asyncio, pickle, sys
client = pickle.loads(sys.stdin.buffer.read())
request = {"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": "child"}]}
if sys.argv[1] == "async":
    async def main():
        return (await client.chat.completions.create(**request)).choices[0].message.content
    print(asyncio.run(main()))
else:
    print(client.chat.completions.create(**request).choices[0].message.content)
"""


def _where(emu: VertexEmulator) -> dict[str, Any]:
    return {"project": emu.project, "location": LOCATION, "api_endpoint": emu.url}


def _in_subprocess(blob: bytes, mode: str = "sync", env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode],
        input=blob,
        capture_output=True,
        timeout=60,
        env={**os.environ, "NO_GCE_CHECK": "true", **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().splitlines()[0]


def test_a_service_account_client_is_unpickled_in_another_process(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    client = vertex_openai.openai_client(credentials=emu.credentials(), **_where(emu))
    client.chat.completions.create(**user("parent"))  # a live token exists now
    token = chat_requests(emu)[0].token
    assert token
    blob = pickle.dumps(client)
    assert token.encode() not in blob
    assert _in_subprocess(blob) == "You said: child"
    # The child fetched its own token, as the same service account.
    assert fetched(emu) == 2
    assert chat_requests(emu)[1].token != token


def test_an_async_client_and_cloudpickle(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = vertex_openai.async_openai_client(
        credentials=emu.credentials(), max_retries=0, timeout=20.0, **_where(emu)
    )
    dumps = pickle.dumps
    if installed("cloudpickle"):
        import cloudpickle

        dumps = cloudpickle.dumps
    assert _in_subprocess(dumps(client), "async") == "You said: child"
    restored = pickle.loads(pickle.dumps(client))
    assert isinstance(restored, vertex_openai.connection._AsyncOpenAI)
    assert (restored.max_retries, restored.timeout) == (0, 20.0)


def test_a_static_api_key_stays_that_key(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    key = emu.issue_token()
    client = vertex_openai.openai_client(api_key=key, **_where(emu))
    restored = pickle.loads(pickle.dumps(client))
    assert restored._vertex_connection.token_source.is_static
    assert _in_subprocess(pickle.dumps(client)) == "You said: child"
    assert [r.token for r in chat_requests(emu)] == [key]
    assert fetched(emu) == 0


def test_adc_is_resolved_again_where_it_is_unpickled(
    vertex_emulator: VertexEmulator, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = vertex_emulator
    key = emu.write_service_account_file(tmp_path / "adc.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    client = vertex_openai.openai_client(**_where(emu))
    client.chat.completions.create(**user("parent"))
    blob = pickle.dumps(client)
    assert b"PRIVATE KEY" not in blob  # ADC was not given: its key file is not in the pickle
    answer = _in_subprocess(blob, env={"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert answer == "You said: child"
    assert fetched(emu) == 2


def test_deepcopy_and_with_options(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = vertex_openai.openai_client(
        credentials=emu.credentials(), default_headers={"x-app": "demo"}, **_where(emu)
    )
    twin = copy.deepcopy(client)
    assert twin._client is not client._client  # its own HTTP client
    assert twin._vertex_connection.token_source is client._vertex_connection.token_source
    client.close()  # closes the original only
    assert twin.chat.completions.create(**user("twin")).choices[0].message.content
    assert chat_requests(emu)[0].headers["x-app"] == "demo"
    # A copy made by the SDK (with_options) pickles as well.
    patient = twin.with_options(max_retries=5)
    assert pickle.loads(pickle.dumps(patient)).max_retries == 5
    assert fetched(emu) == 1
