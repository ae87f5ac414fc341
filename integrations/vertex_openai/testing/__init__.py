"""Offline testing tools: a Vertex AI (OpenAI-compatible API) emulator and a pytest fixture.

This subpackage itself uses only the standard library, google-auth and cryptography (and
pytest for the plugin); importing it never imports LangChain or LlamaIndex.
"""

from ._model import embedding_vector, schema_instance
from .emulator import RecordedRequest, TokenRequest, VertexEmulator

__all__ = [
    "RecordedRequest",
    "TokenRequest",
    "VertexEmulator",
    "embedding_vector",
    "schema_instance",
]
