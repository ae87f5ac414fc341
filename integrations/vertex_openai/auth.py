"""Access tokens for Vertex AI: google-auth credentials → a bearer token on every request.

:class:`TokenSource` owns the credential state of one model (and of every copy of it, and of
its sync and async openai clients alike):

* the credential is resolved lazily: explicit ``google.auth.credentials.Credentials``, else
  Application Default Credentials on first use, so constructing a model touches no network;
* a fresh token is reused; a *stale* one (google-auth: 3 min 45 s before expiry) is still used
  while one background refresh runs, so no call waits on the token endpoint; an *invalid* one
  (none yet, expired, or rejected by Vertex with a 401) makes callers wait for that refresh;
* single flight: one token fetch however many threads or asyncio tasks ask at once; the
  refresh runs in a worker thread, so it never blocks an event loop;
* failures become :class:`~vertex_openai.CredentialsError`: permanent OAuth errors
  (``invalid_grant``, ``invalid_client``, ...) at once; connection errors and timeouts after a
  bounded number of retries with backoff (google-auth itself already retries 5xx/429 answers
  of the token endpoint three times with backoff).

:class:`VertexAuth` is the ``httpx.Auth`` flow given to the openai clients' HTTP clients: sign,
send, and on a 401 from Vertex refresh once and resend once (the openai SDK never retries 401).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import copy
import datetime
import functools
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Generator
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
from google.auth import _helpers as _google_auth_helpers

from .adc import adc_file, gcloud_adc_path
from .errors import CredentialsError
from .identity import Identity, adc_inputs, credential_identity
from .sdk_http import REQUEST_NOT_READ, AuthBase, http
from .target import check_universe_domain

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "REJECTION_INTERVAL",
    "TokenSource",
    "VertexAuth",
    "adc_file",
    "credentials_without_token",
    "gcloud_adc_path",
    "shared_token_source",
]

_LOGGER = logging.getLogger(__name__)

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

# google-auth's own threshold (3 min 45 s in 2.63), read from google-auth when it has one.
_REFRESH_THRESHOLD: datetime.timedelta = getattr(
    _google_auth_helpers, "REFRESH_THRESHOLD", datetime.timedelta(minutes=3, seconds=45)
)

#: Seconds during which a token obtained because Vertex rejected the previous one (401) is not
#: refreshed again on another 401: a persistent 401 (a revoked or unauthorized principal)
#: costs one token request per interval, not one per request.
REJECTION_INTERVAL = 30.0

REMEDY = (
    "Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a "
    "service-account key file, or pass credentials=..."
)


def _utcnow() -> datetime.datetime:
    # Same clock and naive/aware convention as google-auth's credential expiry.
    return _google_auth_helpers.utcnow()  # type: ignore[no-any-return,unused-ignore]


@functools.lru_cache(maxsize=1)
def _request_class() -> type[Any]:
    """google-auth's requests transport with our token-request timeout (its default is 120 s).

    Imported on the first token fetch (in the refresh thread): ``requests`` and google-auth's
    transport cost ~150 ms of import time that a model's construction should not pay.
    """
    import google.auth.transport.requests

    class _Request(google.auth.transport.requests.Request):  # type: ignore[misc,unused-ignore]
        def __init__(self, timeout: float) -> None:
            super().__init__()
            self._timeout = timeout

        def __call__(  # type: ignore[override,unused-ignore]
            self,
            url: str,
            method: str = "GET",
            body: Any = None,
            headers: Any = None,
            timeout: float | None = None,
            **kwargs: Any,
        ) -> Any:
            return super().__call__(  # type: ignore[no-untyped-call,unused-ignore]
                url,
                method=method,
                body=body,
                headers=headers,
                timeout=timeout or self._timeout,
                **kwargs,
            )

    return _Request


# One lock per credentials object: google-auth's refresh() is not thread-safe, and several
# models (a chat model and its embeddings, say) may be given the same credentials object.
_CREDENTIAL_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_CREDENTIAL_LOCKS_GUARD = threading.Lock()


def _credential_lock(credentials: Any) -> threading.Lock:
    with _CREDENTIAL_LOCKS_GUARD:  # a module global: replaced in a forked child
        try:
            lock = _CREDENTIAL_LOCKS.get(credentials)
            if lock is None:
                lock = _CREDENTIAL_LOCKS[credentials] = threading.Lock()
            return lock
        except TypeError:  # not weak-referenceable or not hashable: nothing to share
            return threading.Lock()


def _fresh(expiry: datetime.datetime | None) -> bool:
    return expiry is None or _utcnow() < expiry - _REFRESH_THRESHOLD


class TokenSource:
    """Bearer tokens for Vertex AI from one google-auth credential, or one static token.

    Args:
        credentials: explicit google-auth credentials; None for Application Default
            Credentials (resolved on first use).
        api_key: a static access token (as from ``gcloud auth print-access-token``), used as
            is and never refreshed. Exclusive with ``credentials``.
        quota_project: project billed for quota (header ``x-goog-user-project``); defaults to
            the credential's ``quota_project_id``.
        token_timeout: seconds one token request may take.
        max_attempts: attempts at the token endpoint for connection errors and timeouts.
        backoff: first backoff in seconds between those attempts (doubled each time).
    """

    def __init__(
        self,
        credentials: google.auth.credentials.Credentials | None = None,
        *,
        api_key: str | None = None,
        quota_project: str | None = None,
        token_timeout: float = 30.0,
        max_attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        if credentials is not None and api_key is not None:
            raise ValueError("pass either credentials or api_key (a static token), not both")
        if api_key is not None and not api_key.strip():
            raise ValueError("api_key must not be empty")
        # What the caller gave (None: ADC), for pickles: never the resolved ADC credential.
        self._given_credentials = credentials
        if credentials is not None:
            credentials = _scoped(credentials)
        self._credentials = credentials
        self._static = api_key
        self._quota_project = quota_project
        self._token_timeout = token_timeout
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._lock = threading.Lock()
        self._adc_lock = threading.Lock()
        self._adc_project: str | None = None
        self._token: str | None = None
        self._expiry: datetime.datetime | None = None
        # The token's state as monotonic deadlines, so the per-request check is two float
        # comparisons (no wall-clock datetime arithmetic on the hot path).
        self._fresh_until = 0.0
        self._valid_until = 0.0
        self._inflight: concurrent.futures.Future[str] | None = None
        self._retry_at = 0.0  # monotonic time before which a stale token is not refreshed again
        self._rejected: str | None = None  # the last token Vertex answered 401 to
        self._forced_until = 0.0  # monotonic: no refresh forced by a 401 before then
        self._request: Any = None
        # The registry key of a shared source (see shared_token_source); None otherwise.
        self._key: Any = None
        #: Successful token fetches made by this source (for diagnostics and benchmarks).
        self.fetch_count = 0
        if credentials is not None and credentials.token and credentials.valid:
            self._set_token_locked(credentials.token, credentials.expiry)
        _ALL_SOURCES.add(self)

    def _after_fork_in_child(self) -> None:
        """In a forked child: new locks, no refresh in flight (the parent's refresh thread
        does not exist here), no inherited token-endpoint session. A still valid token is
        kept; the child fetches its own when it needs one."""
        self._lock = threading.Lock()
        self._adc_lock = threading.Lock()
        self._inflight = None
        self._retry_at = 0.0
        self._request = None

    def __repr__(self) -> str:
        if self._static is not None:
            return "TokenSource(static token)"
        kind = type(self._credentials).__name__ if self._credentials else "ADC (unresolved)"
        return f"TokenSource(credentials={kind})"

    def pickle_state(self) -> dict[str, Any]:
        """What a pickle of a client on this source holds: the credential the caller gave
        (without its live token; None for Application Default Credentials, resolved again
        where it is unpickled), the static token if that is what was given, and the quota
        project. Never an access token obtained here, a lock or a session."""
        return {
            "credentials": credentials_without_token(self._given_credentials),
            "api_key": self._static,
            "quota_project": self._quota_project,
        }

    # -- credential -------------------------------------------------------------------------

    @property
    def is_static(self) -> bool:
        """True when a static token was given: it is never refreshed."""
        return self._static is not None

    def credentials(self) -> google.auth.credentials.Credentials | None:
        """The credential, resolving Application Default Credentials on first call.

        Returns None for a static token. Raises :class:`CredentialsError` when ADC finds
        nothing.
        """
        if self._static is not None:
            return None
        if self._credentials is None:
            with self._adc_lock:
                if self._credentials is None:
                    try:
                        creds, project = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
                    except google.auth.exceptions.DefaultCredentialsError as exc:
                        raise CredentialsError(
                            f"No Google credentials found (Application Default Credentials: "
                            f"{exc}). {REMEDY}"
                        ) from exc
                    check_universe_domain(_universe_of(creds), "Application Default Credentials")
                    self._adc_project = project
                    self._credentials = creds
        return self._credentials

    def default_project(self) -> str | None:
        """The project the credential carries (ADC's project or a service account's)."""
        creds = self.credentials()
        if self._adc_project:
            return self._adc_project
        project = getattr(creds, "project_id", None) or getattr(creds, "quota_project_id", None)
        return project if isinstance(project, str) and project else None

    def quota_project(self) -> str | None:
        """Project for ``x-goog-user-project``.

        The argument, else the credential's ``quota_project_id``, else the environment's
        GOOGLE_CLOUD_QUOTA_PROJECT (google-auth applies it to ADC itself, not to explicit
        credentials whose token we take).
        """
        if self._quota_project:
            return self._quota_project
        creds = self._credentials
        value = getattr(creds, "quota_project_id", None) if creds is not None else None
        if isinstance(value, str) and value:
            return value
        return os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT") or None

    # -- tokens -----------------------------------------------------------------------------

    def token(self, timeout: float | None = None) -> str:
        """A usable access token, waiting at most ``timeout`` seconds for a refresh."""
        if self._static is not None:
            return self._static
        current = self._token_or_refresh()
        if isinstance(current, str):
            return current
        try:
            return current.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise self._timed_out(timeout) from None

    async def atoken(self, timeout: float | None = None) -> str:
        """Async :meth:`token`: waits for a refresh without blocking the event loop."""
        if self._static is not None:
            return self._static
        current = self._token_or_refresh()
        if isinstance(current, str):
            return current
        try:
            return await asyncio.wait_for(asyncio.wrap_future(current), timeout)
        except asyncio.TimeoutError:
            raise self._timed_out(timeout) from None

    def invalidate(self, token: str) -> bool:
        """Vertex rejected ``token`` (401): drop it so the next caller refreshes.

        Returns False when refreshing cannot help (a static token).
        """
        if self._static is not None:
            return False
        now = time.monotonic()
        with self._lock:
            if self._token != token:
                return True  # already replaced (or being replaced): resend with the new one
            if now < self._forced_until:
                # This token replaced a rejected one moments ago and is rejected too: the
                # principal itself is refused; refreshing again cannot help before the
                # interval is over.
                return False
            self._forced_until = now + REJECTION_INTERVAL
            self._rejected = token
            self._set_token_locked(None, None)
            _forget_token(self._key)
        return True

    def sign(self, headers: Any, token: str) -> None:
        """Put ``token`` and the quota project on ``headers`` (a mutable mapping).

        Through google-auth's own ``Credentials.apply()``, so whatever headers the credential
        adds (the quota project it carries, the regional access boundary of google-auth
        >= 2.41's service accounts...) come along; then this source's quota project, which
        wins over the credential's.
        """
        creds = self._credentials
        if creds is not None and self._static is None:
            creds.apply(headers, token=token)
        else:
            headers["authorization"] = f"Bearer {token}"
        quota_project = self.quota_project()
        if quota_project:
            headers["x-goog-user-project"] = quota_project

    def _set_token_locked(self, token: str | None, expiry: datetime.datetime | None) -> None:
        self._token, self._expiry = token, expiry
        if token is None:
            self._fresh_until = self._valid_until = 0.0
        elif expiry is None:  # credentials that never expire
            self._fresh_until = self._valid_until = float("inf")
        else:
            self._valid_until = time.monotonic() + (expiry - _utcnow()).total_seconds()
            self._fresh_until = self._valid_until - _REFRESH_THRESHOLD.total_seconds()

    def _token_or_refresh(self) -> str | concurrent.futures.Future[str]:
        with self._lock:
            token = self._token
            now = time.monotonic()
            if token is not None and now < self._fresh_until:
                return token  # fresh
            if token is None or now >= self._valid_until:
                return self._inflight or self._start_refresh_locked()  # invalid: wait
            # Stale but valid: used while a background refresh runs (unless the last one
            # failed a moment ago).
            if self._inflight is None and now >= self._retry_at:
                self._start_refresh_locked()
            return token

    def _timed_out(self, timeout: float | None) -> CredentialsError:
        return CredentialsError(
            f"Timed out after {timeout} s waiting for a Google access token (the token endpoint "
            "did not answer in time)",
            transient=True,
        )

    def _start_refresh_locked(self) -> concurrent.futures.Future[str]:
        future: concurrent.futures.Future[str] = concurrent.futures.Future()
        # Running futures cannot be cancelled: a caller that gives up (timeout, cancelled task)
        # must not cancel the refresh the other callers wait on.
        future.set_running_or_notify_cancel()
        self._inflight = future
        threading.Thread(
            target=self._refresh, args=(future,), name="vertex-openai-token", daemon=True
        ).start()
        return future

    def _refresh(self, future: concurrent.futures.Future[str]) -> None:
        try:
            token, expiry = self._fetch()
        except BaseException as exc:  # delivered to every waiter
            with self._lock:
                self._inflight = None
                expiry = self._expiry
                if self._token is not None and expiry is not None:
                    # A background refresh failed while the token is still valid: nobody
                    # waits for this future, so say it, and retry later rather than at the
                    # next call (half the remaining validity, at most 30 s).
                    left = (expiry - _utcnow()).total_seconds()
                    delay = min(30.0, max(1.0, left / 2))
                    self._retry_at = time.monotonic() + delay
                    _LOGGER.warning(
                        "Background refresh of the Google access token failed (%s); the current "
                        "token stays valid for %.0f s, retrying in %.0f s",
                        exc,
                        left,
                        delay,
                    )
            future.set_exception(exc)
            return
        with self._lock:
            self._set_token_locked(token, expiry)
            self._inflight = None
            self._retry_at = 0.0
            self.fetch_count += 1
        _remember_token(self._key, token, expiry)
        future.set_result(token)

    def _fetch(self) -> tuple[str, datetime.datetime | None]:
        creds = self.credentials()
        assert creds is not None
        if self._request is None:
            self._request = _request_class()(self._token_timeout)
        kind = type(creds).__name__
        if type(creds).__module__ == "google.auth.compute_engine.credentials":
            # Known only from the metadata server (a request), hence checked here.
            check_universe_domain(creds.universe_domain, kind)
        with self._lock:
            known = {self._token, self._rejected}
        with _credential_lock(creds):
            shared = creds.token
            if shared and shared not in known and _fresh(creds.expiry):
                # Another model sharing this credentials object refreshed it just now.
                return shared, creds.expiry
            return self._refresh_credentials(creds, kind)

    def _refresh_credentials(
        self, creds: google.auth.credentials.Credentials, kind: str
    ) -> tuple[str, datetime.datetime | None]:
        for attempt in range(1, self._max_attempts + 1):
            try:
                creds.refresh(self._request)
            except google.auth.exceptions.RefreshError as exc:
                # google-auth has already retried the retryable answers (5xx, 429,
                # temporarily_unavailable) three times with backoff; anything else
                # (invalid_grant, invalid_client, ...) is permanent: not retried.
                transient = bool(getattr(exc, "retryable", False))
                what = "temporarily failed" if transient else "failed"
                raise CredentialsError(
                    f"Refreshing the Google access token ({kind}) {what}: {exc}. {REMEDY}",
                    transient=transient,
                ) from exc
            except google.auth.exceptions.TransportError as exc:
                if attempt >= self._max_attempts:
                    raise CredentialsError(
                        f"Could not reach the Google token endpoint ({kind}) after {attempt} "
                        f"attempts: {exc}",
                        transient=True,
                    ) from exc
                delay = self._backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
                _LOGGER.debug("token endpoint unreachable (attempt %d), retrying", attempt)
                time.sleep(delay)
                continue
            token = creds.token
            if not token:
                raise CredentialsError(f"Refreshing {kind} returned no access token. {REMEDY}")
            return token, creds.expiry
        raise AssertionError("unreachable")


def _timeout_of(request: http.Request) -> float | None:
    """The request's own timeout (the model's), used as the longest wait for a token."""
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        values = [v for v in timeout.values() if isinstance(v, (int, float))]
        return max(values) if values else None
    return None


def _replayable(request: http.Request) -> bool:
    """True when the request's body is in memory and can be sent again (not a generator)."""
    try:
        request.content  # noqa: B018 - raises for a streamed body not read
    except REQUEST_NOT_READ:
        return False
    return True


