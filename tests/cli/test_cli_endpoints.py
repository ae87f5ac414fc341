"""vertex-openai endpoints (vertex_openai.cli.endpoints), against the offline emulator."""

from __future__ import annotations

import json

import pytest
from cli_helpers import no_secrets

from vertex_openai.cli import main
from vertex_openai.testing import VertexEmulator


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
