"""Where Application Default Credentials (ADC) would come from, found without network.

google-auth's ``google.auth.default()`` searches, in order (Google Cloud's page "How Application
Default Credentials works",
https://cloud.google.com/docs/authentication/application-default-credentials):

1. the file named by ``GOOGLE_APPLICATION_CREDENTIALS``;
2. gcloud's ``application_default_credentials.json`` (written by
   ``gcloud auth application-default login``) under ``CLOUDSDK_CONFIG``;
3. the metadata server of Google Cloud (Compute Engine, Cloud Run, GKE...).

With nothing configured, google-auth's metadata-server probe takes seconds to fail. The
functions here answer "where would ADC come from?" by looking at the environment and the file
system only; :func:`metadata_server_answers` (and :func:`locate_adc` with
``probe_metadata=True``) makes one short probe when asked. Nothing here reads a credential or
fetches a token: :class:`~vertex_openai.auth.TokenSource` does that.
"""

from __future__ import annotations

import logging
import os
import pathlib
from dataclasses import dataclass

__all__ = [
    "FROM_ENVIRONMENT",
    "FROM_GCLOUD",
    "FROM_METADATA_SERVER",
    "METADATA_PROBE_SECONDS",
    "AdcLocation",
    "adc_file",
    "gcloud_adc_path",
    "locate_adc",
    "metadata_server_answers",
]

#: :attr:`AdcLocation.source` of the file named by GOOGLE_APPLICATION_CREDENTIALS.
FROM_ENVIRONMENT = "GOOGLE_APPLICATION_CREDENTIALS file"
#: :attr:`AdcLocation.source` of gcloud's ADC file.
FROM_GCLOUD = "gcloud ADC file"
#: :attr:`AdcLocation.source` of a Google Cloud metadata server.
FROM_METADATA_SERVER = "metadata server"

#: Default timeout of :func:`metadata_server_answers`, in seconds.
METADATA_PROBE_SECONDS = 1.0


def gcloud_adc_path() -> pathlib.Path:
    """gcloud's ADC file: ``application_default_credentials.json`` under CLOUDSDK_CONFIG.

    The path google-auth reads, whether or not the file exists.
    """
    try:
        from google.auth import _cloud_sdk

        return pathlib.Path(_cloud_sdk.get_application_default_credentials_path())
    except (ImportError, AttributeError):  # pragma: no cover - google-auth internals moved
        config = os.environ.get("CLOUDSDK_CONFIG")
        if not config:
            base = os.environ.get("APPDATA", "") if os.name == "nt" else "~/.config"
            config = os.path.join(os.path.expanduser(base), "gcloud")
        return pathlib.Path(config) / "application_default_credentials.json"


@dataclass(frozen=True)
class AdcLocation:
    """Where Application Default Credentials would come from (see :func:`locate_adc`).

    Attributes:
        source: :data:`FROM_ENVIRONMENT`, :data:`FROM_GCLOUD`, :data:`FROM_METADATA_SERVER`,
            or None when nothing was found.
        path: the credential file for the two file sources, as named by the environment
            variable or as google-auth computes gcloud's path; None otherwise. With
            GOOGLE_APPLICATION_CREDENTIALS set this file may be missing (see :attr:`exists`):
            google-auth then fails rather than fall back to the next source.
        gcloud_path: gcloud's ADC path (:func:`gcloud_adc_path`), whether or not it exists.
        metadata_probed: whether a metadata server was probed (False: the search stopped at
            a file, or :func:`locate_adc` was told not to probe).
    """

    source: str | None
    path: str | None = None
    gcloud_path: str = ""
    metadata_probed: bool = False

    @property
    def found(self) -> bool:
        """True when some source was found (the file may still be missing: :attr:`exists`)."""
        return self.source is not None

    @property
    def exists(self) -> bool:
        """False only for a credential file that is named but missing."""
        return self.path is None or os.path.isfile(self.path)

    def describe(self) -> str:
        """``"<source> <path>"``, ``"metadata server"``, or ``"nothing"``."""
        if self.source is None:
            return "nothing"
        return f"{self.source} {self.path}" if self.path else self.source

    def nothing_found(self) -> str:
        """Why nothing was found: the places searched, for an error message."""
        metadata = (
            "no metadata server answered (not on Google Cloud)"
            if self.metadata_probed
            else "the metadata server was not probed"
        )
        return (
            "GOOGLE_APPLICATION_CREDENTIALS is not set, there is no gcloud ADC file at "
            f"{self.gcloud_path}, and {metadata}"
        )


def metadata_server_answers(timeout: float = METADATA_PROBE_SECONDS) -> bool:
    """True when a Google Cloud metadata server answers within ``timeout`` (one attempt).

    google-auth's own probe makes up to 3 attempts of 3 s each; this one is short. Honours
    ``NO_GCE_CHECK=true`` like google-auth (False without any network). On Linux a machine
    that says it is a Compute Engine VM (its DMI product name) also counts. Errors in the probe
    itself count as "maybe" (True): the caller then lets google-auth decide.
    """
    if os.environ.get("NO_GCE_CHECK") == "true":
        return False
    logger = logging.getLogger("google.auth.compute_engine._metadata")
    level = logger.level
    logger.setLevel(logging.ERROR)  # ping logs a warning per failed attempt
    try:
        import google.auth.transport.requests
        from google.auth.compute_engine import _metadata

        request = google.auth.transport.requests.Request()
        if _metadata.ping(request, timeout=timeout, retry_count=1):
            return True
        return os.name != "nt" and bool(_metadata.detect_gce_residency_linux())
    except Exception:  # pragma: no cover - unknown google-auth internals: let it decide
        return True
    finally:
        logger.setLevel(level)


def locate_adc(
    *, probe_metadata: bool = False, timeout: float = METADATA_PROBE_SECONDS
) -> AdcLocation:
    """The first place google-auth's ADC search would use, in its order.

    Looks at GOOGLE_APPLICATION_CREDENTIALS, then gcloud's ADC file; only with
    ``probe_metadata=True`` and neither present does it probe a metadata server
    (:func:`metadata_server_answers` with ``timeout``). Without the probe, a result with no
    source does not rule out a metadata server.
    """
    gcloud_path = str(gcloud_adc_path())
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if explicit:
        return AdcLocation(FROM_ENVIRONMENT, explicit, gcloud_path)
    if os.path.isfile(gcloud_path):
        return AdcLocation(FROM_GCLOUD, gcloud_path, gcloud_path)
    if not probe_metadata:
        return AdcLocation(None, None, gcloud_path)
    if metadata_server_answers(timeout):
        return AdcLocation(FROM_METADATA_SERVER, None, gcloud_path, metadata_probed=True)
    return AdcLocation(None, None, gcloud_path, metadata_probed=True)


def adc_file() -> pathlib.Path | None:
    """The credential file Application Default Credentials would read, without any network.

    GOOGLE_APPLICATION_CREDENTIALS when set (None if that file is missing), else gcloud's ADC
    file when it exists. None does not rule out a metadata server (on Google Cloud).
    """
    location = locate_adc()
    if location.path is None or not location.exists:
        return None
    return pathlib.Path(location.path)
