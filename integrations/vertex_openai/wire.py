"""Deprecated: the old home of :mod:`vertex_openai.transport` and :mod:`vertex_openai.gemini`.

``vertex_openai.wire`` held three subjects; they now live in modules of their own:

* error bodies and stream integrity (``VertexTransport``, ``AsyncVertexTransport``,
  ``normalize_error_body``) → :mod:`vertex_openai.transport`;
* Gemini options and thought signatures (``google_options``, ``merge_extra_body``,
  ``capture_extra_content``, ``restore_extra_content``, ``merge_extra_content``,
  ``EXTRA_CONTENT_KEY``) → :mod:`vertex_openai.gemini`.

Importing a name from here still works and warns (``DeprecationWarning``) once per name.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_MOVED = {
    "AsyncVertexTransport": "transport",
    "VertexTransport": "transport",
    "normalize_error_body": "transport",
    "EXTRA_CONTENT_KEY": "gemini",
    "capture_extra_content": "gemini",
    "google_options": "gemini",
    "merge_extra_body": "gemini",
    "merge_extra_content": "gemini",
    "restore_extra_content": "gemini",
}

__all__ = sorted(_MOVED)


def __getattr__(name: str) -> Any:
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_openai.wire' has no attribute {name!r}")
    warnings.warn(
        f"vertex_openai.wire.{name} moved to vertex_openai.{module}.{name}; "
        "vertex_openai.wire will be removed in a future release",
        DeprecationWarning,
        stacklevel=2,
    )
    value = getattr(importlib.import_module(f"vertex_openai.{module}"), name)
    globals()[name] = value  # warn once per name
    return value
