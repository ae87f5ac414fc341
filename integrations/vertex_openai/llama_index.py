"""LlamaIndex classes for Vertex AI's OpenAI-compatible API.

:class:`VertexOpenAILike` (an ``OpenAILike`` LLM) and :class:`VertexOpenAILikeEmbedding` (an
``OpenAILikeEmbedding``) only translate LlamaIndex's hooks to the core: the target, auth,
Gemini options, error handling and thought signatures all live in :mod:`vertex_openai`.

Install with ``pip install "vertex-openai[llama-index]"``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    VideoBlock,
)
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW
from llama_index.embeddings.openai_like import OpenAILikeEmbedding
from llama_index.llms.openai.utils import to_openai_message_dicts
from llama_index.llms.openai_like import OpenAILike

from ._params import VertexParams
from .connection import PLACEHOLDER_API_KEY, static_token
from .content import guess_mime_type, media_part
from .embeddings import batches
from .gemini import (
    EXTRA_CONTENT_KEY,
    capture_extra_content,
    merge_extra_content,
    restore_extra_content,
)
from .reasoning import REASONING_KEY, restore_reasoning, sends_reasoning_back
from .schemas import is_gemini_model
from .usage import read_usage

__all__ = ["VertexOpenAILike", "VertexOpenAILikeEmbedding"]

# Context windows by model family (publisher prefix and version suffix ignored). Gemini 2.x
# and 3.x read 1,048,576 input tokens (Vertex model cards). Anything else: pass context_window.
_CONTEXT_WINDOWS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^gemini-(2|3)(\.\d+)?-"), 1_048_576),
)

# Given by the connection; a value here would bypass the signed, Vertex-aware clients.
_CLIENT_ARGS = ("http_client", "async_http_client", "openai_client", "async_openai_client")

# The private attributes holding LlamaIndex's client cache (locks and pools: never pickled).
_CLIENT_CACHE = frozenset({"_client", "_aclient", "_http_client", "_async_http_client"})

# Private keyword that carries the restored message dicts from _chat & co. to
# _get_model_kwargs (every LlamaIndex chat path hands its kwargs to _get_model_kwargs).
_MESSAGES_KWARG = "_vertex_messages"


def _bare_model(model: str) -> str:
    return model.rsplit("/", 1)[-1].lower()


def _is_gemini(model: str) -> bool:
    return _bare_model(model).startswith("gemini")


def _context_window(model: str) -> int:
    name = _bare_model(model)
    for pattern, window in _CONTEXT_WINDOWS:
        if pattern.match(name):
            return window
    return DEFAULT_CONTEXT_WINDOW


def _static_token(api_key: Any) -> Any:
    """The user's static token, or None (the placeholder comes back from ``to_dict()``)."""
    return None if api_key in (None, "", PLACEHOLDER_API_KEY) else static_token(api_key)


def _reject_client_args(kwargs: Mapping[str, Any]) -> None:
    given = [name for name in _CLIENT_ARGS if kwargs.get(name) is not None]
    if given:
        raise ValueError(
            f"{', '.join(given)} cannot be given: the HTTP clients come from the Vertex "
            "connection (they sign every request); set api_endpoint, credentials or api_key"
        )


def _first_choice(raw: Any, field: str) -> Any:
    """``raw.choices[0].<field>`` (``message`` or ``delta``) of a completion or chunk."""
    choices = getattr(raw, "choices", None)
    return getattr(choices[0], field, None) if choices else None


def _reasoning_of(obj: Any) -> str | None:
    """The normalized ``reasoning_content`` of an openai message or delta (the transport put
    every form there), or None."""
    value = getattr(obj, REASONING_KEY, None)
    if value is None:
        extra = getattr(obj, "model_extra", None)
        value = extra.get(REASONING_KEY) if isinstance(extra, Mapping) else None
    return value if isinstance(value, str) and value else None


def _thinking(message: ChatMessage) -> ThinkingBlock | None:
    return next((b for b in message.blocks if isinstance(b, ThinkingBlock)), None)


def _without_thinking(messages: Sequence[ChatMessage]) -> Sequence[ChatMessage]:
    """The messages without their ThinkingBlocks: reasoning is never sent back as the
    assistant's words (llama-index-llms-openai 0.6.8, our floor, raises "Unsupported content
    block type: ThinkingBlock" on them; later versions skip them). Unchanged when there are
    none."""
    if not any(_thinking(message) is not None for message in messages):
        return messages
    return [
        message.model_copy(
            update={"blocks": [b for b in message.blocks if not isinstance(b, ThinkingBlock)]}
        )
        if _thinking(message) is not None
        else message
        for message in messages
    ]


