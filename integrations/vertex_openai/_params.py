"""The parameters every framework class shares, declared once.

``VertexParams`` is a pydantic mixin: the LangChain and LlamaIndex classes inherit it next to
their framework base, so the target, auth and Gemini options are declared, documented and
turned into a :class:`~vertex_openai.connection.VertexConnection` in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr
from typing_extensions import Self

from .connection import VertexConnection
from .gemini import google_options, merge_extra_body
from .schemas import gemini_response_format, gemini_tools, is_gemini_model

__all__ = ["VertexParams"]

# Fields baked into a model's connection when it is built.
_CONNECTION_FIELDS = frozenset(
    {
        "project",
        "location",
        "endpoint_id",
        "api_version",
        "api_endpoint",
        "credentials",
        "quota_project",
        "api_key",
        "openai_api_key",
    }
)


class VertexParams(BaseModel):
    """Vertex target, auth and Gemini options (shared by every framework class)."""

    project: str | None = Field(
        default=None,
        description="Google Cloud project; else GOOGLE_CLOUD_PROJECT, else the ADC project.",
    )
    location: str | None = Field(
        default=None,
        description="'global' (default), a region such as 'us-central1', or 'us' / 'eu'; "
        "else GOOGLE_CLOUD_LOCATION.",
    )
    endpoint_id: str | None = Field(
        default=None,
        description="A self-deployed Model Garden endpoint id; None for Gemini and MaaS models.",
    )
    api_version: str | None = Field(default=None, description="'v1' (default) or 'v1beta1'.")
    api_endpoint: str | None = Field(
        default=None,
        description="Replaces scheme and host: dedicated endpoint DNS, Private Service Connect, "
        "or the emulator's URL. Plain http only for loopback hosts.",
    )
    credentials: Any = Field(
        default=None,
        exclude=True,
        description="google.auth.credentials.Credentials; None for Application Default "
        "Credentials.",
    )
    quota_project: str | None = Field(
        default=None, description="Project billed for quota (header x-goog-user-project)."
    )
    thinking_budget: int | None = Field(
        default=None, description="Gemini thinking budget in tokens (thinking_config)."
    )
    thinking_level: str | None = Field(
        default=None, description="Gemini 3 thinking level, e.g. 'low' or 'high'."
    )
    include_thoughts: bool | None = Field(
        default=None, description="Ask Gemini to return thought summaries."
    )
    safety_settings: list[dict[str, Any]] | None = Field(
        default=None,
        description="Gemini safety settings: [{'category': ..., 'threshold': ...}].",
    )
    cached_content: str | None = Field(
        default=None, description="A Vertex context cache resource name."
    )
    thought_tag_marker: str | None = Field(
        default=None, description="Return thoughts inline, wrapped in this tag (e.g. 'think')."
    )
    file_parts: Literal["image_url", "file"] = Field(
        default="image_url",
        description="How base64 PDFs and video are sent to Gemini: as a data: URL in an "
        "image_url part (default) or in OpenAI's file part (Vertex documents neither; see "
        "docs/wire.md, 'Files in prompts').",
    )

    # The one connection of a model and of all its copies (set when the model is validated).
    _connection: VertexConnection | None = PrivateAttr(default=None)

    @property
    def connection(self) -> VertexConnection:
        """The connection (target, token source, HTTP clients) this model and its copies use.

        Copies (``model_copy``, LangChain's ``bind_tools`` / ``with_structured_output``,
        LlamaIndex's ``as_structured_llm``) share it: to change project, location, endpoint or
        credentials, construct a new model.
        """
        if self._connection is None:  # pragma: no cover - set at construction
            raise RuntimeError(f"{type(self).__name__} was not validated")
        return self._connection

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy sharing this model's connection (one token source for all copies).

        Raises:
            ValueError: ``update`` changes the target or the credentials; a copy would keep
                sending to the old target, so construct a new model instead.
        """
        unknown = sorted(set(update or ()) - set(type(self).model_fields))
        if unknown:
            raise ValueError(
                f"model_copy cannot update {', '.join(unknown)}: not a field name (use the "
                "field name, not an alias: e.g. model_name for LangChain's model)"
            )
        changed = sorted(_CONNECTION_FIELDS.intersection(update or ()))
        if changed:
            raise ValueError(
                f"model_copy cannot change {', '.join(changed)}: copies share one connection "
                "(target and token source); construct a new model instead"
            )
        return super().model_copy(update=update, deep=deep)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy that still shares the connection, the clients and the credentials.

        They hold locks, sockets and keys (not copyable), and copies share one connection:
        private attributes and excluded fields (the frameworks' clients) are kept as they are.
        """
        memo = {} if memo is None else memo
        shared = [*(self.__pydantic_private__ or {}).values()]
        shared += [
            getattr(self, name, None)
            for name, field in type(self).model_fields.items()
            if field.exclude
        ]
        for value in shared:
            if value is not None:
                memo[id(value)] = value
        return super().__deepcopy__(memo)

    def _attach_connection(self, api_key: Any, base_url_name: str, base_url: Any) -> str:
        """Build this new model's one connection; return the base URL for the framework field.

        Args:
            api_key: a static token, or None (credentials or Application Default Credentials).
            base_url_name, base_url: the framework's own base-URL parameter and what the user
                gave for it, which must be empty or the derived URL.

        Raises:
            ValueError: bad target parameters, or a different base URL.
        """
        connection = VertexConnection.create(
            project=self.project,
            location=self.location,
            endpoint_id=self.endpoint_id,
            api_version=self.api_version,
            api_endpoint=self.api_endpoint,
            credentials=self.credentials,
            quota_project=self.quota_project,
            api_key=api_key,
        )
        connection.check_base_url(base_url_name, base_url)
        self._connection = connection
        return connection.base_url

    def _google_options(self) -> dict[str, Any]:
        """The Gemini options for ``extra_body.google`` (empty when none is set)."""
        return google_options(
            thinking_budget=self.thinking_budget,
            thinking_level=self.thinking_level,
            include_thoughts=self.include_thoughts,
            safety_settings=self.safety_settings,
            cached_content=self.cached_content,
            thought_tag_marker=self.thought_tag_marker,
        )

    def _gemini_safe(self, request: MutableMapping[str, Any], model: str | None) -> None:
        """Tool and response schemas of a Gemini request made Gemini-safe, in place.

        Partner (MaaS) models and self-deployed endpoints read JSON Schema as sent.

        Raises:
            ValueError: a schema Gemini cannot take without changing its meaning.
        """
        if self.endpoint_id is not None or not is_gemini_model(model):
            return
        if request.get("tools"):
            request["tools"] = gemini_tools(request["tools"])
        if "response_format" in request:
            request["response_format"] = gemini_response_format(request["response_format"])

    def _gemini_extra_body(
        self, extra_body: Mapping[str, Any] | None, reasoning_effort: str | None = None
    ) -> dict[str, Any] | None:
        """``extra_body`` with this model's Gemini options merged in (see merge_extra_body).

        Raises:
            ValueError: ``reasoning_effort`` together with thinking options.
        """
        return merge_extra_body(
            extra_body, self._google_options(), reasoning_effort=reasoning_effort
        )
