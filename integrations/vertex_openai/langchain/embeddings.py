"""``VertexOpenAIEmbeddings``: Vertex AI embeddings over langchain-openai's ``OpenAIEmbeddings``."""

from __future__ import annotations

from typing import Any

from langchain_openai.embeddings.base import OpenAIEmbeddings
from pydantic import Field, SecretStr, field_validator, model_validator
from typing_extensions import Self

from .._params import VertexParams
from ..connection import static_token
from ..embeddings import batches
from ._base import VertexLangChain


class VertexOpenAIEmbeddings(VertexLangChain, VertexParams, OpenAIEmbeddings):
    """Vertex AI embedding models through the OpenAI-compatible ``/embeddings`` route.

    Same target and auth as :class:`ChatVertexOpenAI`. Texts are sent as they are (no
    tiktoken download) and vectors are asked for as floats.

    Instantiate:
        ```python
        from vertex_openai.langchain import VertexOpenAIEmbeddings
        from vertex_openai.testing import VertexEmulator

        emu = VertexEmulator().start()
        embeddings = VertexOpenAIEmbeddings(
            model="gemini-embedding-001",
            project=emu.project,  # your project
            location="us-central1",
            api_endpoint=emu.url,  # omit on real Vertex AI
            credentials=emu.credentials(),  # omit for Application Default Credentials
        )
        ```

    Pickle:
        As :class:`ChatVertexOpenAI`: a pickle holds the settings and ``credentials``
        without its token (a service account's private key included), a static ``api_key``,
        or nothing for ADC; an unpickled copy connects and authenticates on first use.

    Embed:
        ```python
        vectors = embeddings.embed_documents(["hello", "world"])
        vector = embeddings.embed_query("hello")
        assert vector == vectors[0]
        vectors = await embeddings.aembed_documents(["hello", "world"])
        emu.stop()
        ```
    """

    model: str = ""
    """Embedding model: ``gemini-embedding-001`` (``google/`` is added) or
    ``publisher/model``."""
    openai_api_key: SecretStr | None = Field(default=None, alias="api_key")
    """A static Google access token, never refreshed (None: ``credentials`` or ADC)."""
    openai_api_base: str | None = Field(default=None, alias="base_url")
    """Set from the Vertex target."""
    openai_api_version: str | None = Field(default=None, exclude=True)
    """Unused (Azure only); ``api_version`` is Vertex's (``v1`` or ``v1beta1``)."""
    openai_api_type: str | None = None
    """Unused."""
    openai_organization: str | None = Field(default=None, alias="organization")
    """Unused by Vertex AI."""
    openai_proxy: str | None = None
    """Not supported (requests go through the connection's signed HTTP clients)."""
    check_embedding_ctx_length: bool = False
    """Send raw strings: tokenizing with tiktoken is OpenAI-specific (and downloads files)."""

    _check_api_key = field_validator("openai_api_key", mode="before")(static_token)

    @model_validator(mode="after")
    def validate_environment(self) -> Self:
        """Build the Vertex connection and the openai clients on it.

        Replaces ``OpenAIEmbeddings.validate_environment`` (same name).
        """
        self._open_connection()
        self.model = self.connection.model_name(self.model)
        return self

    def _set_clients(self) -> None:
        sync_client, async_client = self._openai_clients()
        self.client = sync_client.embeddings
        self.async_client = async_client.embeddings

    @property
    def _invocation_params(self) -> dict[str, Any]:
        """Floats, not the openai SDK's default base64 (``model_kwargs`` may override)."""
        return {"encoding_format": "float", **super()._invocation_params}

    def embed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Embed ``texts`` in requests within Vertex's per-request limits (see embeddings)."""
        vectors: list[list[float]] = []
        for start, end in batches(texts, self.model, max_texts=chunk_size or self.chunk_size):
            vectors += super().embed_documents(texts[start:end], end - start, **kwargs)
        return vectors

    async def aembed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Async :meth:`embed_documents`."""
        vectors: list[list[float]] = []
        for start, end in batches(texts, self.model, max_texts=chunk_size or self.chunk_size):
            vectors += await super().aembed_documents(texts[start:end], end - start, **kwargs)
        return vectors
