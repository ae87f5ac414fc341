"""A connection to Vertex AI: target + token source + HTTP clients, and plain openai clients.

Every class of this package (the plain openai clients, LangChain, LlamaIndex, the CLI) reaches
Vertex through a :class:`VertexConnection`. A model and all its copies share one connection.
Connections share what can be shared across a process:

* one :class:`~vertex_openai.auth.TokenSource` per identity
  (:func:`~vertex_openai.auth.shared_token_source`): N models on the same service account, or
  on Application Default Credentials, make one token request;
* one connection pool per origin and transport options (:mod:`vertex_openai.pool`), with one
  async pool per running event loop, reset in a forked child.

Nothing is kept alive for a connection nobody uses: the registries hold weak references.
:meth:`VertexConnection.close` / :meth:`~VertexConnection.aclose` release its clients now.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import sys
import threading
import urllib.request
from collections.abc import Sequence
from typing import Any

import google.auth.credentials
import openai

from .auth import TokenSource, VertexAuth, shared_token_source
from .pool import AsyncPooledTransport, PooledTransport, shared_pool
from .sdk_http import http
from .target import VertexTarget, resolve_target
from .transport import AsyncVertexTransport, VertexTransport

__all__ = [
    "PLACEHOLDER_API_KEY",
    "SocketOption",
    "VertexConnection",
    "async_openai_client",
    "default_socket_options",
    "openai_client",
    "static_token",
]

#: What the openai SDK is given as api_key: the real bearer token is set per request by
#: :class:`~vertex_openai.auth.VertexAuth`, so no token is ever stored in a client or model.
PLACEHOLDER_API_KEY = "vertex-openai-google-auth"

# The openai SDK's own defaults for its HTTP clients (openai._constants).
_TIMEOUT = http.Timeout(timeout=600.0, connect=5.0)
_LIMITS = http.Limits(max_connections=1000, max_keepalive_connections=100)

#: ``(level, option, value)``, as given to ``socket.setsockopt``.
SocketOption = tuple[int, int, int]

# Linux and macOS numbers of the TCP keep-alive options (<netinet/tcp.h>; the socket module
# lacks some of them on some platforms).
_LINUX_TCP = {"idle": 4, "interval": 5, "count": 6, "user_timeout": 18}
_DARWIN_TCP = {"idle": 0x10, "interval": 0x101, "count": 0x102}


def _int_env(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value >= 0 else default


@functools.lru_cache(maxsize=8)
def _supported(options: tuple[SocketOption, ...]) -> tuple[SocketOption, ...]:
    """The options this platform's kernel accepts (probed once on a throwaway socket)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except Exception:  # a sandbox without sockets: let connect() tell
        return options
    kept = []
    try:
        for level, name, value in options:
            try:
                probe.setsockopt(level, name, value)
            except OSError:
                continue
            kept.append((level, name, value))
    finally:
        probe.close()
    return tuple(kept)


def default_socket_options() -> tuple[SocketOption, ...]:
    """langchain-openai's TCP keep-alive profile, for every connection of this package.

    The same defaults and the same environment variables as langchain-openai's own httpx
    clients (``_default_socket_options`` in
    https://github.com/langchain-ai/langchain/blob/master/libs/partners/openai/langchain_openai/chat_models/_client_utils.py):
    ``SO_KEEPALIVE``, then on Linux idle 60 s, interval 10 s, 3 probes and
    ``TCP_USER_TIMEOUT`` 120 s (macOS: the first three), so a silent peer (a NAT that dropped
    the connection mid-stream) surfaces within about two minutes instead of hanging.
    ``LANGCHAIN_OPENAI_TCP_KEEPALIVE=0`` turns them off; ``LANGCHAIN_OPENAI_TCP_KEEPIDLE``,
    ``_KEEPINTVL``, ``_KEEPCNT`` and ``_USER_TIMEOUT_MS`` tune them. Options the kernel refuses
    are dropped. Unlike langchain-openai, proxies from the environment are still honoured
    with these options (this package mounts the proxy itself).
    """
    if os.environ.get("LANGCHAIN_OPENAI_TCP_KEEPALIVE", "1") == "0":
        return ()
    idle = _int_env("LANGCHAIN_OPENAI_TCP_KEEPIDLE", 60)
    interval = _int_env("LANGCHAIN_OPENAI_TCP_KEEPINTVL", 10)
    count = _int_env("LANGCHAIN_OPENAI_TCP_KEEPCNT", 3)
    user_timeout = _int_env("LANGCHAIN_OPENAI_TCP_USER_TIMEOUT_MS", 120000)
    options: list[SocketOption] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    tcp = socket.IPPROTO_TCP
    if sys.platform == "linux":
        options += [
            (tcp, _LINUX_TCP["idle"], idle),
            (tcp, _LINUX_TCP["interval"], interval),
            (tcp, _LINUX_TCP["count"], count),
            (tcp, _LINUX_TCP["user_timeout"], user_timeout),
        ]
    elif sys.platform == "darwin":
        options += [
            (tcp, _DARWIN_TCP["idle"], idle),
            (tcp, _DARWIN_TCP["interval"], interval),
            (tcp, _DARWIN_TCP["count"], count),
        ]
    return _supported(tuple(options))


