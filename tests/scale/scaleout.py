"""Helpers of the scale-out tests, importable by the test modules and by the worker scripts
and Ray workers (a module of its own name: ``tests/scale`` is on their ``sys.path``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
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


def answer_in_worker(model: Any) -> dict[str, Any]:
    """Body of a Ray task: one call with the model it was given, and where it ran."""
    connected = model._connection is not None  # before the first use
    return {"answer": call(model), "pid": os.getpid(), "connected": connected}


class Holder:
    """Body of a Ray actor that holds a model (sync and async calls, any event loop)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def ask(self, text: str) -> dict[str, Any]:
        return {"answer": self.model.invoke(text).content, "pid": os.getpid()}

    async def aask(self, text: str) -> dict[str, Any]:
        message = await self.model.ainvoke(text)
        return {"answer": message.content, "pid": os.getpid()}


class AsyncAnswers:
    """A Ray Data callable class: ``abatch`` over each batch, at most 8 calls at once.

    An async generator: the async form ``map_batches`` takes since Ray 2.32 (ray-project/ray
    pull request 46129; a coroutine ``__call__`` came later).
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    async def __call__(self, batch: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        prompts = [str(q) for q in batch["q"]]
        messages = await self.model.abatch(prompts, config={"max_concurrency": 8})
        yield {
            "q": prompts,
            "answer": [m.content for m in messages],
            "pid": [os.getpid()] * len(prompts),
        }
