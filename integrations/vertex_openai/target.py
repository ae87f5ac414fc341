"""Where requests go: project, location and endpoint → the Vertex base URL.

One implementation shared by the plain openai clients, the LangChain and the LlamaIndex
classes, and the CLI. Everything is validated here, before any request is made.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import UniverseDomainError

__all__ = [
    "API_VERSIONS",
    "DEFAULT_UNIVERSE_DOMAIN",
    "OPENAPI_ENDPOINT",
    "VertexTarget",
    "check_universe_domain",
    "resolve_target",
]

#: The universe whose hosts this package knows (``*aiplatform.googleapis.com``): google-auth's
#: default universe (``google.auth.credentials.DEFAULT_UNIVERSE_DOMAIN``).
DEFAULT_UNIVERSE_DOMAIN = "googleapis.com"

#: The endpoint that serves Gemini and partner (MaaS) models.
OPENAPI_ENDPOINT = "openapi"

#: Accepted API versions. REST samples use v1beta1, Python samples v1; both serve the
#: OpenAI-compatible routes (Vertex docs, "Call Vertex AI models by using the OpenAI library").
API_VERSIONS = ("v1", "v1beta1")

# Multi-region locations served from their own hosts (Google's "Supported locations" page for
# generative AI, section "Multi-region endpoints":
# https://docs.cloud.google.com/gemini-enterprise-agent-platform/resources/locations).
_MULTI_REGION_HOSTS = {
    "us": "aiplatform.us.rep.googleapis.com",
    "eu": "aiplatform.eu.rep.googleapis.com",
}

# One URL path segment. Letters, digits and the unreserved punctuation; ":" for domain-scoped
# projects ("example.com:my-project"). Anything else ("/", "?", "%", whitespace) could change
# the URL the token is sent to.
_SEGMENT = re.compile(r"[A-Za-z0-9._~:-]+")
# A location is also part of the host name ({location}-aiplatform.googleapis.com).
_LOCATION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_universe_domain(universe_domain: str | None, what: str) -> None:
    """Refuse a credential of another universe than ``googleapis.com`` (None: not known yet).

    Google Cloud's other universes (Trusted Partner Cloud, Google Distributed Cloud) serve
    Vertex AI from hosts of their own domain (google-auth's ``universe_domain``,
    https://googleapis.dev/python/google-auth/latest/reference/google.auth.credentials.html):
    this package's hosts are ``googleapis.com`` ones, so a token of another universe would be
    sent to the wrong place. Refused until supported.

    Raises:
        UniverseDomainError: another universe.
    """
    if universe_domain is None or universe_domain == DEFAULT_UNIVERSE_DOMAIN:
        return
    raise UniverseDomainError(
        f"{what} belongs to the universe domain {universe_domain!r}; vertex-openai supports "
        f"only {DEFAULT_UNIVERSE_DOMAIN!r} (the *aiplatform.googleapis.com hosts) for now"
    )


def _segment(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value or not value.strip():
        raise ValueError(f"{name} must not be empty")
    if value in (".", "..") or not _SEGMENT.fullmatch(value):
        raise ValueError(
            f"{name}={value!r} is not a valid single path segment: use letters, digits, "
            "'-', '_', '.' or ':' only (no '/', whitespace or '..')"
        )
    return value


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(api_endpoint: str) -> str:
    """Validate ``api_endpoint`` and return ``scheme://host[:port]`` without a trailing slash."""
    raw = api_endpoint.strip()
    if not raw:
        raise ValueError("api_endpoint must not be empty")
    if "://" not in raw:
        # Dedicated endpoint DNS comes without a scheme
        # (REST reference, projects.locations.endpoints).
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"api_endpoint must use https (got scheme {parts.scheme!r})")
    host = parts.hostname
    if not host:
        raise ValueError(f"api_endpoint {api_endpoint!r} has no host")
    if parts.username or parts.password:
        raise ValueError("api_endpoint must not contain credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"api_endpoint {api_endpoint!r} must be a scheme and host only (no path or query); "
            "the /v1/projects/... path is built from project, location and endpoint_id"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"api_endpoint {api_endpoint!r} has an invalid port") from exc
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"api_endpoint {api_endpoint!r} uses plain http on a non-loopback host: that would "
            "send the access token in clear; use https (plain http is allowed only for "
            "127.0.0.0/8, ::1 and localhost)"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}"


def _default_host(location: str) -> str:
    if location == "global":
        return "aiplatform.googleapis.com"
    return _MULTI_REGION_HOSTS.get(location, f"{location}-aiplatform.googleapis.com")


