"""Data shared by the emulator modules (private): request logs, scripted faults, settings.

A leaf module (standard library only): the state, the OAuth side and the HTTP side all
import it, and it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


def _mask(token: str | None) -> str | None:
    if token is None:
        return None
    return token[:9] + "***" if len(token) > 12 else "***"


@dataclass(frozen=True, repr=False)
class RecordedRequest:
    """One Vertex API request the emulator received (token requests are logged separately).

    ``headers`` have lower-cased names and keep ``authorization`` as received; ``repr()``
    masks it. ``path`` excludes the query string (see ``query``). ``status`` is what the
    emulator answered (0 while undecided, or when the connection was dropped unanswered).
    """

    method: str
    path: str
    route: str  # "chat" | "embeddings" | "endpoints" | "unknown"
    headers: dict[str, str]
    body: Any
    token: str | None
    api_version: str | None
    project: str | None
    location: str | None
    endpoint_id: str | None
    status: int
    query: dict[str, str] = field(default_factory=dict)
    time: float = 0.0

    def __repr__(self) -> str:
        headers = dict(self.headers)
        if "authorization" in headers:
            scheme = headers["authorization"].split(" ", 1)[0]
            headers["authorization"] = f"{scheme} ***"
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, route={self.route!r}, "
            f"status={self.status}, token={_mask(self.token)!r}, headers={headers!r}, "
            f"body={self.body!r})"
        )


@dataclass(frozen=True)
class TokenRequest:
    """One hit on the emulator's OAuth token endpoint."""

    time: float
    grant_type: str | None
    status: int  # HTTP status answered (0 = connection dropped on purpose)
    error: str | None = None  # OAuth error code when refused
    access_token: str | None = field(default=None, repr=False)


@dataclass
class Fault:
    """A scripted Vertex error (``VertexEmulator.fail``)."""

    status: int
    remaining: int
    retry_after: float | None
    message: str | None
    route: str
    html: bool
    retry_delay: str | None = None  # google.rpc.RetryInfo.retryDelay, e.g. "1.5s"


@dataclass(frozen=True)
class RawReply:
    """Bytes to answer the next request on ``route`` with (``VertexEmulator.queue_raw``)."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]
    route: str  # "chat" | "embeddings" | "endpoints" | "any"


@dataclass
class TokenFault:
    """A scripted token endpoint error or disconnect (``VertexEmulator.fail_token``)."""

    error: str
    status: int
    remaining: int
    disconnect: bool
    description: str | None


@dataclass
class StreamFault:
    """A scripted broken stream (``VertexEmulator.cut_stream`` / ``malform_stream``)."""

    kind: Literal["cut", "malform"]
    remaining: int
    after_chunks: int = 2


@dataclass
class Endpoint:
    """A registered self-deployed endpoint (``VertexEmulator.add_endpoint``)."""

    endpoint_id: str
    display_name: str
    location: str
    deployed_models: list[dict[str, Any]]
    dedicated_dns: str | None
    model: str
    create_time: str


@dataclass
class Settings:
    """The emulator's configuration; ``VertexEmulator`` exposes each field as an attribute.

    Read by the request handlers on every request, so a change applies to the next one.
    """

    project: str
    project_number: str
    token_lifetime: float
    page_size: int
    client_email: str
    oauth_client_id: str = "emulator-client.apps.googleusercontent.com"
    oauth_client_secret: str = "emulator-client-secret"
    enforce_project: bool = True
    known_models: set[str] | None = None
    accept_dummy_signatures: bool = True
    always_stream_usage: bool = True
    embeddings_base64: bool = True
    accept_token_arrays: bool = False
    names_with_project_number: bool = False
    embedding_dimensions: int = 16
    # Defaults below follow Google's published shapes; each source is cited where the field
    # is read (``_routes.py``, ``_model.py``, ``_maas.py``, ``_errors.py``).
    gemini_stream_tool_call_index: bool = False
    signature_error_wording: Literal["2025", "2026"] = "2025"
    maas_reasoning: Literal["auto", "always", "never"] = "auto"
    maas_reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    maas_reasoning_tokens: Literal["zero", "count"] = "zero"
    flag_thought_deltas: bool = False
    stream_chunk_chars: int = 0
    maas_extra_keys: bool = True
    send_done: bool = True
    maas_capture_stream_shape: bool = False
    separate_usage_chunk: bool = False
    embeddings_max_inputs: int = 250
    gemini_embedding_max_inputs: int = 1
    # Files and schemas of Gemini requests (sources in ``_parts.py`` / ``_schemas.py``).
    accept_file_parts: bool = False
    accept_http_urls: bool = True
    gemini_schema_check: bool = True
