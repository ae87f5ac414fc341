"""vertex-openai: Google Vertex AI through OpenAI-compatible clients and framework adapters.

Everything here is imported lazily (PEP 562): ``import vertex_openai`` costs nothing, the
pytest plugin and the emulator load no HTTP or auth stack, and the framework classes
(``ChatVertexOpenAI``, ``VertexOpenAILike``, ...) import LangChain or LlamaIndex only when
asked for. The core never imports a framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import CLOUD_PLATFORM_SCOPE, TokenSource, VertexAuth
    from .connection import VertexConnection, async_openai_client, openai_client
    from .errors import CredentialsError, VertexStreamError
    from .langchain import ChatVertexOpenAI, VertexOpenAIEmbeddings
    from .llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding
    from .target import VertexTarget, resolve_target

__version__ = "0.1.0"

# name → submodule that defines it
_EXPORTS = {
    "CLOUD_PLATFORM_SCOPE": "auth",
    "TokenSource": "auth",
    "VertexAuth": "auth",
    "VertexConnection": "connection",
    "async_openai_client": "connection",
    "openai_client": "connection",
    "CredentialsError": "errors",
    "VertexStreamError": "errors",
    "VertexTarget": "target",
    "resolve_target": "target",
    "ChatVertexOpenAI": "langchain",
    "VertexOpenAIEmbeddings": "langchain",
    "VertexOpenAILike": "llama_index",
    "VertexOpenAILikeEmbedding": "llama_index",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_openai' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