def _socket_options(value: Sequence[Sequence[int]] | None) -> tuple[SocketOption, ...]:
    """None: :func:`default_socket_options`; ``()``: none; else the options as given."""
    if value is None:
        return default_socket_options()
    options = []
    for option in value:
        if len(option) != 3 or not all(isinstance(part, int) for part in option):
            raise ValueError(
                f"socket options are (level, option, value) triples of ints, got {option!r}"
            )
        options.append((option[0], option[1], option[2]))
    return tuple(options)


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One SSL context for every connection: building one costs ~50 ms (certifi's bundle)."""
    return http.create_ssl_context()


def _proxy_for(url: str) -> str | None:
    """The proxy the environment sets for ``url``, never for loopback.

    ``HTTPS_PROXY`` / ``HTTP_PROXY`` for the URL's scheme, else ``ALL_PROXY``; none for a host
    ``NO_PROXY`` names (urllib's rules, as httpx's own environment proxies). Our transports are
    given to httpx explicitly, so httpx does not mount the environment's proxies itself; this
    keeps corporate proxies working.
    """
    parsed = http.URL(url)
    if parsed.host in ("127.0.0.1", "localhost", "::1") or parsed.host.startswith("127."):
        return None
    if urllib.request.proxy_bypass(parsed.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parsed.scheme) or proxies.get("all") or None


def static_token(value: Any) -> Any:
    """Check an ``api_key`` argument: a static access token (str or SecretStr) or None.

    A callable would look like a refreshing token source and is refused: refreshing tokens
    come from ``credentials`` (or Application Default Credentials).
    """
    if value is None or isinstance(value, str) or hasattr(value, "get_secret_value"):
        return value
    raise ValueError(
        "api_key must be a static access token (str), e.g. from `gcloud auth "
        "print-access-token`; for refreshing tokens pass credentials=... or rely on "
        f"Application Default Credentials (got {type(value).__name__})"
    )


def _secret(value: Any) -> str | None:
    """A plain string from a str or a pydantic SecretStr."""
    value = static_token(value)
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if callable(getter) else value)


