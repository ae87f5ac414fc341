"""``ChatVertexOpenAI``: Vertex AI chat models over langchain-openai's ``BaseChatOpenAI``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_openai.chat_models.base import BaseChatOpenAI
from pydantic import Field, SecretStr, field_validator, model_validator
from typing_extensions import Self

from .._params import VertexParams
from ..connection import static_token
from ..gemini import (
    EXTRA_CONTENT_KEY,
    capture_extra_content,
    merge_extra_body,
    restore_extra_content,
)
from ..reasoning import REASONING_KEY, restore_reasoning
from ..schemas import gemini_response_format, gemini_schema, is_gemini_model
from ._base import VertexLangChain
from ._messages import (
    PROVIDER,
    StreamedExtraContent,
    captured_extra_content,
    field_of,
    is_model_class,
    read_into,
    sent_assistants,
    with_vertex_files,
)

# BaseChatOpenAI fields that only the Responses API takes (the SDK's chat.completions.create
# would fail on them with a TypeError).
_RESPONSES_ONLY = (
    "reasoning",
    "include",
    "truncation",
    "context_management",
    "use_previous_response_id",
)


class ChatVertexOpenAI(VertexLangChain, VertexParams, BaseChatOpenAI):
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
        file_parts: ``"image_url"`` (default) or ``"file"``: how base64 PDFs and video go to
            Gemini (Vertex documents neither form).

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

        Files (Gemini): standard ``file`` / ``video`` / ``audio`` / ``image`` blocks with a
        ``gs://`` or ``https://`` ``url``, or ``base64`` data, with their ``mime_type``;
        Gemini reads Cloud Storage itself (see docs/wire.md, "Files in prompts").

        ```python
        from langchain_core.messages import HumanMessage

        pdf = {
            "type": "file",
            "url": "gs://cloud-samples-data/generative-ai/pdf/2403.05530.pdf",
            "mime_type": "application/pdf",
        }
        summary = model.invoke([HumanMessage([{"type": "text", "text": "Summarize."}, pdf])])
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
        For Gemini, tool and response schemas are rewritten into the OpenAPI subset Vertex
        accepts (``$defs`` inlined, ``Optional`` → ``nullable``, sets, enums); a recursive
        schema raises ValueError before anything is sent.

        ```python
        class Joke(BaseModel):
            '''Joke to tell user.'''

            setup: str = Field(description="The setup of the joke")
            punchline: str = Field(description="The punchline to the joke")


        joke = model.with_structured_output(Joke).invoke("Tell me a joke about cats")
        joke = model.with_structured_output(Joke, method="json_schema").invoke("Cats?")
        assert isinstance(joke, Joke)
        ```

    Reasoning:
        Whatever form the model sends its reasoning in (Gemini thoughts with
        ``include_thoughts=True``, ``reasoning_content`` or ``<think>`` tags from partner
        models), ``.content`` and ``.text`` hold the answer alone; the reasoning is in
        ``additional_kwargs["reasoning_content"]`` and is the first block of
        ``content_blocks`` (``{"type": "reasoning", "reasoning": ...}``), streamed chunks
        included. ``response_metadata["model_provider"]`` is ``"google_vertexai"``, the same
        name as ``ls_provider`` (LangSmith prices Gemini under it).

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
        ``output_tokens`` include reasoning (``output_token_details["reasoning"]``), cached
        prompt tokens are ``input_token_details["cache_read"]``, and
        ``response_metadata["traffic_type"]`` is ``ON_DEMAND`` or ``PROVISIONED_THROUGHPUT``.

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
    http_socket_options: Sequence[tuple[int, int, int]] | None = Field(default=None, exclude=True)
    """TCP socket options of the connection's sockets (None: langchain-openai's keep-alive
    defaults, ``LANGCHAIN_OPENAI_TCP_*`` honoured). Declared here as newer langchain-openai
    declares it, so that it works from our floor (1.0.1) up."""

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
        ls_params["ls_provider"] = PROVIDER
        return ls_params

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """LangChain's ``bind_tools``; for Gemini, a recursive pydantic tool is refused here.

        langchain-core's ``convert_to_openai_tool`` replaces a recursive reference by an empty
        schema (the recursion is lost silently); Gemini cannot take recursion at all, so the
        pydantic model's own schema is checked first (ValueError naming the path). The other
        rewrites (``$defs``, ``Optional``, sets, enums) happen on every request.
        """
        model = self.connection.model_name(self.model_name)
        if self.endpoint_id is None and is_gemini_model(model):
            for tool in tools:
                schema_class: Any = tool.args_schema if isinstance(tool, BaseTool) else tool
                if is_model_class(schema_class):
                    name = getattr(tool, "name", None) or getattr(schema_class, "__name__", "?")
                    gemini_schema(
                        schema_class.model_json_schema(),
                        where=f"tool {name!r} parameters",
                    )
        return super().bind_tools(tools, **kwargs)

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
        and captured thought signatures go back on the assistant messages. For Gemini,
        standard ``file`` / ``video`` / ``audio`` / ``image`` blocks (a ``gs://`` or
        ``https://`` URL, or base64 with a ``mime_type``) become the content parts Vertex
        reads (:func:`vertex_openai.content.media_part`), and tool and response schemas are
        made Gemini-safe (:mod:`vertex_openai.schemas`); ValueError before anything is sent
        where they cannot be.
        """
        messages = self._convert_input(input_).to_messages()
        model = self.connection.model_name(kwargs.get("model") or self.model_name)
        gemini = self.endpoint_id is None and is_gemini_model(model)
        if gemini:
            messages = [with_vertex_files(m, self.file_parts) for m in messages]
        payload: dict[str, Any] = super()._get_request_payload(messages, stop=stop, **kwargs)
        # The model may have been renamed since (model_copy, assignment): prefix every time.
        payload["model"] = self.connection.model_name(payload.get("model"))
        self._gemini_safe(payload, payload["model"])
        if gemini and is_model_class(payload.get("response_format")):
            # with_structured_output(method="json_schema") with a pydantic class: the openai
            # SDK's parse() sends the class's own schema ($defs, additionalProperties) and
            # parses the answer with the class; the Gemini-safe schema goes out instead
            # (extra_body keys replace the SDK's top-level ones), parsing is unchanged.
            cls = payload["response_format"]
            safe = gemini_response_format(
                {
                    "type": "json_schema",
                    "json_schema": {
                        "name": cls.__name__,
                        "schema": cls.model_json_schema(),
                        "strict": True,
                    },
                }
            )
            payload["extra_body"] = {**(payload.get("extra_body") or {}), "response_format": safe}
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
            restore_extra_content(
                payload["messages"], captured_extra_content(messages, payload["messages"])
            )
        if any(REASONING_KEY in m.additional_kwargs for m in messages):
            sent = sent_assistants(messages, payload["messages"])
            reasonings = [m.additional_kwargs.get(REASONING_KEY) for m in sent]
            restore_reasoning(payload["messages"], reasonings, payload["model"])
        return payload

    def _create_chat_result(
        self,
        response: dict[str, Any] | openai.BaseModel,
        generation_info: dict[str, Any] | None = None,
    ) -> ChatResult:
        """LangChain's result, plus each choice's ``extra_content`` (thought signatures), its
        reasoning (``additional_kwargs["reasoning_content"]``), usage read by the core and
        the traffic type."""
        result = super()._create_chat_result(response, generation_info)
        choices = field_of(response, "choices")
        usage = field_of(response, "usage")
        for generation, choice in zip(result.generations, choices or (), strict=False):
            message = field_of(choice, "message")
            captured = capture_extra_content(message)
            if captured:
                generation.message.additional_kwargs[EXTRA_CONTENT_KEY] = captured
            read_into(generation.message, message, usage)
        if result.llm_output is not None:
            result.llm_output["model_provider"] = PROVIDER
        return result

    def _convert_chunk_to_generation_chunk(
        self,
        chunk: dict[str, Any],
        default_chunk_class: type,
        base_generation_info: dict[str, Any] | None,
    ) -> ChatGenerationChunk | None:
        """LangChain's chunk, plus the delta's ``extra_content`` (thought signatures), its
        reasoning and the usage read by the core."""
        generation_chunk = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info
        )
        if generation_chunk is None or not isinstance(generation_chunk.message, AIMessageChunk):
            return generation_chunk
        # beta.chat.completions.stream (response_format) nests the chunk under "chunk".
        nested = chunk.get("chunk")
        inner: Mapping[str, Any] = nested if isinstance(nested, Mapping) else chunk
        choices = chunk.get("choices") or inner.get("choices") or ()
        delta = choices[0].get("delta") if choices else None
        captured = capture_extra_content(delta) if isinstance(delta, Mapping) else None
        if captured:
            generation_chunk.message.additional_kwargs[EXTRA_CONTENT_KEY] = captured
        read_into(generation_chunk.message, delta, chunk.get("usage") or inner.get("usage"))
        return generation_chunk

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        seen = StreamedExtraContent()
        for chunk in super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs):
            yield seen.dedupe(chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        seen = StreamedExtraContent()
        async for chunk in super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs):
            yield seen.dedupe(chunk)