class VertexAuth(AuthBase):
    """``httpx.Auth`` flow: sign with a fresh token; on 401 refresh once and resend once.

    Under openai 3.x it is an ``httpx2.Auth`` too (:data:`~vertex_openai.sdk_http.AuthBase`):
    the connection's httpx2 clients and a caller's own httpx 0.x client both accept it.

    The resend happens only when the body can be replayed (bytes, JSON, a form; not a
    generator): a streamed upload gets the 401 as it is. A 401 to a token that itself replaced
    a rejected one moments ago is returned without another refresh (see
    :data:`REJECTION_INTERVAL`).
    """

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    def __repr__(self) -> str:
        return f"VertexAuth({self.source!r})"

    def sync_auth_flow(self, request: http.Request) -> Generator[http.Request, http.Response, None]:
        timeout = _timeout_of(request)
        token = self.source.token(timeout)
        self.source.sign(request.headers, token)
        response = yield request
        if response.status_code == 401 and _replayable(request) and self.source.invalidate(token):
            self.source.sign(request.headers, self.source.token(timeout))
            yield request

    async def async_auth_flow(
        self, request: http.Request
    ) -> AsyncGenerator[http.Request, http.Response]:
        timeout = _timeout_of(request)
        token = await self.source.atoken(timeout)
        self.source.sign(request.headers, token)
        response = yield request
        if response.status_code == 401 and _replayable(request) and self.source.invalidate(token):
            self.source.sign(request.headers, await self.source.atoken(timeout))
            yield request


