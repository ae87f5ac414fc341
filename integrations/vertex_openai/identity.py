"""Who a google-auth credential authenticates as, read without network.

Two credential objects that authenticate as the same principal, with the same scopes and
quota project, get the same access tokens from Google: one
:class:`~vertex_openai.auth.TokenSource` can serve both. :func:`credential_identity` is the
key of that sharing, built from what the credential object already holds (no token request,
no metadata-server call):

* service account (``google.oauth2.service_account``): email, private-key id, subject
  (domain-wide delegation), token URI, additional claims;
* user (``google.oauth2.credentials``, as written by ``gcloud auth application-default
  login``): client id, a digest of the refresh token, token URI;
* impersonation (``google.auth.impersonated_credentials``): target principal, delegates,
  lifetime, and the identity of the source credential;
* external account / workload identity federation (``google.auth.external_account`` and its
  ``identity_pool`` / ``aws`` / ``pluggable`` kinds, ``external_account_authorized_user``):
  audience, token URL, subject-token type, impersonation URL, a digest of the credential
  source, client id;
* Compute Engine / Cloud Run / GKE metadata server (``google.auth.compute_engine``): the
  service-account name and the metadata host.

Any other credential type has no known identity (None): it is shared per object only.
Secrets (refresh tokens, credential sources) enter the key only as SHA-256 digests.

:func:`adc_inputs` is the key of Application Default Credentials: what google-auth's ADC
search reads (the environment variables and the two credential files, by path and by their
modification time), so ADC is resolved once per process and again when one of them changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Hashable
from typing import Any

from .adc import gcloud_adc_path

__all__ = ["Identity", "adc_inputs", "credential_identity"]

#: A hashable tuple naming one principal (see :func:`credential_identity`).
Identity = tuple[Hashable, ...]


def _digest(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, bytes)):
        value = json.dumps(value, sort_keys=True, default=str)
    data = value if isinstance(value, bytes) else value.encode()
    return hashlib.sha256(data).hexdigest()


def _scopes(credentials: Any) -> tuple[str, ...]:
    scopes = getattr(credentials, "_scopes", None) or getattr(credentials, "scopes", None)
    default = getattr(credentials, "_default_scopes", None)
    return tuple(sorted(set(scopes or default or ())))


def _principal(credentials: Any) -> tuple[Hashable, ...] | None:
    module = type(credentials).__module__
    get = credentials.__dict__.get
    if module == "google.oauth2.service_account":
        signer = get("_signer")
        return (
            get("_service_account_email"),
            getattr(signer, "key_id", None),
            get("_subject"),
            get("_token_uri"),
            _digest(get("_additional_claims") or None),
        )
    if module == "google.oauth2.credentials":
        refresh_token = get("_refresh_token")
        if not refresh_token:
            return None  # a bare token: nothing to refresh, nothing to share
        return (get("_client_id"), _digest(refresh_token), get("_token_uri"))
    if module == "google.auth.impersonated_credentials":
        source = get("_source_credentials")
        inner = credential_identity(source) if source is not None else None
        if inner is None:
            return None
        delegates = tuple(get("_delegates") or ())
        return (get("_target_principal"), delegates, get("_lifetime"), inner)
    if module == "google.auth.external_account_authorized_user":
        return (
            get("_audience"),
            get("_client_id"),
            _digest(get("_refresh_token")),
            get("_token_url"),
        )
    if module.startswith("google.auth.") and "_subject_token_type" in credentials.__dict__:
        # identity_pool, aws, pluggable: google.auth.external_account.Credentials subclasses.
        return (
            get("_audience"),
            get("_subject_token_type"),
            get("_token_url"),
            get("_service_account_impersonation_url"),
            _digest(get("_credential_source")),
            get("_client_id"),
            get("_workforce_pool_user_project"),
        )
    if module == "google.auth.compute_engine.credentials":
        host = os.environ.get("GCE_METADATA_HOST") or os.environ.get("GCE_METADATA_ROOT")
        return (get("_service_account_email"), host)
    return None


def credential_identity(credentials: Any) -> Identity | None:
    """The identity ``credentials`` authenticate as, or None when it cannot be told.

    ``(type, principal..., scopes, quota project)``; equal for two objects that get the same
    tokens from Google (see the module documentation for what each credential type
    contributes). Reads the object's attributes only: no network, no token.
    """
    principal = _principal(credentials)
    if principal is None:
        return None
    kind = f"{type(credentials).__module__}.{type(credentials).__qualname__}"
    quota = credentials.__dict__.get("_quota_project_id")
    universe = credentials.__dict__.get("_universe_domain")
    return (kind, principal, _scopes(credentials), quota, universe)


def _file_state(path: str) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def adc_inputs() -> Identity:
    """What Application Default Credentials would be resolved from, as a key.

    The variables google-auth's ADC search and its credentials read
    (GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_CONFIG, GOOGLE_CLOUD_QUOTA_PROJECT,
    GOOGLE_CLOUD_PROJECT, the metadata host) and the state of the two credential files (inode,
    size, modification time): equal while ADC would resolve to the same credential. Costs two
    ``stat`` calls.
    """
    env = os.environ
    explicit = env.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    gcloud = str(gcloud_adc_path())
    return (
        "adc",
        explicit,
        _file_state(explicit) if explicit else None,
        env.get("CLOUDSDK_CONFIG", ""),
        gcloud,
        _file_state(gcloud),
        env.get("GOOGLE_CLOUD_QUOTA_PROJECT", ""),
        env.get("GOOGLE_CLOUD_PROJECT", ""),
        env.get("GCE_METADATA_HOST", ""),
    )
