"""How long the openai SDK waits before retrying a Vertex error: Vertex's word first.

The openai SDK does the retrying (``max_retries``; it retries 408, 409, 429 and 5xx). Its own
schedule starts at 0.5 s (``INITIAL_RETRY_DELAY`` in ``openai/_constants.py``) and it honours
a server's ``retry-after-ms`` / ``Retry-After`` header up to two minutes
(``_calculate_retry_timeout`` in ``openai/_base_client.py``, 2.x and 3.x alike). Vertex says
how long to wait in the error body instead: a ``google.rpc.RetryInfo`` detail with a
``retryDelay`` duration (``"1.5s"``; Google's error model,
https://cloud.google.com/apis/design/errors#error_details, and the RetryInfo message of
https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto).
:func:`retry_delay` turns what the answer says into the delay the transport hands the SDK
as ``retry-after-ms``:

1. ``RetryInfo.retryDelay`` in the body, else the ``Retry-After`` header (seconds or an HTTP
   date);
2. else, for 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE, exponential backoff from 1 s with
   jitter (Google's guidance for 429s: "truncated exponential backoff" starting at about a
   second, https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 and
   https://cloud.google.com/storage/docs/retry-strategy#exponential-backoff), by the retry
   count the SDK sends (``x-stainless-retry-count``);
3. never more than :data:`MAX_DELAY` (60 s) nor the request's own timeout.

How many times is still the user's ``max_retries``.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import time
from collections.abc import Mapping
from typing import Any

__all__ = [
    "BACKOFF_STATUSES",
    "FIRST_BACKOFF",
    "MAX_DELAY",
    "parse_duration",
    "retry_after_header",
    "retry_delay",
    "retry_info_delay",
]

#: The longest wait handed to the SDK, in seconds.
MAX_DELAY = 60.0
#: The first backoff for 429 / 503 without a server-given delay, in seconds.
FIRST_BACKOFF = 1.0
#: Statuses that get the backoff (RESOURCE_EXHAUSTED, UNAVAILABLE).
BACKOFF_STATUSES = frozenset({429, 503})
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def parse_duration(value: Any) -> float | None:
    """Seconds of a proto3 JSON Duration (``"1.5s"``, ``"53s"``); None if not one."""
    if isinstance(value, Mapping):  # {"seconds": 1, "nanos": 500000000} (proto, not JSON form)
        try:
            return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
        except (TypeError, ValueError):
            return None
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        seconds = float(value[:-1])
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_info_delay(body: bytes) -> float | None:
    """``retryDelay`` of the first ``google.rpc.RetryInfo`` detail of a Google error body.

    Accepts ``{"error": {...}}`` and Vertex's one-element list ``[{"error": {...}}]``.
    """
    if b"RetryInfo" not in body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    error = parsed.get("error") if isinstance(parsed, Mapping) else None
    details = error.get("details") if isinstance(error, Mapping) else None
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, Mapping) and detail.get("@type") == _RETRY_INFO:
            return parse_duration(detail.get("retryDelay"))
    return None


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (delay-seconds or an HTTP date, RFC 9110 section 10.2.3)."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        seconds = email.utils.mktime_tz(parsed) - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def retry_delay(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    retries_taken: int = 0,
    timeout: float | None = None,
) -> float | None:
    """Seconds to wait before retrying this error answer, or None for the SDK's own schedule.

    Args:
        status: the HTTP status.
        headers: the response headers (``Retry-After``).
        body: the error body as Vertex sent it (``RetryInfo``).
        retries_taken: retries already made for this request (the SDK's
            ``x-stainless-retry-count``).
        timeout: the request's timeout in seconds: no wait is longer.
    """
    delay = retry_info_delay(body)
    if delay is None:
        delay = retry_after_header(headers)
    if delay is None:
        if status not in BACKOFF_STATUSES:
            return None
        # Full backoff plus up to 25 % jitter: never below the first backoff.
        delay = FIRST_BACKOFF * 2 ** min(retries_taken, 16) * random.uniform(1.0, 1.25)
    limit = MAX_DELAY if timeout is None or timeout <= 0 else min(MAX_DELAY, timeout)
    return min(delay, limit)
