"""vertex-openai: Google Vertex AI through OpenAI-compatible clients and framework adapters.

The core (this package) imports no framework. The framework classes live in
:mod:`vertex_openai.langchain` and :mod:`vertex_openai.llama_index`; they are also reachable
here lazily (``from vertex_openai import ChatVertexOpenAI`` imports LangChain only then).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .auth import CLOUD_PLATFORM_SCOPE, TokenSource, VertexAuth
from .connection import VertexConnection, async_openai_client, openai_client
from .errors import CredentialsError, VertexStreamError
from .target import VertexTarget, resolve_target

if TYPE_CHECKING:
    from .langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings
    from .llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

__version__ = "0.1.0"

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "ChatVertexOpenAI",
    "CredentialsError",
    "TokenSource",
    "VertexAuth",
    "VertexConnection",
    "VertexOpenAIEmbeddings",
    "VertexOpenAILike",
    "VertexOpenAILikeEmbedding",
    "VertexStreamError",
    "VertexTarget",
    "async_openai_client",
    "openai_client",
    "resolve_target",
]

_LAZY = {
    "ChatVertexOpenAI": "langchain",
    "VertexOpenAIEmbeddings": "langchain",
    "VertexOpenAILike": "llama_index",
    "VertexOpenAILikeEmbedding": "llama_index",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_openai' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
