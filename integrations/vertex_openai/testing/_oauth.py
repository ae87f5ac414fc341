"""OAuth side of the emulator (private): the token endpoint, JWT checks, the token store.

Needs ``cryptography`` (the ``[testing]`` extra) for RS256. The token endpoint handler is
written against :class:`TokenEndpointState`, which ``_state.EmulatorState`` satisfies, so this
module imports neither the state nor the HTTP layer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import _errors
from ._records import Settings, TokenFault, TokenRequest
from ._responses import OAUTH_JSON_TYPE, Drop, Reply, Response

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_GRANT = "refresh_token"

_key_lock = threading.Lock()
_key_cache: tuple[rsa.RSAPrivateKey, str, str] | None = None


def signing_key() -> tuple[rsa.RSAPrivateKey, str, str]:
    """The per-process RSA key: (key, PKCS#8 PEM, key id). Generated once, then cached."""
    global _key_cache
    with _key_lock:
        if _key_cache is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            der = key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            _key_cache = (key, pem, hashlib.sha1(der).hexdigest())
        return _key_cache


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class JWTError(Exception):
    """The assertion is not acceptable; ``str(exc)`` is Google's error_description."""


# Google OAuth's error_description texts for bad assertions (seen in google-auth RefreshError
# messages across many public reports: "invalid_grant: Invalid JWT Signature.").
_BAD_SIGNATURE = "Invalid JWT Signature."
_BAD_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)


def verify_assertion(assertion: str, public_key: rsa.RSAPublicKey, issuer: str) -> dict[str, Any]:
    """Verify an RS256 JWT-bearer assertion; return its claims or raise :class:`JWTError`.

    The audience is not checked against the emulator's URL: google-auth always puts Google's
    token URL in ``aud`` (googleapis/google-auth-library-python,
    ``google/oauth2/service_account.py``: the assertion's ``aud`` is
    ``_GOOGLE_OAUTH2_TOKEN_ENDPOINT`` whatever the ``token_uri``).
    """
    parts = assertion.split(".")
    if len(parts) != 3:
        raise JWTError(_BAD_SIGNATURE)
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise JWTError(_BAD_SIGNATURE) from exc
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise JWTError(_BAD_SIGNATURE)
    try:
        public_key.verify(
            signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise JWTError(_BAD_SIGNATURE) from exc
    if not isinstance(claims, dict):
        raise JWTError(_BAD_SIGNATURE)
    if claims.get("iss") != issuer:
        raise JWTError("Invalid grant: account not found")
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
        raise JWTError(_BAD_TIMEFRAME)
    if exp - iat > 3600 + 5 or exp < now - 300 or iat > now + 300:
        raise JWTError(_BAD_TIMEFRAME)
    return claims


@dataclass
class _Token:
    expires_at: float
    revoked: bool = False


class TokenStore:
    """Thread-safe registry of issued access and refresh tokens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> client_id

    def issue(self, lifetime: float) -> str:
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = _Token(time.time() + lifetime)
        return token

    def check(self, token: str) -> bool:
        """True when ``token`` was issued here, is not revoked and has not expired."""
        with self._lock:
            entry = self._tokens.get(token)
            return entry is not None and not entry.revoked and time.time() < entry.expires_at

    def revoke(self, token: str | None) -> None:
        with self._lock:
            if token is None:
                # Access tokens only: refresh tokens stay usable, so a client holding one
                # can mint a fresh access token (revoke a refresh token by passing it).
                for entry in self._tokens.values():
                    entry.revoked = True
            elif token in self._tokens:
                self._tokens[token].revoked = True
            else:
                self._refresh_tokens.pop(token, None)

    def issue_refresh_token(self, client_id: str) -> str:
        token = "1//emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self._refresh_tokens[token] = client_id
        return token

    def refresh_client(self, refresh_token: str) -> str | None:
        """The client id a refresh token was issued to, or None if unknown / revoked."""
        with self._lock:
            return self._refresh_tokens.get(refresh_token)


# --------------------------------------------------------------------------- token endpoint

TOKEN_PATH = "/token"

_TOKEN_ERROR_TEXT: dict[str, str] = {
    # Google OAuth's usual descriptions for these codes.
    "invalid_grant": "Invalid grant: account not found",
    "invalid_client": "The OAuth client was not found.",
    "temporarily_unavailable": "The service is temporarily unavailable.",
    "internal_failure": "Backend error.",
    "server_error": "Backend error.",
}


class TokenEndpointState(Protocol):
    """What the token endpoint needs of the emulator state (``_state.EmulatorState``)."""

    settings: Settings

    def sleep(self, seconds: float) -> None: ...
    def token_latency(self) -> float: ...
    def take_token_fault(self) -> TokenFault | None: ...
    def record_token(self, entry: TokenRequest) -> None: ...
    def issue_token(self, lifetime: float | None = None) -> str: ...
    def refresh_client(self, refresh_token: str) -> str | None: ...


def parse_form(content_type: str, raw_body: bytes) -> dict[str, str]:
    """The token request's fields: form-encoded (what google-auth sends) or JSON."""
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            parsed = json.loads(raw_body)
            if isinstance(parsed, dict):
                return {k: str(v) for k, v in parsed.items()}
        return {}
    return {k: v[-1] for k, v in parse_qs(raw_body.decode("utf-8", "replace")).items()}


def token_endpoint(state: TokenEndpointState, content_type: str, raw_body: bytes) -> Reply:
    """Answer ``POST /token``: the JWT-bearer and refresh-token grants google-auth uses.

    Log entries are written before the answer is returned, so a client finds its request in
    ``token_requests`` once it has the answer.
    """
    form = parse_form(content_type, raw_body)
    grant = form.get("grant_type")
    settings = state.settings
    state.sleep(state.token_latency())

    def refuse(status: int, error: str, description: str | None) -> Response:
        state.record_token(TokenRequest(time.time(), grant, status, error))
        return Response(status, _errors.oauth_error_json(error, description), OAUTH_JSON_TYPE)

    fault = state.take_token_fault()
    if fault is not None:
        if fault.disconnect:
            state.record_token(TokenRequest(time.time(), grant, 0, "disconnect"))
            return Drop()
        description = fault.description or _TOKEN_ERROR_TEXT.get(fault.error, fault.error)
        return refuse(fault.status, fault.error, description)

    if grant == JWT_BEARER_GRANT:
        key, _, _ = signing_key()
        try:
            claims = verify_assertion(
                form.get("assertion", ""), key.public_key(), settings.client_email
            )
        except JWTError as exc:
            return refuse(400, "invalid_grant", str(exc))
        if not claims.get("scope") and not claims.get("target_audience"):
            return refuse(
                400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
    elif grant == REFRESH_GRANT:
        client = state.refresh_client(form.get("refresh_token", ""))
        if form.get("client_id") != settings.oauth_client_id or (
            form.get("client_secret") != settings.oauth_client_secret
        ):
            return refuse(401, "invalid_client", _TOKEN_ERROR_TEXT["invalid_client"])
        if client is None:
            return refuse(400, "invalid_grant", "Token has been expired or revoked.")
    else:
        return refuse(400, "unsupported_grant_type", f"Invalid grant_type: {grant or ''}")
    lifetime = settings.token_lifetime
    access_token = state.issue_token(lifetime)
    state.record_token(TokenRequest(time.time(), grant, 200, None, access_token))
    return Response(
        200,
        json.dumps(
            {"access_token": access_token, "expires_in": int(lifetime), "token_type": "Bearer"}
        ).encode(),
        OAUTH_JSON_TYPE,
        {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
    )
