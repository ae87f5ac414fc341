"""Vertex's per-request limits for embeddings, and the batches that keep within them.

Vertex docs, "Get text embeddings", API limits
(https://cloud.google.com/vertex-ai/docs/generative-ai/embeddings/get-text-embeddings): at most
250 input texts and 20,000 input tokens per request (more is a 400), each text truncated at
2,048 tokens; ``gemini-embedding-001`` takes one text per request. Both adapters split their
batches here, so a user's ``embed_documents`` / ``get_text_embedding_batch`` of any size is
sent as requests Vertex accepts.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "MAX_TEXTS_PER_REQUEST",
    "MAX_TOKENS_PER_REQUEST",
    "batches",
    "estimated_tokens",
    "max_texts_per_request",
]

MAX_TEXTS_PER_REQUEST = 250
MAX_TOKENS_PER_REQUEST = 20_000
# Models that embed one text per request (the docs' limits section).
_ONE_TEXT_MODELS = ("gemini-embedding-001",)


def max_texts_per_request(model: str | None) -> int:
    """How many texts one request to ``model`` may carry."""
    bare = (model or "").rsplit("/", 1)[-1].lower()
    return 1 if bare.startswith(_ONE_TEXT_MODELS) else MAX_TEXTS_PER_REQUEST


def estimated_tokens(text: str) -> int:
    """An upper estimate of ``text``'s tokens without a tokenizer: a third of its UTF-8 bytes.

    English runs at about four characters a token and CJK at about one character (three UTF-8
    bytes) a token, so this errs on the side of smaller requests.
    """
    return (len(text.encode("utf-8")) + 2) // 3


def batches(
    texts: Sequence[str], model: str | None, *, max_texts: int | None = None
) -> list[tuple[int, int]]:
    """``(start, end)`` slices of ``texts``, in order, each one request within Vertex's limits.

    Args:
        texts: the texts to embed.
        model: the embedding model (``gemini-embedding-001`` takes one text per request).
        max_texts: a smaller cap of the caller's own (LangChain's ``chunk_size``, LlamaIndex's
            ``embed_batch_size``).
    """
    cap = max_texts_per_request(model)
    if max_texts is not None and max_texts > 0:
        cap = min(cap, max_texts)
    result: list[tuple[int, int]] = []
    start, tokens = 0, 0
    for position, text in enumerate(texts):
        cost = estimated_tokens(text)
        full = position - start >= cap or (tokens + cost > MAX_TOKENS_PER_REQUEST)
        if full and position > start:
            result.append((start, position))
            start, tokens = position, 0
        tokens += cost
    if start < len(texts):
        result.append((start, len(texts)))
    return result