def _read_answer(response: ChatResponse, reasoning: str | None) -> None:
    """Reasoning as the message's ThinkingBlock (first, with ``num_tokens`` when usage gives
    them) and the core's usage in ``additional_kwargs``, as llama-index-llms-openai exposes
    usage (``prompt_tokens``, ``completion_tokens``, ``total_tokens``) plus
    ``reasoning_tokens``, ``cached_tokens`` and ``traffic_type``.

    llama-index-llms-openai builds the ThinkingBlock itself from ``reasoning_content`` since
    0.6.x; one is added only where it did not.
    """
    message = response.message
    block = _thinking(message)
    if block is None and reasoning:
        block = ThinkingBlock(content=reasoning)
        message.blocks.insert(0, block)
    usage = read_usage(getattr(response.raw, "usage", None))
    if usage is None:
        return
    response.additional_kwargs.update(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )
    optional = {
        "reasoning_tokens": usage.reasoning_tokens,
        "cached_tokens": usage.cached_tokens,
        "traffic_type": usage.traffic_type,
    }
    response.additional_kwargs.update({k: v for k, v in optional.items() if v is not None})
    if block is not None and usage.reasoning_tokens:
        block.num_tokens = usage.reasoning_tokens


class _VertexLlamaIndex:
    """What both classes do the same way: signed clients from the one connection, shared copies."""

    max_retries: int
    timeout: float
    default_headers: dict[str, str] | None

    def _open_connection(self: Any, api_key: Any, api_base: Any, api_version: Any) -> None:
        """Build the one connection of a new object (after the framework's ``__init__``)."""
        # The framework's __init__ resolved these from OPENAI_* variables; here they are
        # Vertex's: api_version is the target's, api_base is derived.
        self.api_version = api_version
        self.api_base = self._attach_connection(_static_token(api_key), "api_base", api_base)

    def _runtime_state(self) -> tuple[frozenset[str], frozenset[str]]:
        """Pickles leave out LlamaIndex's client cache (see ``VertexParams.__getstate__``)."""
        return frozenset(), _CLIENT_CACHE

    def _drop_clients(self: Any) -> None:
        """After ``close()``: the next call builds new clients on the connection."""
        self._client = self._aclient = None

    def _client_options(self) -> dict[str, Any]:
        return {
            "max_retries": self.max_retries,
            "timeout": self.timeout,
            "default_headers": self.default_headers,
        }

    def _get_credential_kwargs(self: Any, is_async: bool = False) -> dict[str, Any]:
        """For any LlamaIndex path that builds its own client: the connection's signed one."""
        return {**self.connection.client_kwargs(is_async=is_async), **self._client_options()}

    def _get_client(self: Any) -> Any:
        """The openai client on the connection (the hook LlamaIndex's classes call)."""
        return self._reused("_client", self.connection.openai_client)

    def _get_aclient(self: Any) -> Any:
        """The async openai client on the connection."""
        return self._reused("_aclient", self.connection.async_openai_client)

    def _reused(self: Any, attribute: str, build: Any) -> Any:
        """The client kept in ``attribute`` (a new one each time with ``reuse_client=False``)."""
        if not self.reuse_client:
            return build(**self._client_options())
        client = getattr(self, attribute)
        if client is None:
            client = build(**self._client_options())
            setattr(self, attribute, client)
        return client


