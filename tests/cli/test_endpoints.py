"""vertex_openai.endpoints: listing a location's endpoints through a VertexConnection.

Real HTTP: the offline emulator (signed requests, pagination, Vertex's errors), and a small
loopback server for answers the emulator never gives (a repeated page token, bad JSON).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from vertex_openai import CredentialsError, VertexConnection, resolve_target
from vertex_openai.endpoints import EndpointListError, describe_endpoint, list_endpoints
from vertex_openai.testing import VertexEmulator


def connect(emu: VertexEmulator, **kwargs: Any) -> VertexConnection:
    """A connection to the emulator with its service-account credentials."""
    kwargs.setdefault("project", emu.project)
    kwargs.setdefault("location", "us-central1")
    return VertexConnection.create(api_endpoint=emu.url, credentials=emu.credentials(), **kwargs)


def listings(emu: VertexEmulator) -> list[Any]:
    return [r for r in emu.requests if r.route == "endpoints"]


def test_list_follows_next_page_token(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    for n in range(5):
        emu.add_endpoint(f"ep-{n}", display_name=f"endpoint {n}")
    emu.add_endpoint("elsewhere", location="europe-west4")
    emu.page_size = 2
    items = list_endpoints(connect(emu))
    assert [item["name"].rsplit("/", 1)[-1] for item in items] == [f"ep-{n}" for n in range(5)]
    assert items[0]["displayName"] == "endpoint 0"
    assert items[0]["name"].startswith("projects/")
    requests = listings(emu)
    assert [r.method for r in requests] == ["GET"] * 3
    assert {r.path for r in requests} == {
        f"/v1/projects/{emu.project}/locations/us-central1/endpoints"
    }
    assert "pageToken" not in requests[0].query
    assert requests[1].query["pageToken"] and requests[2].query["pageToken"]
    assert all(r.token for r in requests)  # signed by the connection's token source


def test_empty_location(vertex_emulator: VertexEmulator) -> None:
    assert list_endpoints(connect(vertex_emulator, location="asia-east1")) == []
    assert len(listings(vertex_emulator)) == 1


def test_vertex_error(vertex_emulator: VertexEmulator) -> None:
    connection = connect(vertex_emulator, project="not-mine")
    with pytest.raises(EndpointListError) as caught:
        list_endpoints(connection)
    error = caught.value
    assert error.status_code == 403
    assert str(error).startswith("Vertex AI answered HTTP 403: PERMISSION_DENIED: ")
    assert "aiplatform.endpoints.list" in str(error)
    assert error.url == f"{connection.target.location_url}/endpoints"
    assert "/projects/not-mine/locations/us-central1/" in error.url


@pytest.mark.parametrize(
    ("status", "html", "needle"),
    [
        (503, False, "HTTP 503: UNAVAILABLE: "),
        (404, True, "HTTP 404: NOT_FOUND: "),  # Google's HTML page, normalized by the transport
    ],
)
def test_vertex_error_statuses(
    vertex_emulator: VertexEmulator, status: int, html: bool, needle: str
) -> None:
    vertex_emulator.fail(status, route="endpoints", html=html, times=5)
    with pytest.raises(EndpointListError, match=needle) as caught:
        list_endpoints(connect(vertex_emulator))
    assert caught.value.status_code == status


def test_token_failure_is_a_credentials_error(vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.fail_token(error="invalid_grant", description="Invalid JWT Signature.")
    with pytest.raises(CredentialsError, match="invalid_grant"):
        list_endpoints(connect(vertex_emulator))
    assert listings(vertex_emulator) == []


def test_unreachable() -> None:
    connection = VertexConnection.create(
        project="p", location="us-central1", api_endpoint="http://127.0.0.1:9", api_key="token"
    )
    with pytest.raises(EndpointListError) as caught:
        list_endpoints(connection, timeout=5.0)
    assert caught.value.status_code is None
    assert str(caught.value).startswith("could not reach http://127.0.0.1:9: ")


class _Server(http.server.ThreadingHTTPServer):
    """Loopback server answering every GET with ``body`` (bytes), recording the requests."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[_Server]:
    server = _Server(request.param)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _static(server: _Server) -> VertexConnection:
    return VertexConnection.create(
        project="p", location="us-central1", api_endpoint=server.url, api_key="static-token"
    )


