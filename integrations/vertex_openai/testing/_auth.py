"""OAuth side of the emulator (private): signing key, JWT verification, token store."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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
    token URL in ``aud`` (VERTEX_FACTS "Auth").
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
