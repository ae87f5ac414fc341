"""Offline testing tools: a Vertex AI (OpenAI-compatible API) emulator and a pytest fixture.

The emulator needs the standard library, google-auth and cryptography (the ``[testing]``
extra: ``pip install "vertex-openai[testing]"``); importing it never imports LangChain or
LlamaIndex. Everything here is imported lazily (PEP 562), so ``import vertex_openai.testing``
and the pytest plugin (loaded by every pytest run once this package is installed) import
neither cryptography nor google-auth; ``embedding_vector`` and ``schema_instance`` need only
the standard library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._model import embedding_vector, schema_instance
    from .emulator import RecordedRequest, TokenRequest, VertexEmulator

# name → submodule that defines it
_EXPORTS = {
    "RecordedRequest": "emulator",
    "TokenRequest": "emulator",
    "VertexEmulator": "emulator",
    "embedding_vector": "_model",
    "schema_instance": "_model",
}

__all__ = [
    "RecordedRequest",
    "TokenRequest",
    "VertexEmulator",
    "embedding_vector",
    "schema_instance",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_openai.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
