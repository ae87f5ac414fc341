"""LangChain classes for Vertex AI's OpenAI-compatible API.

Thin adapters: target, auth, Gemini options, thought signatures, reasoning and error bodies
are the core's (:mod:`vertex_openai.connection`, :mod:`~vertex_openai.transport`,
:mod:`~vertex_openai.gemini`, :mod:`~vertex_openai.reasoning`); these classes only translate
between LangChain's ``BaseChatOpenAI`` / ``OpenAIEmbeddings`` hooks and the core:
``chat_models`` (:class:`ChatVertexOpenAI`), ``embeddings`` (:class:`VertexOpenAIEmbeddings`),
``_base`` (what both share) and ``_messages`` (LangChain message fields ↔ the core).
"""

from __future__ import annotations

from ..gemini import EXTRA_CONTENT_KEY
from .chat_models import ChatVertexOpenAI
from .embeddings import VertexOpenAIEmbeddings

__all__ = ["EXTRA_CONTENT_KEY", "ChatVertexOpenAI", "VertexOpenAIEmbeddings"]