class VertexOpenAILike(_VertexLlamaIndex, VertexParams, OpenAILike):  # type: ignore[misc]
    """Vertex AI LLM over its OpenAI-compatible Chat Completions API.

    Gemini and partner (MaaS) models on the ``openapi`` endpoint, or a self-deployed Model
    Garden endpoint (``endpoint_id``). Tokens come from google-auth and are refreshed for
    every request as needed (one openai client is kept and reused); Gemini options
    (``thinking_budget``, ``thinking_level``, ``include_thoughts``, ``safety_settings``,
    ``cached_content``, ``thought_tag_marker``) are sent as Vertex reads them; Gemini 3 thought
    signatures are kept on the returned messages (``additional_kwargs["vertex_extra_content"]``)
    and sent back on the next turn, so tool loops and agents work.

    Args:
        model (str):
            The model: ``gemini-2.5-flash`` (``google/`` is added on ``openapi``) or
            ``publisher/model`` such as ``meta/llama-3.3-70b-instruct-maas``.
        project (str):
            Google Cloud project; else ``GOOGLE_CLOUD_PROJECT``, else the ADC project.
        location (str):
            ``global`` (default), a region such as ``us-central1``, or ``us`` / ``eu``;
            else ``GOOGLE_CLOUD_LOCATION``.
        endpoint_id (str):
            A self-deployed Model Garden endpoint; None for Gemini and MaaS models.
        api_version (str):
            ``v1`` (default) or ``v1beta1``.
        api_endpoint (str):
            Replaces scheme and host (dedicated endpoint DNS, Private Service Connect, the
            emulator).
        credentials (google.auth.credentials.Credentials):
            Defaults to Application Default Credentials.
        quota_project (str):
            Project billed for quota (``x-goog-user-project``).
        api_key (str):
            A static access token instead of credentials (never refreshed).
        thinking_budget, thinking_level, include_thoughts, safety_settings, cached_content,
        thought_tag_marker:
            Gemini options, sent under ``extra_body.google``. ``reasoning_effort`` is sent as
            is; combining it with a thinking option raises ``ValueError``.
        file_parts (str):
            ``"image_url"`` (default) or ``"file"``: how base64 PDFs and video go to Gemini.
        context_window (int):
            Defaults to 1,048,576 for Gemini 2.x / 3.x, else 3900: set it for other models.
        is_function_calling_model (bool):
            Defaults to True for Gemini models, else False.
        **kwargs:
            ``OpenAILike``'s own: temperature, max_tokens, additional_kwargs, max_retries,
            timeout, default_headers, ...

    Reasoning (Gemini thoughts, partner models' ``reasoning_content`` or ``<think>`` tags) is
    a ``ThinkingBlock`` in ``message.blocks`` (``num_tokens`` when usage counts it), never in
    ``message.content`` or a streamed ``delta``; streamed reasoning arrives in
    ``additional_kwargs["thinking_delta"]``. ``additional_kwargs`` carries the usage
    (``prompt_tokens``, ``completion_tokens`` with reasoning, ``total_tokens``, and when known
    ``reasoning_tokens``, ``cached_tokens``, ``traffic_type``).

    ``api_base`` shows the resolved base URL. ``http_client`` / ``openai_client`` arguments
    and ``reuse_client=False`` are refused: the clients come from the Vertex connection,
    which every copy of the model shares.

    Pickling (``pickle``, ``cloudpickle``, ``copy.deepcopy``; Ray, Spark, multiprocessing):
    a pickle holds the settings, the target resolved here and the credential you gave:
    ``credentials`` without its access token (a service-account credential still holds its
    private key, a user credential its refresh token), a static ``api_key`` as it is (the
    copy keeps using that key), nothing for Application Default Credentials (resolved again
    where the copy runs). Never a live token, a pool or a lock: an unpickled copy connects
    and fetches its own token on first use. LlamaIndex's in-memory ``rate_limiter`` holds a
    lock and does not pickle.

    Examples:
        `pip install "vertex-openai[llama-index]"`

        ```python
        from vertex_openai.llama_index import VertexOpenAILike

        llm = VertexOpenAILike(model="gemini-2.5-flash", project="my-project")
        print(llm.complete("Why is the sky blue?"))
        ```

        Offline, against the emulator:

        ```python
        from llama_index.core.llms import ChatMessage
        from vertex_openai.llama_index import VertexOpenAILike
        from vertex_openai.testing import VertexEmulator

        with VertexEmulator() as emu:
            llm = VertexOpenAILike(
                model="gemini-2.5-flash",
                project=emu.project,
                location="us-central1",
                api_endpoint=emu.url,
                credentials=emu.credentials(),
                thinking_budget=1024,
            )
            print(llm.complete("Hello"))  # You said: Hello
            reply = llm.chat([ChatMessage(role="user", content="Hi")])
            assert reply.message.content == "You said: Hi"
            for chunk in llm.stream_complete("Tell me more"):
                print(chunk.delta, end="")
        ```

        Files (Gemini): ``DocumentBlock`` / ``VideoBlock`` / ``AudioBlock`` / ``ImageBlock``
        with a ``gs://`` or ``https://`` ``url`` are sent as URLs (never downloaded), with
        bytes as base64; tool and structured-output schemas are made Gemini-safe (a recursive
        one raises ``ValueError`` before anything is sent):

        ```python
        from llama_index.core.base.llms.types import DocumentBlock, TextBlock

        with VertexEmulator() as emu:
            llm = VertexOpenAILike(
                model="gemini-2.5-flash",
                project=emu.project,
                api_endpoint=emu.url,
                credentials=emu.credentials(),
            )
            pdf = DocumentBlock(
                url="gs://cloud-samples-data/generative-ai/pdf/2403.05530.pdf",
                document_mimetype="application/pdf",
            )
            ask = ChatMessage(role="user", blocks=[TextBlock(text="Summarize."), pdf])
            print(llm.chat([ask]).message.content)
        ```
    """

    def __init__(self, model: str, api_key: Any = None, **kwargs: Any) -> None:
        _reject_client_args(kwargs)
        if kwargs.get("reuse_client") is False:
            # OpenAI._chat closes a non-reused client after each call, which would close
            # the connection's shared HTTP client.
            raise ValueError("reuse_client=False is not supported: the connection is shared")
        api_base = kwargs.pop("api_base", None)
        api_version = kwargs.pop("api_version", None)
        kwargs.setdefault("is_chat_model", True)
        kwargs.setdefault("is_function_calling_model", _is_gemini(model))
        kwargs.setdefault("context_window", _context_window(model))
        # VertexParams has no __init__ of its own: this is OpenAILike's (mypy sees the mixin's).
        super().__init__(model=model, api_key=PLACEHOLDER_API_KEY, **kwargs)  # type: ignore[call-arg]
        self._open_connection(api_key, api_base, api_version)
        # Fail now, not on the first request: reasoning_effort + thinking options.
        effort = self.reasoning_effort or self.additional_kwargs.get("reasoning_effort")
        self._gemini_extra_body(self.additional_kwargs.get("extra_body"), effort)

    @classmethod
    def class_name(cls) -> str:
        return "VertexOpenAILike"

    # -- client and request --

    def _get_model_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        messages = kwargs.pop(_MESSAGES_KWARG, None)
        all_kwargs: dict[str, Any] = super()._get_model_kwargs(**kwargs)
        all_kwargs["model"] = self.connection.model_name(self.model)
        if self.reasoning_effort is not None:
            # OpenAI sends it for o-series models only; Vertex maps it to a thinking budget.
            all_kwargs.setdefault("reasoning_effort", self.reasoning_effort)
        extra_body = self._gemini_extra_body(
            all_kwargs.pop("extra_body", None), all_kwargs.get("reasoning_effort")
        )
        if messages is not None:
            # The openai SDK merges extra_body over the top-level JSON keys: the messages
            # rebuilt by LlamaIndex are replaced by the same ones with extra_content restored.
            extra_body = {**(extra_body or {}), "messages": messages}
        if extra_body:
            all_kwargs["extra_body"] = extra_body
        # Tools (FunctionTool, pydantic programs, structured_predict) and response schemas.
        self._gemini_safe(all_kwargs, all_kwargs["model"])
        return all_kwargs

    # -- Gemini 3 thought signatures --

    def _outgoing(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> tuple[Sequence[ChatMessage], dict[str, Any]]:
        """The messages LlamaIndex converts, and ``kwargs`` with the dicts Vertex gets.

        * Thought signatures: LlamaIndex rebuilds assistant tool calls from ToolCallBlocks,
          dropping Vertex's ``extra_content``; Gemini 3 then answers 400.
        * Reasoning: ThinkingBlocks are never sent as the assistant's words; they go back as
          ``reasoning_content`` on tool-call steps of the models whose docs ask for it
          (:func:`vertex_openai.reasoning.sends_reasoning_back`).
        * Files (Gemini): LlamaIndex would download a ``gs://`` DocumentBlock / AudioBlock
          and refuse a VideoBlock; Gemini reads them itself (:mod:`vertex_openai.content`).
          LlamaIndex gets the messages without those blocks, Vertex the real parts.

        Unchanged (but for ThinkingBlocks taken off) when there is nothing to restore.
        """
        assistants = [message for message in messages if message.role == MessageRole.ASSISTANT]
        captured = [message.additional_kwargs.get(EXTRA_CONTENT_KEY) for message in assistants]
        reasonings = [
            block.content if (block := _thinking(message)) is not None else None
            for message in assistants
        ]
        model = self.connection.model_name(self.model)
        gemini = self.endpoint_id is None and is_gemini_model(model)
        with_files = gemini and any(_has_media(m) for m in messages)
        send_reasoning = sends_reasoning_back(model) and any(reasonings)
        messages = _without_thinking(messages)
        if not any(captured) and not with_files and not send_reasoning:
            return messages, kwargs
        dicts: list[Any] = [
            self._file_message(m) if with_files and _has_media(m) else None for m in messages
        ]
        plain = [m for m, d in zip(messages, dicts, strict=True) if d is None]
        converted = iter(to_openai_message_dicts(plain, model=self.model) if plain else [])
        dicts = [d if d is not None else next(converted) for d in dicts]
        restore_extra_content(dicts, captured)
        if send_reasoning:
            # The model's docs ask for its reasoning back on tool-call steps (reasoning.py).
            restore_reasoning(dicts, reasonings, model)
        for message_dict in dicts:
            message_dict.pop(EXTRA_CONTENT_KEY, None)  # copied by LlamaIndex's legacy path
        if with_files:
            messages = [_without_media(m) for m in messages]
        return messages, {**kwargs, _MESSAGES_KWARG: dicts}

    def _file_message(self, message: ChatMessage) -> dict[str, Any]:
        """A message with files as Vertex reads it (text and file parts in order)."""
        parts: list[dict[str, Any]] = []
        for block in message.blocks:
            if isinstance(block, TextBlock):
                parts.append({"type": "text", "text": block.text})
            elif isinstance(block, ThinkingBlock):
                continue  # never sent back (as LlamaIndex's own conversion does)
            else:
                part = _vertex_part(block, self.file_parts)
                if part is None:
                    raise ValueError(
                        f"{type(block).__name__} cannot be sent in a message with files"
                    )
                parts.append(part)
        return {"role": message.role.value, "content": parts}

    @staticmethod
    def _keep(response: ChatResponse, captured: Mapping[str, Any] | None) -> None:
        if captured:
            response.message.additional_kwargs[EXTRA_CONTENT_KEY] = captured

    def _captured(self, response: ChatResponse) -> ChatResponse:
        message = _first_choice(response.raw, "message")
        self._keep(response, capture_extra_content(message))
        _read_answer(response, _reasoning_of(message))
        return response

    def _chunk(
        self, response: ChatResponse, captured: dict[str, Any] | None, reasoning: list[str]
    ) -> dict[str, Any] | None:
        """Fold one streamed chunk's extra_content and reasoning in; keep the totals on its
        message (reasoning: the text so far, one element, updated in place)."""
        delta = _first_choice(response.raw, "delta")
        captured = merge_extra_content(captured, capture_extra_content(delta))
        self._keep(response, captured)
        piece = _reasoning_of(delta)
        if piece:
            reasoning[0] += piece
            response.additional_kwargs.setdefault("thinking_delta", piece)
        _read_answer(response, reasoning[0])
        return captured

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        messages, kwargs = self._outgoing(messages, kwargs)
        response = super()._chat(messages, **kwargs)
        return self._captured(response)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        messages, kwargs = self._outgoing(messages, kwargs)
        response = await super()._achat(messages, **kwargs)
        return self._captured(response)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        messages, kwargs = self._outgoing(messages, kwargs)
        responses = super()._stream_chat(messages, **kwargs)

        def gen() -> Generator[ChatResponse, None, None]:
            captured: dict[str, Any] | None = None
            reasoning = [""]
            for response in responses:
                captured = self._chunk(response, captured, reasoning)
                yield response

        return gen()

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        messages, kwargs = self._outgoing(messages, kwargs)
        responses = await super()._astream_chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            captured: dict[str, Any] | None = None
            reasoning = [""]
            async for response in responses:
                captured = self._chunk(response, captured, reasoning)
                yield response

        return gen()


_MEDIA = (ImageBlock, AudioBlock, VideoBlock, DocumentBlock)


def _has_media(message: ChatMessage) -> bool:
    return any(isinstance(block, _MEDIA) for block in message.blocks)


def _without_media(message: ChatMessage) -> ChatMessage:
    if not _has_media(message):
        return message
    blocks = [TextBlock(text="") if isinstance(b, _MEDIA) else b for b in message.blocks]
    return message.model_copy(update={"blocks": blocks})


def _vertex_part(block: Any, file_parts: Any) -> dict[str, Any] | None:
    """The Vertex part for an Image/Audio/Video/DocumentBlock (its URL as is, else base64)."""
    if isinstance(block, ImageBlock):
        kind, mime, name = "image", block.image_mimetype, None
    elif isinstance(block, AudioBlock):
        fmt = block.format
        kind, mime, name = "audio", (f"audio/{fmt}" if fmt and "/" not in fmt else fmt), None
    elif isinstance(block, VideoBlock):
        kind, mime, name = "video", block.video_mimetype, None
    elif isinstance(block, DocumentBlock):
        kind, mime, name = "file", block.document_mimetype, block.title
    else:
        return None
    if block.url:
        return media_part(kind, url=str(block.url), mime_type=mime, file_parts=file_parts)
    if isinstance(block, ImageBlock):
        data = block.resolve_image(as_base64=True).read()
    elif isinstance(block, AudioBlock):
        data = block.resolve_audio(as_base64=True).read()
    elif isinstance(block, VideoBlock):
        data = block.resolve_video(as_base64=True).read()
    else:
        data = block._get_b64_bytes(block.resolve_document())
    if mime is None and getattr(block, "path", None):
        mime = guess_mime_type(str(block.path))
    return media_part(
        kind, data=data.decode(), mime_type=mime, filename=name, file_parts=file_parts
    )


class VertexOpenAILikeEmbedding(_VertexLlamaIndex, VertexParams, OpenAILikeEmbedding):  # type: ignore[misc]
    """Vertex AI embeddings over its OpenAI-compatible API.

    Same target and auth as :class:`VertexOpenAILike`; asks for ``encoding_format="float"``
    (the openai SDK would ask for base64).

    Pickles as :class:`VertexOpenAILike` does: settings and the credential without its token
    (a service account's private key included), a static ``api_key``, or nothing for ADC.

    Args:
        model_name (str):
            The embedding model, e.g. ``text-embedding-005`` (``google/`` is added on
            ``openapi``) or ``publisher/model``.
        project, location, endpoint_id, api_version, api_endpoint, credentials,
        quota_project, api_key:
            As for :class:`VertexOpenAILike`.
        **kwargs:
            ``OpenAILikeEmbedding``'s own: embed_batch_size, dimensions, additional_kwargs,
            max_retries, timeout, ...

    Examples:
        `pip install "vertex-openai[llama-index]"`

        ```python
        from vertex_openai.llama_index import VertexOpenAILikeEmbedding

        embed_model = VertexOpenAILikeEmbedding(
            model_name="text-embedding-005", project="my-project", location="us-central1"
        )
        vector = embed_model.get_text_embedding("Hello")
        ```

        Offline, against the emulator:

        ```python
        from vertex_openai.llama_index import VertexOpenAILikeEmbedding
        from vertex_openai.testing import VertexEmulator

        with VertexEmulator() as emu:
            embed_model = VertexOpenAILikeEmbedding(
                model_name="text-embedding-005",
                project=emu.project,
                location="us-central1",
                api_endpoint=emu.url,
                credentials=emu.credentials(),
            )
            vectors = embed_model.get_text_embedding_batch(["Hello", "World"])
            assert len(vectors) == 2
        ```
    """

    def __init__(self, model_name: str, api_key: Any = None, **kwargs: Any) -> None:
        _reject_client_args(kwargs)
        api_base = kwargs.pop("api_base", None)
        api_version = kwargs.pop("api_version", None)
        additional_kwargs = dict(kwargs.pop("additional_kwargs", None) or {})
        additional_kwargs.setdefault("encoding_format", "float")
        super().__init__(  # type: ignore[call-arg]  # OpenAILikeEmbedding's (see above)
            model_name=model_name,
            api_key=PLACEHOLDER_API_KEY,
            additional_kwargs=additional_kwargs,
            **kwargs,
        )
        self._open_connection(api_key, api_base, api_version)
        self._query_engine = self._text_engine = self.connection.model_name(model_name)

    @classmethod
    def class_name(cls) -> str:
        return "VertexOpenAILikeEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        """One batch of LlamaIndex's, sent as requests within Vertex's limits (see embeddings)."""
        vectors: list[list[float]] = []
        for start, end in batches(texts, self._text_engine, max_texts=self.embed_batch_size):
            vectors += super()._get_text_embeddings(texts[start:end])
        return vectors

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`_get_text_embeddings`."""
        vectors: list[list[float]] = []
        for start, end in batches(texts, self._text_engine, max_texts=self.embed_batch_size):
            vectors += await super()._aget_text_embeddings(texts[start:end])
        return vectors
