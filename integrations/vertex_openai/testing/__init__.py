"""Offline testing tools: a Vertex AI (OpenAI-compatible API) emulator and a pytest fixture.

``import vertex_openai.testing`` needs only the standard library, google-auth, cryptography
(and, for the pytest plugin, pytest); it never imports LangChain or LlamaIndex.
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