class VertexConnection:
    """Target, token source and the HTTP clients that sign every request.

    Build it with :meth:`create` (which shares the token source per identity). It holds no
    token itself: :attr:`token_source` does, and never shows it in ``repr``.

    Args:
        target: where requests go.
        token_source: the tokens (a hand-built one is used as given, not shared).
        socket_options: TCP socket options of its connections; None for
            :func:`default_socket_options`, ``()`` for none.
    """

    def __init__(
        self,
        target: VertexTarget,
        token_source: TokenSource,
        *,
        socket_options: Sequence[Sequence[int]] | None = None,
    ) -> None:
        self.target = target
        self.token_source = token_source
        self._auth = VertexAuth(token_source)
        self._socket_options = _socket_options(socket_options)
        self._lock = threading.Lock()
        self._http_client: http.Client | None = None
        self._async_http_client: http.AsyncClient | None = None
        self._async_lease: AsyncPooledTransport | None = None

    @classmethod
    def create(
        cls,
        *,
        project: str | None = None,
        location: str | None = None,
        endpoint_id: str | None = None,
        api_version: str | None = None,
        api_endpoint: str | None = None,
        credentials: google.auth.credentials.Credentials | None = None,
        quota_project: str | None = None,
        api_key: Any = None,
        socket_options: Sequence[Sequence[int]] | None = None,
    ) -> VertexConnection:
        """Validate the target and set up auth; no network unless the project must come from ADC.

        Args:
            project: Google Cloud project; else GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT; else
                the ADC credential's project.
            location: ``global`` (default), a region, or ``us`` / ``eu``; else
                GOOGLE_CLOUD_LOCATION.
            endpoint_id: a self-deployed Model Garden endpoint; None for Gemini and MaaS.
            api_version: ``v1`` (default) or ``v1beta1``.
            api_endpoint: replaces scheme and host (dedicated DNS, PSC, the emulator).
            credentials: google-auth credentials; None for Application Default Credentials.
                The token source is the process's one for that identity
                (:func:`~vertex_openai.auth.shared_token_source`).
            quota_project: header ``x-goog-user-project``.
            api_key: a static access token (str or SecretStr), never refreshed.
            socket_options: TCP socket options (langchain-openai's ``http_socket_options``);
                None for :func:`default_socket_options`, ``()`` for none.

        Raises:
            ValueError: bad target parameters or socket options;
                :class:`~vertex_openai.errors.UniverseDomainError` (a ValueError) for a
                credential of another universe than googleapis.com.
        """
        source = shared_token_source(
            credentials, api_key=_secret(api_key), quota_project=quota_project
        )
        target = resolve_target(
            project=project,
            location=location,
            endpoint_id=endpoint_id,
            api_version=api_version,
            api_endpoint=api_endpoint,
            default_project=None if source.is_static else source.default_project,
        )
        return cls(target, source, socket_options=socket_options)

    def __repr__(self) -> str:
        return f"VertexConnection(base_url={self.base_url!r}, {self.token_source!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its target (as resolved here) and the credential the caller gave.

        See :meth:`~vertex_openai.auth.TokenSource.pickle_state`: a service-account credential
        holds its private key, a user credential its refresh token; no access token, pool or
        lock is pickled. Unpickled, it joins the process's token source for that identity.
        """
        state = self.token_source.pickle_state()
        return (_restored_connection, (self.target, state, self._socket_options))

    @property
    def base_url(self) -> str:
        """The OpenAI ``base_url`` of the target."""
        return self.target.base_url

    def check_base_url(self, name: str, value: Any) -> None:
        """Refuse a framework's own base-URL parameter unless it equals the derived one.

        Raises:
            ValueError: the URL is derived from project, location, endpoint_id, api_version
                and api_endpoint; a different one would send the token elsewhere.
        """
        if value not in (None, "", self.base_url):
            raise ValueError(
                f"{name}={value!r} cannot be set: it is derived from project, location, "
                "endpoint_id, api_version and api_endpoint (use api_endpoint to change the host)"
            )

    def model_name(self, model: str | None) -> str:
        """The model name to send (``google/`` added to a bare name on openapi)."""
        return self.target.model_name(model)

    @property
    def auth(self) -> VertexAuth:
        """The ``httpx.Auth`` that signs requests (for a caller's own httpx client; under
        openai 3.x it is an ``httpx2.Auth`` as well, for an ``httpx2.Client``)."""
        return self._auth

    @property
    def socket_options(self) -> tuple[SocketOption, ...]:
        """The TCP socket options of this connection's sockets."""
        return self._socket_options

    def _pool(self) -> Any:
        url = http.URL(self.base_url)
        proxy = _proxy_for(self.base_url)
        options: dict[str, Any] = {"verify": _ssl_context(), "limits": _LIMITS, "proxy": proxy}
        if self._socket_options:
            options["socket_options"] = list(self._socket_options)
        key = (url.scheme, url.host, url.port, proxy, self._socket_options)
        return shared_pool(key, options)

    def _client_options(self) -> dict[str, Any]:
        return {"auth": self._auth, "timeout": _TIMEOUT, "follow_redirects": True}

    def http_client(self) -> http.Client:
        """This connection's sync HTTP client: signed, Vertex-aware errors and streams.

        An ``httpx2.Client`` when the installed openai is built on httpx2 (openai 3.x), else
        an ``httpx.Client`` (see :mod:`vertex_openai.sdk_http`).

        Its sockets are the process's shared pool for this host (see :mod:`vertex_openai.pool`).
        """
        with self._lock:
            client = self._http_client
            if client is None or client.is_closed:
                transport = VertexTransport(PooledTransport(self._pool()))
                client = self._http_client = http.Client(
                    transport=transport, **self._client_options()
                )
            return client

    def async_http_client(self) -> http.AsyncClient:
        """This connection's async HTTP client (``httpx2.AsyncClient`` under openai 3.x, else
        ``httpx.AsyncClient``); usable from any event loop (one pool each)."""
        with self._lock:
            client = self._async_http_client
            if client is None or client.is_closed:
                self._async_lease = AsyncPooledTransport(self._pool())
                client = self._async_http_client = http.AsyncClient(
                    transport=AsyncVertexTransport(self._async_lease), **self._client_options()
                )
            return client

    def close(self) -> None:
        """Release this connection's HTTP clients now (sockets close when no other connection
        of the process uses the same pool). Clients made afterwards get new ones.

        Async sockets of a running loop are closed by :meth:`aclose`; here they are dropped.
        """
        with self._lock:
            client, self._http_client = self._http_client, None
            lease, self._async_lease = self._async_lease, None
            self._async_http_client = None
        if client is not None:
            client.close()
        if lease is not None:
            lease.release()

    async def aclose(self) -> None:
        """:meth:`close`, closing the running loop's async sockets gracefully."""
        with self._lock:
            client, self._http_client = self._http_client, None
            async_client, self._async_http_client = self._async_http_client, None
            self._async_lease = None
        if client is not None:
            client.close()
        if async_client is not None:
            await async_client.aclose()

    def openai_client(self, **kwargs: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` on this connection (kwargs: timeout, max_retries, ...).

        Nothing of OpenAI's environment (``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``,
        ``OPENAI_CUSTOM_HEADERS``, ...) reaches Google, from this client or from its copies
        (``with_options``). The client pickles and deep-copies (see :meth:`__reduce__`).
        """
        client = _OpenAI(**self.client_kwargs(is_async=False), **kwargs)
        client._vertex_connection = self
        return client

    def async_openai_client(self, **kwargs: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` on this connection (see :meth:`openai_client`)."""
        client = _AsyncOpenAI(**self.client_kwargs(is_async=True), **kwargs)
        client._vertex_connection = self
        return client

    def client_kwargs(self, *, is_async: bool) -> dict[str, Any]:
        """What an openai client on this connection is built with: the placeholder api_key
        (the token is set per request), the base URL and the signed HTTP client, of the
        library the installed openai is built on (so openai 3.x skips its httpx 0.x
        adaptation layer)."""
        return {
            "api_key": PLACEHOLDER_API_KEY,
            "base_url": self.base_url,
            "http_client": self.async_http_client() if is_async else self.http_client(),
        }


# What the openai SDK fills in from OPENAI_* variables when an argument is None (its client's
# __init__: openai/_client.py in 1.x and 2.x, openai/lib/_client_auth.py in 3.x): OPENAI_ORG_ID
# and OPENAI_PROJECT_ID become the OpenAI-Organization / OpenAI-Project headers of every
# request, OPENAI_ADMIN_KEY an Authorization fallback, OPENAI_CUSTOM_HEADERS extra headers.
# Base URL and api_key are always given explicitly.
_OPENAI_ENV_ATTRIBUTES = ("organization", "project", "admin_api_key", "webhook_secret")


def _drop_openai_environment(client: openai.OpenAI | openai.AsyncOpenAI, given: Any) -> None:
    """Undo what ``client.__init__`` took from OpenAI's environment; keep the arguments."""
    for name in _OPENAI_ENV_ATTRIBUTES:
        if given.get(name) is None and getattr(client, name, None) is not None:
            setattr(client, name, None)
    # The SDK merged OPENAI_CUSTOM_HEADERS into its custom headers: keep only the caller's.
    client._custom_headers = dict(given.get("default_headers") or {})


def _restored_connection(
    target: VertexTarget, state: dict[str, Any], socket_options: tuple[SocketOption, ...]
) -> VertexConnection:
    """An unpickled connection: same target, the process's token source for the identity."""
    source = shared_token_source(
        state["credentials"], api_key=state["api_key"], quota_project=state["quota_project"]
    )
    return VertexConnection(target, source, socket_options=socket_options)


def _client_settings(client: openai.OpenAI | openai.AsyncOpenAI) -> dict[str, Any]:
    """The caller's settings of an openai client (what a pickle or deep copy keeps)."""
    settings: dict[str, Any] = {
        "timeout": client.timeout,
        "max_retries": client.max_retries,
        "default_headers": dict(client._custom_headers) or None,
        "default_query": dict(client._custom_query) or None,
    }
    for name in _OPENAI_ENV_ATTRIBUTES:
        if getattr(client, name, None) is not None:
            settings[name] = getattr(client, name)
    return settings


def _restored_client(
    connection: VertexConnection, is_async: bool, settings: dict[str, Any]
) -> openai.OpenAI | openai.AsyncOpenAI:
    build = connection.async_openai_client if is_async else connection.openai_client
    return build(**settings)


class _VertexClient:
    """Pickling, deep copies and copies of the openai clients of a connection.

    A pickle (or ``copy.deepcopy``) holds the connection's target and the credential the
    caller gave (a service-account credential holds its private key; a static ``api_key``
    stays that key; with Application Default Credentials nothing: they are resolved again
    where the client is unpickled) and the client's settings (timeout, max_retries, default
    headers and query). Never an access token, an HTTP client, a pool or a lock: the copy
    builds its own, lazily, and shares the process's token source for its identity.
    """

    _vertex_connection: VertexConnection | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        connection = self._vertex_connection
        if connection is None:
            raise TypeError(
                f"this {type(self).__mro__[2].__name__} was not made by a VertexConnection "
                "and cannot be pickled"
            )
        client: Any = self
        is_async = isinstance(client, openai.AsyncOpenAI)
        return (_restored_client, (connection, is_async, _client_settings(client)))

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """The SDK's ``copy`` / ``with_options``, keeping the connection (for pickles)."""
        new = super().copy(*args, **kwargs)  # type: ignore[misc]
        new._vertex_connection = self._vertex_connection
        return new

    with_options = copy


class _OpenAI(_VertexClient, openai.OpenAI):
    """``openai.OpenAI`` that ignores OpenAI's environment (copies are built by __init__ too)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _drop_openai_environment(self, kwargs)


class _AsyncOpenAI(_VertexClient, openai.AsyncOpenAI):
    """``openai.AsyncOpenAI`` that ignores OpenAI's environment."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _drop_openai_environment(self, kwargs)


def openai_client(
    *,
    project: str | None = None,
    location: str | None = None,
    endpoint_id: str | None = None,
    api_version: str | None = None,
    api_endpoint: str | None = None,
    credentials: google.auth.credentials.Credentials | None = None,
    quota_project: str | None = None,
    api_key: str | None = None,
    **client_kwargs: Any,
) -> openai.OpenAI:
    """An ``openai.OpenAI`` client for Vertex AI that keeps its token fresh forever.

    The drop-in replacement for Google's ``OpenAICredentialsRefresher`` sample::

        import vertex_openai

        client = vertex_openai.openai_client(project="my-project", location="global")
        client.chat.completions.create(
            model="google/gemini-2.5-flash",
            messages=[{"role": "user", "content": "Why is the sky blue?"}],
        )

    The model name is sent as given (use the ``publisher/model`` form on openapi).
    ``client_kwargs`` go to ``openai.OpenAI`` (timeout, max_retries, default_headers, ...).
    """
    connection = VertexConnection.create(
        project=project,
        location=location,
        endpoint_id=endpoint_id,
        api_version=api_version,
        api_endpoint=api_endpoint,
        credentials=credentials,
        quota_project=quota_project,
        api_key=api_key,
    )
    return connection.openai_client(**client_kwargs)


def async_openai_client(
    *,
    project: str | None = None,
    location: str | None = None,
    endpoint_id: str | None = None,
    api_version: str | None = None,
    api_endpoint: str | None = None,
    credentials: google.auth.credentials.Credentials | None = None,
    quota_project: str | None = None,
    api_key: str | None = None,
    **client_kwargs: Any,
) -> openai.AsyncOpenAI:
    """An ``openai.AsyncOpenAI`` client for Vertex AI; see :func:`openai_client`."""
    connection = VertexConnection.create(
        project=project,
        location=location,
        endpoint_id=endpoint_id,
        api_version=api_version,
        api_endpoint=api_endpoint,
        credentials=credentials,
        quota_project=quota_project,
        api_key=api_key,
    )
    return connection.async_openai_client(**client_kwargs)
