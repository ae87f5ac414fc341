"""Self-deployed Vertex AI endpoints of a location, and how to reach each one.

:func:`list_endpoints` is ``gcloud ai endpoints list`` through a
:class:`~vertex_openai.connection.VertexConnection` (signed by its token source):
``GET {location_url}/endpoints``, following ``nextPageToken`` (REST reference
``projects.locations.endpoints.list``,
https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints/list).
:func:`describe_endpoint` turns one listed endpoint into the parameters that reach it
(``endpoint_id``, ``location``, ``api_endpoint``) for the clients and models of this package.

Framework-free: the core only (its HTTP client, :mod:`vertex_openai.sdk_http`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import openai

from .connection import VertexConnection
from .sdk_http import http
from .target import VertexTarget

__all__ = [
    "DeployedModelInfo",
    "EndpointInfo",
    "EndpointListError",
    "describe_endpoint",
    "list_endpoints",
]


class EndpointListError(openai.OpenAIError):
    """Listing endpoints failed: Vertex answered an error or an unreadable page, or was not
    reached.

    Attributes:
        status_code: the HTTP status of Vertex's error answer; None when Vertex was not
            reached or answered 2xx with a body that is not an endpoint listing.
        url: the listing URL (without page token).
    """

    def __init__(self, message: str, *, url: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code


class DeployedModelInfo(TypedDict):
    """A model deployed on an endpoint (``deployedModels[]`` of the REST resource)."""

    id: Any
    display_name: Any
    model: Any


class EndpointInfo(TypedDict):
    """One endpoint and the parameters that reach it through vertex-openai."""

    endpoint_id: str
    display_name: Any
    #: The resource name ``projects/P/locations/L/endpoints/ID``.
    name: str
    project: str
    location: str
    deployed_models: list[DeployedModelInfo]
    #: ``dedicatedEndpointDns`` (no scheme) when a dedicated endpoint is enabled, else None.
    dedicated_endpoint_dns: str | None
    #: ``endpoint_id``, ``location`` and, when needed, ``api_endpoint``: keyword arguments
    #: of ``ChatVertexOpenAI``, ``VertexOpenAILike``, ``vertex_openai.openai_client``...
    parameters: dict[str, str]


def _error_message(response: http.Response) -> str:
    """Vertex's message from its (normalized) JSON error body, else the body's start."""
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or "")
    return message or response.text.strip()[:300] or response.reason_phrase


def list_endpoints(connection: VertexConnection, *, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Every endpoint of the connection's project and location, following ``nextPageToken``.

    Returns the REST ``Endpoint`` resources as Vertex sends them (``name``, ``displayName``,
    ``deployedModels``, ``dedicatedEndpointDns``...), in Vertex's order. The connection's
    location must be a region (endpoints are regional; the target's endpoint id is not used).
    A page token seen before ends the listing (no endless loop on a misbehaving server).

    Raises:
        EndpointListError: Vertex answered an HTTP error, an unreadable page, or could not be
            reached within ``timeout`` seconds per page.
        CredentialsError: no access token could be obtained.
    """
    client = connection.http_client()
    url = f"{connection.target.location_url}/endpoints"
    items: list[dict[str, Any]] = []
    page_token: str | None = None
    seen: set[str] = set()
    while True:
        params = {"pageToken": page_token} if page_token else None
        try:
            response = client.get(url, params=params, timeout=timeout)
        except http.HTTPError as exc:
            raise EndpointListError(
                f"could not reach {connection.target.origin}: {exc}", url=url
            ) from exc
        if response.status_code >= 400:
            raise EndpointListError(
                f"Vertex AI answered HTTP {response.status_code}: {_error_message(response)}",
                url=url,
                status_code=response.status_code,
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise EndpointListError(
                f"Vertex AI answered with invalid JSON for GET {url}", url=url
            ) from exc
        if not isinstance(data, dict):
            raise EndpointListError(
                f"Vertex AI answered an unexpected listing for GET {url}", url=url
            )
        items.extend(e for e in data.get("endpoints") or [] if isinstance(e, dict))
        page_token = data.get("nextPageToken") or None
        if page_token is None or page_token in seen:
            return items
        seen.add(page_token)


def describe_endpoint(
    raw: Mapping[str, Any], target: VertexTarget, api_endpoint: str | None = None
) -> EndpointInfo:
    """One listed endpoint (a REST ``Endpoint`` resource) and the parameters that reach it.

    Args:
        raw: an item of :func:`list_endpoints`.
        target: the target it was listed through (its project, and the location when the
            resource name has none).
        api_endpoint: the ``api_endpoint`` the listing went through (Private Service Connect,
            an emulator...), repeated in the parameters of endpoints on the shared host;
            None for Google's default host.

    An endpoint with a dedicated endpoint enabled gets ``api_endpoint="https://{DNS}"``: once
    it is enabled, the shared ``{region}-aiplatform.googleapis.com`` host no longer serves that
    endpoint (REST reference ``projects.locations.endpoints``, field ``dedicatedEndpointDns``,
    https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints).
    """
    name = str(raw.get("name", ""))
    endpoint_id = name.rsplit("/", 1)[-1]
    location = target.location
    parts = name.split("/")
    if len(parts) >= 6 and parts[2] == "locations":
        location = parts[3]
    models: list[DeployedModelInfo] = []
    for model in raw.get("deployedModels") or []:
        if isinstance(model, dict):
            models.append(
                {
                    "id": model.get("id"),
                    "display_name": model.get("displayName"),
                    "model": model.get("model"),
                }
            )
    dns = raw.get("dedicatedEndpointDns") if raw.get("dedicatedEndpointEnabled", True) else None
    dns = dns if isinstance(dns, str) and dns else None
    parameters: dict[str, str] = {"endpoint_id": endpoint_id, "location": location}
    if dns:
        parameters["api_endpoint"] = f"https://{dns}"
    elif api_endpoint:
        parameters["api_endpoint"] = api_endpoint
    return {
        "endpoint_id": endpoint_id,
        "display_name": raw.get("displayName"),
        "name": name,
        "project": target.project,
        "location": location,
        "deployed_models": models,
        "dedicated_endpoint_dns": dns,
        "parameters": parameters,
    }
