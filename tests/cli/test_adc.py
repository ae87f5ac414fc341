"""vertex_openai.adc: where Application Default Credentials would come from.

Real files in tmp_path, real google-auth to confirm it agrees, and a real HTTP server on
loopback as the metadata server (google-auth's probe honours GCE_METADATA_IP).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import google.auth
import google.auth.exceptions
import pytest

from vertex_openai.adc import (
    FROM_ENVIRONMENT,
    FROM_GCLOUD,
    FROM_METADATA_SERVER,
    AdcLocation,
    adc_file,
    gcloud_adc_path,
    locate_adc,
    metadata_server_answers,
)
from vertex_openai.auth import adc_file as auth_adc_file
from vertex_openai.auth import gcloud_adc_path as auth_gcloud_adc_path
from vertex_openai.testing import VertexEmulator

_DMI = Path("/sys/class/dmi/id/product_name")
ON_GCE = _DMI.is_file() and _DMI.read_text(errors="replace").startswith("Google")


def gcloud_file(config: Path, info: dict[str, object] | None = None) -> Path:
    path = config / "application_default_credentials.json"
    path.write_text(json.dumps(info or {}))
    return path


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty gcloud configuration directory (CLOUDSDK_CONFIG)."""
    path = tmp_path / "gcloud"
    path.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(path))
    return path


def test_auth_keeps_the_old_names() -> None:
    assert auth_adc_file is adc_file
    assert auth_gcloud_adc_path is gcloud_adc_path


def test_gcloud_adc_path_follows_cloudsdk_config(config: Path) -> None:
    assert gcloud_adc_path() == config / "application_default_credentials.json"
    assert not gcloud_adc_path().exists()  # the path whether or not the file exists


def test_nothing_configured(config: Path) -> None:
    location = locate_adc()
    gcloud = str(config / "application_default_credentials.json")
    assert location == AdcLocation(None, None, gcloud, metadata_probed=False)
    assert not location.found and location.exists
    assert location.describe() == "nothing"
    assert location.nothing_found() == (
        f"GOOGLE_APPLICATION_CREDENTIALS is not set, there is no gcloud ADC file at {gcloud}, "
        "and the metadata server was not probed"
    )
    assert adc_file() is None


@pytest.mark.filterwarnings("ignore:Your application has authenticated")
def test_gcloud_file(config: Path, vertex_emulator: VertexEmulator) -> None:
    path = gcloud_file(config, vertex_emulator.authorized_user_info())
    location = locate_adc()
    assert location == AdcLocation(FROM_GCLOUD, str(path), str(path))
    assert location.found and location.exists
    assert location.describe() == f"gcloud ADC file {path}"
    assert adc_file() == path
    # google-auth reads the same file (no network: loading is not refreshing)
    credentials, _ = google.auth.default()
    assert type(credentials).__module__ == "google.oauth2.credentials"


def test_environment_variable_comes_first(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vertex_emulator: VertexEmulator
) -> None:
    gcloud_file(config, vertex_emulator.authorized_user_info())
    key = vertex_emulator.write_service_account_file(tmp_path / "sa.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    location = locate_adc(probe_metadata=True)  # a file was found: no probe
    assert location.source == FROM_ENVIRONMENT and location.path == str(key)
    assert not location.metadata_probed
    assert location.describe() == f"GOOGLE_APPLICATION_CREDENTIALS file {key}"
    assert adc_file() == key
    credentials, project = google.auth.default()
    assert getattr(credentials, "service_account_email", None) == vertex_emulator.client_email
    assert project == vertex_emulator.project


def test_missing_named_file_is_reported_not_skipped(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gcloud_file(config)
    missing = tmp_path / "missing.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))
    location = locate_adc()
    assert location.source == FROM_ENVIRONMENT and location.path == str(missing)
    assert location.found and not location.exists
    assert adc_file() is None
    # google-auth fails too, rather than fall back to gcloud's file
    with pytest.raises(google.auth.exceptions.DefaultCredentialsError):
        google.auth.default()


def test_path_is_kept_as_written(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(config)
    Path("key.json").write_text("{}")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "./key.json")
    assert locate_adc().describe() == "GOOGLE_APPLICATION_CREDENTIALS file ./key.json"
    assert adc_file() == Path("key.json")


def test_no_gce_check_skips_the_probe(config: Path) -> None:
    started = time.monotonic()
    assert metadata_server_answers() is False
    location = locate_adc(probe_metadata=True)
    assert time.monotonic() - started < 1.0
    assert location.source is None and location.metadata_probed
    assert location.nothing_found().endswith(
        "and no metadata server answered (not on Google Cloud)"
    )


class _MetadataServer(http.server.ThreadingHTTPServer):
    """A loopback HTTP server answering every GET, counting them."""

    def __init__(self, flavor: str | None) -> None:
        self.flavor = flavor
        self.hits = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                self.send_response(200 if server.flavor else 404)
                if server.flavor:
                    self.send_header("Metadata-Flavor", server.flavor)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def metadata_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[_MetadataServer]:
    """google-auth's metadata probe pointed at a loopback server (GCE_METADATA_IP)."""
    server = _MetadataServer(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.delenv("NO_GCE_CHECK")
    monkeypatch.setenv("GCE_METADATA_IP", f"127.0.0.1:{server.server_address[1]}")
    # Older google-auth (2.36, our floor) reads GCE_METADATA_IP once, when _metadata is imported
    # (module constant _METADATA_IP_ROOT); newer versions read it per request. Give the old
    # constant the value that import would have computed from this environment.
    from google.auth.compute_engine import _metadata

    if hasattr(_metadata, "_METADATA_IP_ROOT"):
        monkeypatch.setattr(
            _metadata, "_METADATA_IP_ROOT", f"http://127.0.0.1:{server.server_address[1]}"
        )
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("metadata_server", ["Google"], indirect=True)
def test_a_metadata_server_is_found_only_when_asked(
    config: Path, metadata_server: _MetadataServer
) -> None:
    assert locate_adc().source is None  # no probe unless asked
    assert adc_file() is None
    assert metadata_server.hits == 0
    assert metadata_server_answers(timeout=5.0) is True
    assert metadata_server.hits == 1  # one attempt
    location = locate_adc(probe_metadata=True, timeout=5.0)
    assert location == AdcLocation(
        FROM_METADATA_SERVER, None, str(gcloud_adc_path()), metadata_probed=True
    )
    assert location.found and location.exists
    assert location.describe() == "metadata server"
    assert metadata_server.hits == 2


@pytest.mark.skipif(ON_GCE, reason="a Compute Engine VM counts as one by its DMI name")
@pytest.mark.parametrize("metadata_server", [None], indirect=True)
def test_a_server_that_is_not_google_metadata_does_not_count(
    config: Path, metadata_server: _MetadataServer
) -> None:
    assert metadata_server_answers(timeout=5.0) is False
    assert metadata_server.hits == 1
    assert locate_adc(probe_metadata=True, timeout=5.0).source is None


@pytest.mark.skipif(ON_GCE, reason="a Compute Engine VM counts as one by its DMI name")
def test_nothing_listening_is_no_metadata_server(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_GCE_CHECK")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    started = time.monotonic()
    assert metadata_server_answers(timeout=2.0) is False
    assert time.monotonic() - started < 5.0
