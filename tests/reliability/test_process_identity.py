"""One token source per identity per process, one pool per host: shared by every connection,
model copy and plain client, weakly held (issue 12, item 1)."""

from __future__ import annotations

import gc
import json
import os
import pathlib
import weakref

import pytest
from google.auth import impersonated_credentials
from google.oauth2 import service_account

import vertex_openai
from vertex_openai import VertexConnection
from vertex_openai import pool as pool_module
from vertex_openai.auth import shared_token_source
from vertex_openai.identity import adc_inputs, credential_identity
from vertex_openai.testing import VertexEmulator

from support import LOCATION, chat_requests, connect, fetched, user


def _fresh_credentials(emu: VertexEmulator) -> service_account.Credentials:
    """A new credentials object, as an app that loads its key per request makes."""
    return emu.credentials()


def test_models_on_one_service_account_share_one_token(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    connections = [connect(emu, credentials=_fresh_credentials(emu)) for _ in range(10)]
    assert len({id(c.token_source) for c in connections}) == 1
    for number, connection in enumerate(connections):
        connection.openai_client().chat.completions.create(**user(f"model {number}"))
    assert fetched(emu) == 1
    assert len({r.token for r in chat_requests(emu)}) == 1


def test_plain_clients_share_the_token_and_the_pool(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    where = {"project": emu.project, "location": LOCATION, "api_endpoint": emu.url}
    first = vertex_openai.openai_client(credentials=emu.credentials(), **where)
    second = vertex_openai.openai_client(credentials=emu.credentials(), **where)
    first.chat.completions.create(**user("one"))
    second.chat.completions.create(**user("two"))
    assert fetched(emu) == 1
    # One socket for both: the second request reused the first one's keep-alive connection.
    pool = connect(emu)._pool()
    assert len(pool.sync_transport()._pool.connections) == 1
    # Closing one plain client closes that client only.
    first.close()
    assert first._client.is_closed
    answer = second.chat.completions.create(**user("still open"))
    assert answer.choices[0].message.content == "You said: still open"


def test_different_identities_do_not_share(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    service = connect(emu)
    billed = connect(emu, quota_project="other-project")
    person = connect(emu, credentials=emu.authorized_user_credentials())
    narrow = connect(
        emu,
        credentials=emu.credentials().with_scopes(
            ["https://www.googleapis.com/auth/cloud-platform.read-only"]
        ),
    )
    sources = {id(c.token_source) for c in (service, billed, person, narrow)}
    assert len(sources) == 4
    for connection in (service, billed, person, narrow):
        connection.openai_client().chat.completions.create(**user())
    assert fetched(emu) == 4


def test_identity_of_each_credential_type(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    a, b = emu.credentials(), emu.credentials()
    assert credential_identity(a) == credential_identity(b) is not None
    assert credential_identity(a) != credential_identity(a.with_quota_project("p"))
    assert credential_identity(a) != credential_identity(a.with_subject("user@example.com"))
    # Two refresh tokens of one OAuth client are two grants: not shared.
    assert credential_identity(emu.authorized_user_credentials()) != credential_identity(
        emu.authorized_user_credentials()
    )

    # Impersonation: the target principal and the source's identity.
    def impersonating(target: str) -> impersonated_credentials.Credentials:
        return impersonated_credentials.Credentials(
            source_credentials=emu.credentials(),
            target_principal=target,
            target_scopes=[vertex_openai.CLOUD_PLATFORM_SCOPE],
        )

    one = credential_identity(impersonating("robot@p.iam.gserviceaccount.com"))
    assert one == credential_identity(impersonating("robot@p.iam.gserviceaccount.com"))
    assert one != credential_identity(impersonating("other@p.iam.gserviceaccount.com"))
    # No secret in the key itself: the refresh token enters it as a digest.
    user_creds = emu.authorized_user_credentials()
    assert user_creds.refresh_token not in repr(credential_identity(user_creds))


def test_a_dead_model_keeps_nothing_alive_but_its_token_is_reused(
    vertex_emulator: VertexEmulator,
) -> None:
    emu = vertex_emulator
    connection = connect(emu)
    connection.openai_client().chat.completions.create(**user("first"))
    source = weakref.ref(connection.token_source)
    client = weakref.ref(connection.http_client())
    pool = connection._pool()
    del connection
    gc.collect()
    # The model's token source and clients are gone; the host's pool is the process's (kept
    # for the next model, like langchain-openai's cached client), leased by nobody.
    assert source() is None and client() is None
    assert pool._leases == 0
    assert len(pool.sync_transport()._pool.connections) == 1  # an idle keep-alive socket
    # A model built later, on a new credentials object: the identity's last token is reused.
    again = connect(emu)
    again.openai_client().chat.completions.create(**user("second"))
    assert fetched(emu) == 1
    assert len(pool.sync_transport()._pool.connections) == 1  # its socket was reused
    # Once more hosts than the pool cache holds were used, an unleased pool is dropped.
    del again
    gc.collect()
    dropped = weakref.ref(pool)
    del pool
    for n in range(pool_module.RECENT_POOLS):
        connect(emu, socket_options=[(6, 4, 100 + n)])._pool()
    gc.collect()
    assert dropped() is None


def test_models_built_per_request_from_a_key_file(
    vertex_emulator: VertexEmulator, tmp_path: pathlib.Path
) -> None:
    emu = vertex_emulator
    key = emu.write_service_account_file(tmp_path / "key.json")
    for number in range(5):
        creds = service_account.Credentials.from_service_account_file(str(key))
        client = connect(emu, credentials=creds).openai_client()
        client.chat.completions.create(**user(f"request {number}"))
        client.close()
        del client, creds
        gc.collect()
    assert fetched(emu) == 1


def test_adc_is_resolved_once_and_again_when_its_inputs_change(
    vertex_emulator: VertexEmulator, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = vertex_emulator
    key = emu.write_service_account_file(tmp_path / "adc.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    connections = [connect(emu, credentials=None) for _ in range(4)]
    source = connections[0].token_source
    assert all(c.token_source is source for c in connections)
    for connection in connections:
        connection.openai_client().chat.completions.create(**user())
    assert fetched(emu) == 1
    resolved = source.credentials()

    # The key file is rewritten (another service account): callers built after see it.
    info = emu.service_account_info()
    info["client_email"] = "other@vertex-emulator.iam.gserviceaccount.com"
    key.write_text(json.dumps(info))
    os.utime(key, ns=(1, 1))  # a different modification time even on coarse clocks
    later = connect(emu, credentials=None)
    assert later.token_source is not source
    assert later.token_source.credentials() is not resolved
    assert later.token_source.credentials().service_account_email == info["client_email"]
    # So does a change of CLOUDSDK_CONFIG (the gcloud ADC file's directory).
    before = adc_inputs()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "elsewhere"))
    assert adc_inputs() != before


def test_hand_built_token_source_is_used_as_given(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    shared = shared_token_source(emu.credentials())
    own = vertex_openai.TokenSource(emu.credentials())
    assert shared is shared_token_source(emu.credentials())
    assert own is not shared
    assert VertexConnection(connect(emu).target, own).token_source is own