_REPEATING = json.dumps(
    {"endpoints": [{"name": "projects/p/locations/us-central1/endpoints/1"}], "nextPageToken": "t"}
).encode()


@pytest.mark.parametrize("server", [_REPEATING], indirect=True)
def test_a_repeated_page_token_ends_the_listing(server: _Server) -> None:
    items = list_endpoints(_static(server))
    assert len(items) == 2  # the first page, the page of token "t", then "t" again: stop
    assert [path for path, _ in server.requests] == [
        "/v1/projects/p/locations/us-central1/endpoints",
        "/v1/projects/p/locations/us-central1/endpoints?pageToken=t",
    ]
    assert {auth for _, auth in server.requests} == {"Bearer static-token"}


@pytest.mark.parametrize(
    ("server", "needle"),
    [
        (b"<html>not json</html>", "invalid JSON"),
        (b"[]", "unexpected listing"),
    ],
    indirect=["server"],
)
def test_an_unreadable_listing(server: _Server, needle: str) -> None:
    with pytest.raises(EndpointListError, match=needle) as caught:
        list_endpoints(_static(server))
    assert caught.value.status_code is None
    assert caught.value.url == f"{server.url}/v1/projects/p/locations/us-central1/endpoints"


@pytest.mark.parametrize("server", [b'{"endpoints": [1, "x", null, {"name": "a"}]}'], indirect=True)
def test_items_that_are_not_objects_are_skipped(server: _Server) -> None:
    assert list_endpoints(_static(server)) == [{"name": "a"}]


# --------------------------------------------------------------------------- describe_endpoint


def test_describe_listed_endpoints(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    dns = f"ded.us-central1-{emu.project_number}.prediction.vertexai.goog"
    emu.add_endpoint("shared", display_name="gemma", model="google/gemma-3-12b-it")
    emu.add_endpoint("ded", display_name="llama", dedicated_dns=dns)
    emu.add_endpoint("empty", deployed_models=[])
    connection = connect(emu)
    target = connection.target
    shared, dedicated, empty = (
        describe_endpoint(raw, target, emu.url) for raw in list_endpoints(connection)
    )
    assert shared["endpoint_id"] == "shared"
    assert shared["display_name"] == "gemma"
    assert shared["name"].endswith("/locations/us-central1/endpoints/shared")
    assert shared["project"] == emu.project and shared["location"] == "us-central1"
    (model,) = shared["deployed_models"]
    assert model["display_name"] == "google/gemma-3-12b-it"
    assert model["id"] and str(model["model"]).startswith("projects/")
    assert shared["dedicated_endpoint_dns"] is None
    # reached through the api_endpoint the listing went through
    assert shared["parameters"] == {
        "endpoint_id": "shared",
        "location": "us-central1",
        "api_endpoint": emu.url,
    }
    # a dedicated endpoint is reached through its own DNS only
    assert dedicated["dedicated_endpoint_dns"] == dns
    assert dedicated["parameters"] == {
        "endpoint_id": "ded",
        "location": "us-central1",
        "api_endpoint": f"https://{dns}",
    }
    assert empty["deployed_models"] == []
    assert list(shared) == [
        "endpoint_id",
        "display_name",
        "name",
        "project",
        "location",
        "deployed_models",
        "dedicated_endpoint_dns",
        "parameters",
    ]


def test_describe_on_google_host() -> None:
    target = resolve_target(project="p", location="us-central1")
    raw = {
        "name": "projects/123/locations/europe-west4/endpoints/mg-endpoint-1",
        "deployedModels": [{"id": "7", "displayName": "m", "model": "models/7"}, "junk"],
        "dedicatedEndpointEnabled": False,
        "dedicatedEndpointDns": "ignored.prediction.vertexai.goog",
    }
    info = describe_endpoint(raw, target)
    assert info["location"] == "europe-west4"  # from the resource name
    assert info["display_name"] is None
    assert info["deployed_models"] == [{"id": "7", "display_name": "m", "model": "models/7"}]
    assert info["dedicated_endpoint_dns"] is None  # not enabled
    assert info["parameters"] == {"endpoint_id": "mg-endpoint-1", "location": "europe-west4"}
    bare = describe_endpoint({"name": "42"}, target)
    assert bare["endpoint_id"] == "42" and bare["location"] == "us-central1"
