"""LangChain classes for Vertex AI's OpenAI-compatible API.

Thin adapters: target, auth, Gemini options, thought signatures and error bodies are the
core's (:mod:`vertex_openai.connection`, :mod:`vertex_openai.wire`); these classes only
translate between LangChain's ``BaseChatOpenAI`` / ``OpenAIEmbeddings`` hooks and the core.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai.chat_models.base import BaseChatOpenAI
from langchain_openai.embeddings.base import OpenAIEmbeddings
from pydantic import Field, SecretStr, field_validator, model_validator
from typing_extensions import Self

from ._params import VertexParams
from .connection import static_token
from .embeddings import batches
from .gemini import (
    EXTRA_CONTENT_KEY,
    capture_extra_content,
    merge_extra_body,
    restore_extra_content,
)

__all__ = ["EXTRA_CONTENT_KEY", "ChatVertexOpenAI", "VertexOpenAIEmbeddings"]

#: Secret id of the static token in LangChain serialization (never read from the environment).
_TOKEN_SECRET_ID = "VERTEX_AI_ACCESS_TOKEN"

# BaseChatOpenAI fields that only the Responses API takes (the SDK's chat.completions.create
# would fail on them with a TypeError).
# The framework fields holding the openai clients (locks and pools: never pickled).
_CLIENT_FIELDS = frozenset({"client", "async_client", "root_client", "root_async_client"})

_RESPONSES_ONLY = (
    "reasoning",
    "include",
    "truncation",
    "context_management",
    "use_previous_response_id",
)


class _VertexLangChain:
    """What both classes do the same way: serialization policy, secrets, the connection."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """False: langchain-core's loader only revives classes in its own mapping."""
        return False

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secret ids of the constructor arguments that hold secrets."""
        return {"openai_api_key": _TOKEN_SECRET_ID}

    def _open_connection(self: Any) -> None:
        """Build the one connection of a new object and the openai clients on it.

        ``base_url`` must be the derived one; a proxy or custom HTTP clients are refused:
        requests go through the connection's own signed clients.
        """
        custom = {
            "openai_proxy": self.openai_proxy,
            "http_client": self.http_client,
            "http_async_client": self.http_async_client,
        }
        given = sorted(name for name, value in custom.items() if value)
        if given:
            raise ValueError(
                f"{', '.join(given)} cannot be used with Vertex AI here: requests go through "
                "the connection's own signed HTTP clients (token refresh, Vertex error bodies)"
            )
        self.openai_api_base = self._attach_connection(
            self.openai_api_key, "base_url", self.openai_api_base
        )
        self._set_clients()

    def _openai_clients(self: Any) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
        """The openai clients on the connection, with this object's client options."""
        connection = self.connection
        options = {
            "timeout": self.request_timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "default_query": self.default_query,
        }
        options = {key: value for key, value in options.items() if value is not None}
        return connection.openai_client(**options), connection.async_openai_client(**options)

    def _set_clients(self) -> None:  # pragma: no cover - each class has its own
        raise NotImplementedError

    # -- pickling: the clients are left out and rebuilt from the connection on first use --

    def _runtime_state(self) -> tuple[frozenset[str], frozenset[str]]:
        return _CLIENT_FIELDS, frozenset()

    def _connected(self) -> None:
        self._set_clients()

    def _drop_clients(self: Any) -> None:
        for name in _CLIENT_FIELDS:
            self.__dict__.pop(name, None)

    def __getattr__(self: Any, name: str) -> Any:
        """The openai clients of an unpickled or closed model: built again on first use."""
        if name in _CLIENT_FIELDS:
            values = object.__getattribute__(self, "__dict__")
            if name not in values:
                self.connection  # noqa: B018 - an unpickled copy connects (and sets them)
                if name not in values:  # closed: new clients on the same connection
                    self._set_clients()
                return values[name]
        return super().__getattr__(name)  # type: ignore[misc]  # pydantic BaseModel's