@dataclass(frozen=True)
class VertexTarget:
    """A validated Vertex AI OpenAI-compatible endpoint.

    Build it with :func:`resolve_target`, which applies the defaults and validation.

    Attributes:
        project: Google Cloud project id.
        location: ``global``, a region such as ``us-central1``, or ``us`` / ``eu``.
        endpoint_id: a self-deployed Model Garden endpoint, or None for ``openapi``.
        api_version: ``v1`` or ``v1beta1``.
        origin: ``scheme://host[:port]`` the requests go to.
    """

    project: str
    location: str
    endpoint_id: str | None
    api_version: str
    origin: str

    @property
    def endpoint(self) -> str:
        """The endpoint path segment: the endpoint id, or ``openapi``."""
        return self.endpoint_id or OPENAPI_ENDPOINT

    @property
    def is_openapi(self) -> bool:
        """True for the shared endpoint that serves Gemini and MaaS models."""
        return self.endpoint_id is None

    @property
    def location_url(self) -> str:
        """``{origin}/{version}/projects/{project}/locations/{location}``."""
        return f"{self.origin}/{self.api_version}/projects/{self.project}/locations/{self.location}"

    @property
    def base_url(self) -> str:
        """The OpenAI ``base_url``: ``.../endpoints/openapi`` or ``.../endpoints/{id}``."""
        return f"{self.location_url}/endpoints/{self.endpoint}"

    def model_name(self, model: str | None) -> str:
        """The model name to send.

        On ``openapi`` Vertex wants ``publisher/model`` (every sample of the Vertex docs page
        "Using OpenAI libraries with Vertex AI" does) and answers 400 "Malformed publisher
        model name" to a bare name (users' reports), so a bare name gets
        ``google/``. On a self-deployed endpoint the model field is ignored by Vertex and
        passes through unchanged.
        """
        if not self.is_openapi:
            return model or ""
        if not model or not model.strip():
            raise ValueError("model is required on the openapi endpoint (e.g. 'gemini-2.5-flash')")
        model = model.strip()
        if "/" in model:
            return model
        if model.endswith("-maas"):
            # Partner models are not Google's: google/<name> would be a confusing 404.
            raise ValueError(
                f"model={model!r} is a partner (MaaS) model: give its publisher, e.g. "
                "'meta/llama-3.3-70b-instruct-maas' or 'deepseek-ai/deepseek-v3.1-maas'"
            )
        return f"google/{model}"


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def resolve_target(
    *,
    project: str | None = None,
    location: str | None = None,
    endpoint_id: str | None = None,
    api_version: str | None = None,
    api_endpoint: str | None = None,
    default_project: Callable[[], str | None] | None = None,
) -> VertexTarget:
    """Apply defaults and validate, before anything is sent.

    Args:
        project: the project id; else ``GOOGLE_CLOUD_PROJECT`` / ``GCLOUD_PROJECT``; else
            ``default_project()`` (the ADC credential's project).
        location: else ``GOOGLE_CLOUD_LOCATION``; else ``global``.
        endpoint_id: a self-deployed endpoint id; None (or ``"openapi"``) for Gemini/MaaS.
        api_version: ``v1`` (default) or ``v1beta1``.
        api_endpoint: replaces scheme and host (dedicated endpoint DNS, Private Service
            Connect, the emulator). ``http://`` only for loopback hosts.
        default_project: called only when no project was given or found in the environment.

    Raises:
        ValueError: naming the offending parameter.
    """
    version = api_version or "v1"
    if version not in API_VERSIONS:
        raise ValueError(f"api_version must be one of {', '.join(API_VERSIONS)} (got {version!r})")
    loc = _segment(
        "location", location if location is not None else _env("GOOGLE_CLOUD_LOCATION") or "global"
    )
    if not _LOCATION.fullmatch(loc):
        raise ValueError(
            f"location={loc!r} is not a Vertex location: lower-case letters, digits and "
            "hyphens, e.g. 'global', 'us-central1', 'europe-west4', 'us'"
        )
    endpoint = None
    if endpoint_id is not None and endpoint_id != OPENAPI_ENDPOINT:
        endpoint = _segment("endpoint_id", endpoint_id)
        if loc == "global":
            raise ValueError(
                "endpoint_id needs a regional location (e.g. location='us-central1'): "
                "self-deployed endpoints are regional and not served on 'global'"
            )
    origin = _origin(api_endpoint) if api_endpoint is not None else f"https://{_default_host(loc)}"
    proj = project if project is not None else _env("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
    if proj is None and default_project is not None:
        proj = default_project()
    if proj is None:
        raise ValueError(
            "no Google Cloud project: pass project=..., set GOOGLE_CLOUD_PROJECT, or use "
            "credentials that carry a project (gcloud config set project ...)"
        )
    return VertexTarget(
        project=_segment("project", proj),
        location=loc,
        endpoint_id=endpoint,
        api_version=version,
        origin=origin,
    )