# --------------------------------------------------------------------------------------------
# One token source per identity per process


def credentials_without_token(credentials: Any) -> Any:
    """A shallow copy of a google-auth credential without its access token (for pickles).

    The credential's own settings stay (a service account's private key, a user's refresh
    token: what it needs to fetch a token again); the live token and its expiry go, also from
    the credentials it wraps (impersonation's source credential).
    """
    if not isinstance(credentials, google.auth.credentials.Credentials):
        return credentials
    clone = copy.copy(credentials)
    clone.token = None
    clone.expiry = None
    for name, value in vars(clone).items():
        if isinstance(value, google.auth.credentials.Credentials):
            setattr(clone, name, credentials_without_token(value))
    return clone


def _scoped(credentials: Any) -> google.auth.credentials.Credentials:
    """``credentials`` checked (type, universe) and with the cloud-platform scope if needed."""
    if not isinstance(credentials, google.auth.credentials.Credentials):
        raise TypeError(
            "credentials must be a google.auth.credentials.Credentials, got "
            f"{type(credentials).__name__}"
        )
    check_universe_domain(_universe_of(credentials), type(credentials).__name__)
    scoped: google.auth.credentials.Credentials = google.auth.credentials.with_scopes_if_required(
        credentials, [CLOUD_PLATFORM_SCOPE]
    )
    return scoped