class _StreamedExtraContent:
    """Keeps one stream's chunks from carrying the same captured ``extra_content`` twice.

    LangChain adds chunks with ``merge_dicts``, which concatenates equal strings: a thought
    signature seen on two deltas (or again on the final completion of a ``response_format``
    stream) would come out doubled. The first value of each part wins.
    """

    def __init__(self) -> None:
        self._message = False
        self._calls: set[Any] = set()

    def dedupe(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        kwargs = chunk.message.additional_kwargs
        captured = kwargs.get(EXTRA_CONTENT_KEY)
        if not isinstance(captured, Mapping):
            return chunk
        fresh: dict[str, Any] = {}
        if "message" in captured and not self._message:
            fresh["message"] = captured["message"]
            self._message = True
        calls = [c for c in captured.get("tool_calls", ()) if c.get("index") not in self._calls]
        if calls:
            self._calls.update(c.get("index") for c in calls)
            fresh["tool_calls"] = calls
        if fresh:
            kwargs[EXTRA_CONTENT_KEY] = fresh
        else:
            del kwargs[EXTRA_CONTENT_KEY]
        return chunk


class ChatVertexOpenAI(_VertexLangChain, VertexParams, BaseChatOpenAI):
    """Gemini and partner models on Vertex AI through its OpenAI-compatible Chat Completions API.

    Google access tokens are refreshed for you (one token source per model and all its
    copies), Vertex's error bodies reach your exceptions, Gemini options are typed fields,
    and Gemini 3 thought signatures survive tool loops, streaming and message serialization.

    Setup:
        Install ``vertex-openai`` with LangChain and log in with Application Default
        Credentials (or pass ``credentials=``):

        ```bash
        pip install "vertex-openai[langchain]"
        gcloud auth application-default login
        export GOOGLE_CLOUD_PROJECT="my-project"
        ```

        Every example below also runs offline against the bundled emulator:

        ```python
        from vertex_openai.testing import VertexEmulator

        emu = VertexEmulator().start()
        ```

    Key init args — completion params:
        model: str
            Model name: ``"gemini-2.5-flash"`` (sent as ``google/gemini-2.5-flash``) or
            ``"publisher/model"`` for partner models (``"meta/llama-3.3-70b-instruct-maas"``).
        temperature: float | None
            Sampling temperature.
        max_tokens: int | None
            Max number of tokens to generate.
        thinking_budget, thinking_level, include_thoughts: Gemini thinking options
            (exclusive with ``reasoning_effort``).
        safety_settings, cached_content, thought_tag_marker: other Gemini options, sent
            under ``extra_body.google``.

    Key init args — client params:
        project: str | None
            Google Cloud project; else ``GOOGLE_CLOUD_PROJECT``; else the ADC project.
        location: str | None
            ``"global"`` (default), a region such as ``"us-central1"``, or ``"us"``/``"eu"``.
        endpoint_id: str | None
            A self-deployed Model Garden endpoint (None for Gemini and partner models).
        credentials: google.auth.credentials.Credentials | None
            None for Application Default Credentials; tokens are refreshed automatically.
        api_key: str | None
            A static access token instead (``gcloud auth print-access-token``), never
            refreshed.
        quota_project: str | None
            Project billed for quota (header ``x-goog-user-project``).
        api_endpoint: str | None
            Replaces scheme and host (dedicated endpoint DNS, Private Service Connect, the
            emulator).
        timeout, max_retries: the openai client's.

    Instantiate:
        ```python
        from vertex_openai.langchain import ChatVertexOpenAI

        model = ChatVertexOpenAI(
            model="gemini-2.5-flash",
            project=emu.project,  # your project
            location="us-central1",
            api_endpoint=emu.url,  # omit on real Vertex AI
            credentials=emu.credentials(),  # omit for Application Default Credentials
            max_retries=2,
        )
        ```

    Invoke:
        ```python
        messages = [
            ("system", "You are a helpful assistant."),
            ("human", "I love programming."),
        ]
        message = model.invoke(messages)
        assert message.content == "You said: I love programming."
        ```

    Stream:
        ```python
        full = None
        for chunk in model.stream(messages):
            full = chunk if full is None else full + chunk
        assert full.content == "You said: I love programming."
        ```

    Async:
        ```python
        message = await model.ainvoke(messages)
        async for chunk in model.astream(messages):
            print(chunk.text, end="")
        results = await model.abatch([messages, messages])
        ```

    Tool calling:
        Gemini 3 signs its tool calls; the signature is kept in
        ``additional_kwargs["vertex_extra_content"]`` and sent back on the next turn.

        ```python
        from langchain_core.messages import HumanMessage, ToolMessage
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a given location.'''

            location: str = Field(description="The city, e.g. Paris")


        gemini3 = model.model_copy(update={"model_name": "google/gemini-3-pro-preview"})
        with_tools = gemini3.bind_tools([GetWeather])
        history = [HumanMessage("What is the weather in Paris?")]
        ai_msg = with_tools.invoke(history)
        call = ai_msg.tool_calls[0]
        history += [ai_msg, ToolMessage("sunny", tool_call_id=call["id"])]
        assert with_tools.invoke(history).content == "Tool result: sunny"
        ```

    Structured output:
        ```python
        class Joke(BaseModel):
            '''Joke to tell user.'''

            setup: str = Field(description="The setup of the joke")
            punchline: str = Field(description="The punchline to the joke")


        joke = model.with_structured_output(Joke).invoke("Tell me a joke about cats")
        joke = model.with_structured_output(Joke, method="json_schema").invoke("Cats?")
        assert isinstance(joke, Joke)
        ```

    Pickle and scale out:
        Models pickle (``pickle``, ``cloudpickle``, ``copy.deepcopy``), so they can be Ray
        task arguments, Ray Data or Spark closures and multiprocessing arguments. A pickle
        holds the settings, the target resolved here and the credential you gave:
        ``credentials`` without its access token (a service-account credential still holds
        its private key, a user credential its refresh token: keep such pickles as safe as
        the key file), a static ``api_key`` as
        it is, nothing at all for Application Default Credentials (resolved again where the
        copy runs). Never a live token, a connection pool or a lock: an unpickled copy
        connects on first use and fetches its own token. An in-memory ``rate_limiter`` holds
        a lock and does not pickle: give each worker its own (see the README, "Scale out").

        ```python
        import pickle

        copy = pickle.loads(pickle.dumps(model))
        assert copy.invoke(messages).content == "You said: I love programming."
        ```

    Token usage:
        Vertex sends usage on the last streamed chunk; ``stream_usage`` is on by default.

        ```python
        message = model.invoke(messages)
        assert message.usage_metadata["total_tokens"] > 0
        # {'input_tokens': 8, 'output_tokens': 5, 'total_tokens': 13}
        emu.stop()
        ```
    """

    model_name: str = Field(default="", alias="model")
    """Model name: ``gemini-2.5-flash`` (``google/`` is added on the openapi endpoint) or
    ``publisher/model``; ignored by self-deployed endpoints."""
    openai_api_key: SecretStr | None = Field(default=None, alias="api_key")
    """A static Google access token, never refreshed (None: ``credentials`` or ADC)."""
    stream_usage: bool | None = True
    """Include usage metadata in streamed output (Vertex sends it on the last chunk)."""
    use_responses_api: bool | None = False
    """Always False: Vertex AI serves Chat Completions only."""
    openai_proxy: str | None = None
    """Not supported (requests go through the connection's signed HTTP clients)."""

    _check_api_key = field_validator("openai_api_key", mode="before")(static_token)

    @property
    def _llm_type(self) -> str:
        return "vertex-openai-chat"

    @model_validator(mode="after")
    def validate_environment(self) -> Self:
        """Build the one Vertex connection and the openai clients on it.

        Replaces ``BaseChatOpenAI.validate_environment`` (same name), which would read
        ``OPENAI_API_KEY`` / ``OPENAI_API_BASE`` and build unsigned clients.
        """
        self._check_chat_params()
        self._open_connection()
        self.model_name = self.connection.model_name(self.model_name)
        return self

    def _set_clients(self) -> None:
        self.root_client, self.root_async_client = self._openai_clients()
        self.client = self.root_client.chat.completions
        self.async_client = self.root_async_client.chat.completions

    def _check_chat_params(self) -> None:
        """ValueError for what Vertex cannot do (before anything is built)."""
        if self.n is not None and self.n < 1:
            raise ValueError("n must be at least 1.")
        if self.n is not None and self.n > 1 and self.streaming:
            raise ValueError("n must be 1 when streaming.")
        if self.use_responses_api:
            raise ValueError(
                "use_responses_api=True is not available: Vertex AI's OpenAI-compatible "
                "endpoint serves Chat Completions only"
            )
        self.use_responses_api = False
        responses_only = [name for name in _RESPONSES_ONLY if getattr(self, name, None)]
        if responses_only:
            raise ValueError(
                f"{', '.join(responses_only)}: Responses API parameters; Vertex AI serves Chat "
                "Completions only (for thinking use reasoning_effort or thinking_budget / "
                "thinking_level)"
            )
        # reasoning_effort combined with thinking options (typed or in extra_body).
        self._gemini_extra_body(self.extra_body, self.reasoning_effort)

    def _use_responses_api(self, payload: dict[str, Any]) -> bool:
        return False

    @property
    def _default_params(self) -> dict[str, Any]:
        """OpenAI params, with the Gemini options in ``extra_body`` (also keys the cache)."""
        params = super()._default_params
        google = self._google_options()
        if google:  # (reasoning_effort conflicts were refused at construction)
            params["extra_body"] = merge_extra_body(params.get("extra_body"), google)
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        ls_params = super()._get_ls_params(stop=stop, **kwargs)
        ls_params["ls_provider"] = "google_vertexai"
        return ls_params

    def _get_request_payload(
        self,
        input_: LanguageModelInput,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The Chat Completions payload, made right for Vertex.

        Per-call ``model`` gets the publisher prefix, per-call ``extra_body`` and
        ``reasoning_effort`` are merged with the Gemini options (ValueError on a conflict),
        and captured thought signatures go back on the assistant messages.
        """
        messages = self._convert_input(input_).to_messages()
        payload: dict[str, Any] = super()._get_request_payload(messages, stop=stop, **kwargs)
        # The model may have been renamed since (model_copy, assignment): prefix every time.
        payload["model"] = self.connection.model_name(payload.get("model"))
        # The Gemini options were merged by _default_params; only a per-call override needs
        # the work again.
        if "extra_body" in kwargs or "reasoning_effort" in kwargs:
            extra_body = self._gemini_extra_body(
                payload.get("extra_body"),
                payload.get("reasoning_effort"),
            )
            if extra_body:
                payload["extra_body"] = extra_body
        if any(EXTRA_CONTENT_KEY in m.additional_kwargs for m in messages):
            restore_extra_content(payload["messages"], _captured(messages, payload["messages"]))
        return payload

    def _create_chat_result(
        self,
        response: dict[str, Any] | openai.BaseModel,
        generation_info: dict[str, Any] | None = None,
    ) -> ChatResult:
        """LangChain's result, plus each choice's ``extra_content`` (thought signatures)."""
        result = super()._create_chat_result(response, generation_info)
        choices = (
            response.get("choices")
            if isinstance(response, dict)
            else getattr(response, "choices", None)
        )
        for generation, choice in zip(result.generations, choices or (), strict=False):
            message = choice.get("message") if isinstance(choice, Mapping) else choice.message
            captured = capture_extra_content(message)
            if captured:
                generation.message.additional_kwargs[EXTRA_CONTENT_KEY] = captured
        return result

    def _convert_chunk_to_generation_chunk(
        self,
        chunk: dict[str, Any],
        default_chunk_class: type,
        base_generation_info: dict[str, Any] | None,
    ) -> ChatGenerationChunk | None:
        """LangChain's chunk, plus the delta's ``extra_content`` (thought signatures)."""
        generation_chunk = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info
        )
        if generation_chunk is None or not isinstance(generation_chunk.message, AIMessageChunk):
            return generation_chunk
        # beta.chat.completions.stream (response_format) nests the chunk under "chunk".
        choices = chunk.get("choices") or (chunk.get("chunk") or {}).get("choices") or ()
        delta = choices[0].get("delta") if choices else None
        captured = capture_extra_content(delta) if isinstance(delta, Mapping) else None
        if captured:
            generation_chunk.message.additional_kwargs[EXTRA_CONTENT_KEY] = captured
        return generation_chunk

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        seen = _StreamedExtraContent()
        for chunk in super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs):
            yield seen.dedupe(chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        seen = _StreamedExtraContent()
        async for chunk in super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs):
            yield seen.dedupe(chunk)


def _captured(
    messages: list[BaseMessage], payload_messages: list[dict[str, Any]]
) -> list[Mapping[str, Any] | None]:
    """What was captured for each assistant message, in order.

    langchain-openai converts messages one to one; should that ever change, the AI messages
    are taken in order (restore_extra_content matches tool calls by id first anyway).
    """
    if len(messages) == len(payload_messages):
        pairs = zip(messages, payload_messages, strict=True)
        sent = [m for m, d in pairs if d.get("role") == "assistant"]
    else:
        sent = [m for m in messages if isinstance(m, AIMessage)]
    values = [m.additional_kwargs.get(EXTRA_CONTENT_KEY) for m in sent]
    return [value if isinstance(value, Mapping) else None for value in values]


class VertexOpenAIEmbeddings(_VertexLangChain, VertexParams, OpenAIEmbeddings):
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
