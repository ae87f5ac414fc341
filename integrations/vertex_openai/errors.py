"""Exceptions raised by vertex-openai.

Both subclass :class:`openai.OpenAIError`. The openai SDK re-raises an ``OpenAIError`` that
comes out of its HTTP client as is (no retry, no wrapping into ``APIConnectionError``), so
the caller of ``invoke``/``complete`` sees these exceptions themselves.
"""

from __future__ import annotations

import openai

__all__ = ["CredentialsError", "UniverseDomainError", "VertexOptionError", "VertexStreamError"]


class CredentialsError(openai.OpenAIError):
    """No access token could be obtained for Vertex AI.

    The original error (google-auth's ``RefreshError``, ``TransportError`` or
    ``DefaultCredentialsError``) is chained as ``__cause__``.

    Attributes:
        transient: True when the failure looked temporary (token endpoint 5xx, connection
            error, timeout) and bounded retries were exhausted; False for permanent failures
            (``invalid_grant``, ``invalid_client``, no credentials configured), which are not
            retried.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class UniverseDomainError(CredentialsError, ValueError):
    """The credential belongs to another universe than ``googleapis.com`` (not supported).

    Also a ``ValueError``: raised while a model or client is built, before anything is sent.
    """


class VertexOptionError(openai.OpenAIError, ValueError):
    """A request option Vertex AI does not document (e.g. an unknown ``service_tier``).

    Raised before the request is sent (and, as an ``OpenAIError`` from the HTTP client, not
    retried by the openai SDK).
    """


class VertexStreamError(openai.OpenAIError):
    """A streamed answer ended before Vertex said it was complete, or could not be parsed.

    Raised instead of ending the stream quietly with a partial answer.
    """