def _universe_of(credentials: Any) -> str | None:
    """The credential's universe domain when known without a request (None: not known yet;
    a Compute Engine credential learns it from the metadata server)."""
    if type(credentials).__module__ == "google.auth.compute_engine.credentials":
        return None
    value = getattr(credentials, "universe_domain", None)
    return value if isinstance(value, str) and value else None


_SOURCES: weakref.WeakValueDictionary[Any, TokenSource] = weakref.WeakValueDictionary()
_ALL_SOURCES: weakref.WeakSet[TokenSource] = weakref.WeakSet()
# The last tokens of recently used identities (token and expiry only: no credential, no
# pool): a model built per request, on the same identity, reuses the token after the models
# before it are gone. Bounded; a rejected token is dropped.
_RECENT_TOKENS: collections.OrderedDict[Any, tuple[str, datetime.datetime | None]] = (
    collections.OrderedDict()
)
_RECENT_TOKENS_MAX = 64
_REGISTRY_LOCK = threading.Lock()


def _remember_token(key: Any, token: str, expiry: datetime.datetime | None) -> None:
    if key is None:
        return
    with _REGISTRY_LOCK:
        _RECENT_TOKENS[key] = (token, expiry)
        _RECENT_TOKENS.move_to_end(key)
        while len(_RECENT_TOKENS) > _RECENT_TOKENS_MAX:
            _RECENT_TOKENS.popitem(last=False)


