"""Target: project/location/endpoint → base URL, defaults and validation (before any request)."""

from __future__ import annotations

import pytest

from vertex_openai.target import resolve_target


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("location", "url"),
    [
        (
            "us-central1",
            "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi",
        ),
        (
            "global",
            "https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi",
        ),
        (
            "us",
            "https://aiplatform.us.rep.googleapis.com/v1/projects/p/locations/us/endpoints/openapi",
        ),
        (
            "eu",
            "https://aiplatform.eu.rep.googleapis.com/v1/projects/p/locations/eu/endpoints/openapi",
        ),
    ],
)
def test_hosts_by_location(location: str, url: str) -> None:
    assert resolve_target(project="p", location=location).base_url == url


def test_endpoint_id_and_api_version() -> None:
    target = resolve_target(
        project="p", location="europe-west4", endpoint_id="mg-endpoint-1234", api_version="v1beta1"
    )
    assert target.base_url == (
        "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/p/locations/"
        "europe-west4/endpoints/mg-endpoint-1234"
    )
    assert not target.is_openapi
    assert resolve_target(project="p", endpoint_id="openapi").is_openapi


def test_defaults_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_target(project="p").location == "global"
    monkeypatch.setenv("GCLOUD_PROJECT", "from-gcloud")
    assert resolve_target().project == "from-gcloud"
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "asia-northeast1")
    target = resolve_target()
    assert (target.project, target.location) == ("from-env", "asia-northeast1")
    assert resolve_target(project="arg", location="us").project == "arg"


def test_project_falls_back_to_credential_only_when_needed() -> None:
    calls: list[int] = []

    def adc_project() -> str:
        calls.append(1)
        return "adc-project"

    assert resolve_target(project="explicit", default_project=adc_project).project == "explicit"
    assert calls == []
    assert resolve_target(default_project=adc_project).project == "adc-project"
    with pytest.raises(ValueError, match="project"):
        resolve_target(default_project=lambda: None)


def test_api_endpoint_replaces_scheme_and_host() -> None:
    dedicated = "1234.us-central1-987.prediction.vertexai.goog"
    target = resolve_target(
        project="p", location="us-central1", endpoint_id="1234", api_endpoint=dedicated
    )
    assert target.base_url == (
        f"https://{dedicated}/v1/projects/p/locations/us-central1/endpoints/1234"
    )
    for loopback in (
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
        "http://127.9.9.9",
    ):
        assert resolve_target(project="p", api_endpoint=loopback).origin == loopback
    assert resolve_target(project="p", api_endpoint="https://psc.example.com/").origin == (
        "https://psc.example.com"
    )


@pytest.mark.parametrize(
    "endpoint",
    ["http://10.0.0.1:8080", "http://example.com", "http://aiplatform.googleapis.com"],
)
def test_plain_http_refused_off_loopback(endpoint: str) -> None:
    with pytest.raises(ValueError, match=r"api_endpoint.*plain http"):
        resolve_target(project="p", api_endpoint=endpoint)


@pytest.mark.parametrize(
    "endpoint",
    ["ftp://host", "https://host/v1/projects", "https://user:pw@host", "https://host?x=1", ""],
)
def test_malformed_api_endpoint(endpoint: str) -> None:
    with pytest.raises(ValueError, match="api_endpoint"):
        resolve_target(project="p", api_endpoint=endpoint)


@pytest.mark.parametrize("name", ["project", "location", "endpoint_id"])
@pytest.mark.parametrize(
    "value", ["", " ", "a/b", "..", ".", "a b", "p?x=1", "p#f", "%2e%2e", "../other", "a\nb"]
)
def test_path_segments_refused(name: str, value: str) -> None:
    kwargs = {"project": "p", "location": "us-central1", name: value}
    with pytest.raises(ValueError, match=name):
        resolve_target(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("location", ["US-CENTRAL1", "us.central1", "a:b", "-us", "us--x"])
def test_location_must_be_a_host_label(location: str) -> None:
    with pytest.raises(ValueError, match="location"):
        resolve_target(project="p", location=location)


def test_bare_partner_model_refused() -> None:
    with pytest.raises(ValueError, match="publisher"):
        resolve_target(project="p").model_name("llama-3.3-70b-instruct-maas")


def test_domain_scoped_project_allowed() -> None:
    assert "projects/example.com:proj/" in resolve_target(project="example.com:proj").base_url


def test_api_version_refused() -> None:
    with pytest.raises(ValueError, match="api_version"):
        resolve_target(project="p", api_version="v2")


def test_endpoint_on_global_refused() -> None:
    with pytest.raises(ValueError, match="regional"):
        resolve_target(project="p", location="global", endpoint_id="1234")


def test_model_names() -> None:
    openapi = resolve_target(project="p")
    assert openapi.model_name("gemini-2.5-flash") == "google/gemini-2.5-flash"
    assert openapi.model_name("meta/llama-3.3-70b-instruct-maas") == (
        "meta/llama-3.3-70b-instruct-maas"
    )
    with pytest.raises(ValueError, match="model"):
        openapi.model_name("")
    deployed = resolve_target(project="p", location="us-central1", endpoint_id="42")
    assert deployed.model_name("gemma-3") == "gemma-3"
    assert deployed.model_name(None) == ""
