"""Helpers of the scale-out tests, importable by the test modules and by the worker scripts
and Ray workers (a module of its own name: ``tests/scale`` is on their ``sys.path``)."""

from __future__ import annotations

import os
from typing import Any

#: What the emulator answers the prompt every worker sends.
PROMPT = "from the worker"
ECHO = f"You said: {PROMPT}"


def call(model: Any) -> Any:
    """One call of the model's kind: chat, completion or embedding (the answer or its size)."""
    name = type(model).__name__
    if name == "ChatVertexOpenAI":
        return model.invoke(PROMPT).content
    if name == "VertexOpenAIEmbeddings":
        return len(model.embed_query(PROMPT))
    if name == "VertexOpenAILike":
        return model.complete(PROMPT).text
    if name == "VertexOpenAILikeEmbedding":
        return len(model.get_text_embedding(PROMPT))
    raise TypeError(name)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without Google, OpenAI or LangSmith settings, plus ``extra``.

    ``CLOUDSDK_CONFIG`` points at an empty directory (no gcloud ADC file) and GCE detection
    is off, so a worker finds Application Default Credentials only where a test puts them.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "GCLOUD_", "CLOUDSDK_", "OPENAI_", "LANGSMITH_"))
    }
    env.setdefault("NO_GCE_CHECK", "true")
    env.update(extra)
    return env