def _forget_token(key: Any) -> None:
    if key is not None:
        with _REGISTRY_LOCK:
            _RECENT_TOKENS.pop(key, None)


def shared_token_source(
    credentials: google.auth.credentials.Credentials | None = None,
    *,
    api_key: str | None = None,
    quota_project: str | None = None,
) -> TokenSource:
    """The one :class:`TokenSource` of this process for an identity.

    Every caller authenticating as the same identity (credential type and principal, scopes,
    quota project: :func:`~vertex_openai.identity.credential_identity`) gets the same source,
    so one token fetch serves them all, whichever credential object each was given. With no
    credentials, Application Default Credentials: one source while ADC's inputs stay the same
    (:func:`~vertex_openai.identity.adc_inputs`; ADC is then resolved once), a new one, resolved
    again, for callers that come after GOOGLE_APPLICATION_CREDENTIALS, the gcloud ADC file or
    CLOUDSDK_CONFIG changed. A credential of unknown type is shared per object. A static
    ``api_key`` gets a source of its own (nothing to fetch).

    The registry holds sources weakly: a source lives as long as a connection uses it. The
    last token of each of the 64 most recent identities is kept (not the credential), so
    models built and dropped one per request still make one token request in all.
    """
    if api_key is not None:
        return TokenSource(credentials, api_key=api_key, quota_project=quota_project)
    key: Any
    if credentials is None:
        key = (adc_inputs(), quota_project)
    else:
        identity: Identity | None = credential_identity(_scoped(credentials))
        key = (identity if identity is not None else ("object", id(credentials)), quota_project)
    with _REGISTRY_LOCK:
        source = _SOURCES.get(key)
        if source is not None:
            return source
        recent = _RECENT_TOKENS.get(key)
    source = TokenSource(credentials, quota_project=quota_project)
    source._key = key
    if recent is not None and source._token is None and _fresh(recent[1]):
        with source._lock:
            source._set_token_locked(*recent)
    with _REGISTRY_LOCK:
        # Another thread may have registered one meanwhile: that one wins.
        return _SOURCES.setdefault(key, source)


def _after_fork_in_child() -> None:
    global _REGISTRY_LOCK, _CREDENTIAL_LOCKS_GUARD, _CREDENTIAL_LOCKS
    _REGISTRY_LOCK = threading.Lock()
    _CREDENTIAL_LOCKS_GUARD = threading.Lock()
    _CREDENTIAL_LOCKS = weakref.WeakKeyDictionary()
    for source in list(_ALL_SOURCES):
        source._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)
