"""The parameters every framework class shares, declared once.

``VertexParams`` is a pydantic mixin: the LangChain and LlamaIndex classes inherit it next to
their framework base, so the target, auth and Gemini options are declared, documented and
turned into a :class:`~vertex_openai.connection.VertexConnection` in one place.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr
from typing_extensions import Self

from .auth import credentials_without_token
from .connection import VertexConnection
from .gemini import google_options, merge_extra_body
from .schemas import gemini_response_format, gemini_tools, is_gemini_model
from .target import VertexTarget

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

# Guards the lazy rebuild of an unpickled model's connection (rare: once per copy).
_RECONNECT_LOCK = threading.Lock()


def _check_rate_limiter(owner: str, limiter: Any) -> None:
    """A clear error for a rate limiter that cannot travel (the frameworks' in-memory ones
    hold a lock), rather than pickle's "cannot pickle '_thread.lock' object"."""
    if limiter is None:
        return
    try:
        pickle.dumps(limiter)
    except Exception as exc:
        raise TypeError(
            f"{owner} cannot be pickled with its rate_limiter ({type(limiter).__name__}: "
            f"{exc}): an in-memory rate limiter counts for one process. Pickle the model "
            "without it and give each worker its own, e.g. "
            "model.model_copy(update={'rate_limiter': ...}) where the worker starts"
        ) from exc


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

    # The one connection of a model and of all its copies (set when the model is validated;
    # None in an unpickled copy until first used).
    _connection: VertexConnection | None = PrivateAttr(default=None)
    # What an unpickled copy rebuilds its connection from: the target resolved at
    # construction (so the copy sends where the original did, whatever the worker's
    # environment) and the static token the user gave (None: credentials or ADC).
    _target: VertexTarget | None = PrivateAttr(default=None)
    _api_key: Any = PrivateAttr(default=None)

    @property
    def connection(self) -> VertexConnection:
        """The connection (target, token source, HTTP clients) this model and its copies use.

        Copies (``model_copy``, LangChain's ``bind_tools`` / ``with_structured_output``,
        LlamaIndex's ``as_structured_llm``) share it: to change project, location, endpoint or
        credentials, construct a new model. An unpickled copy builds its own on first use.
        """
        connection = self._connection
        if connection is None:
            connection = self._reconnect()
        return connection

    def _reconnect(self) -> VertexConnection:
        """Rebuild the connection of an unpickled copy (same target, same credential)."""
        with _RECONNECT_LOCK:
            if self._connection is None:
                if self._target is None:  # pragma: no cover - set at construction
                    raise RuntimeError(f"{type(self).__name__} was not validated")
                self._connection = self._create_connection(self._api_key, self._target)
                self._connected()
            return self._connection

    def _connected(self) -> None:
        """Hook: the connection was rebuilt (an adapter rebuilds its framework clients)."""

    def _drop_clients(self) -> None:
        """Hook: the connection was closed (an adapter drops the clients built on it)."""

    def close(self) -> None:
        """Close this model's HTTP connections now (sockets close once no other connection of
        the process uses the same pool). The model stays usable: its next call opens new
        ones. Copies made with ``model_copy`` before closing keep the closed clients: build
        copies again, or close the model only when done with all of them."""
        connection = self._connection
        if connection is not None:
            connection.close()
            self._drop_clients()

    async def aclose(self) -> None:
        """:meth:`close`, closing the running event loop's async sockets gracefully."""
        connection = self._connection
        if connection is not None:
            await connection.aclose()
            self._drop_clients()

    def _runtime_state(self) -> tuple[frozenset[str], frozenset[str]]:
        """Hook: the (fields, private attributes) holding clients, pools or locks.

        They are left out of pickles (as None, or absent for fields an adapter rebuilds
        lazily) and rebuilt from the connection.
        """
        return frozenset(), frozenset()

    def __getstate__(self) -> dict[Any, Any]:
        """The settings and the credential the user gave: no token, pool, lock or client.

        A google-auth credential is kept without its access token (a service account's
        still holds its private key); a static ``api_key`` is kept as it is (it is the
        credential); Application Default Credentials are resolved again where the copy
        is used. The target is the one resolved here.
        """
        fields, private = self._runtime_state()
        state = BaseModel.__getstate__(self)
        values = {k: v for k, v in state["__dict__"].items() if k not in fields}
        if "credentials" in values:
            values["credentials"] = credentials_without_token(values["credentials"])
        _check_rate_limiter(type(self).__name__, values.get("rate_limiter"))
        kept = dict(state.get("__pydantic_private__") or {})
        for name in {"_connection", *private}:
            if name in kept:
                kept[name] = None
        return {**state, "__dict__": values, "__pydantic_private__": kept}

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Restore the settings; the connection is rebuilt on first use (see ``connection``)."""
        BaseModel.__setstate__(self, state)

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
        self.connection  # noqa: B018 - an unpickled model connects first, so copies share it
        return super().model_copy(update=update, deep=deep)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy that still shares the connection, the clients and the credentials.

        They hold locks, sockets and keys (not copyable), and copies share one connection:
        private attributes and excluded fields (the frameworks' clients) are kept as they are.
        """
        memo = {} if memo is None else memo
        self.connection  # noqa: B018 - an unpickled model connects first, so copies share it
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
        connection = self._create_connection(api_key, None)
        connection.check_base_url(base_url_name, base_url)
        self._connection = connection
        self._target = connection.target
        self._api_key = api_key
        return connection.base_url

    def _create_connection(self, api_key: Any, target: VertexTarget | None) -> VertexConnection:
        """A connection from the fields (``target``: the one resolved before pickling)."""
        where: dict[str, Any] = {
            "project": self.project,
            "location": self.location,
            "endpoint_id": self.endpoint_id,
            "api_version": self.api_version,
        }
        if target is not None:
            where = {
                "project": target.project,
                "location": target.location,
                "endpoint_id": target.endpoint_id,
                "api_version": target.api_version,
            }
        return VertexConnection.create(
            **where,
            api_endpoint=self.api_endpoint,
            credentials=self.credentials,
            quota_project=self.quota_project,
            api_key=api_key,
            # langchain-openai's http_socket_options (None: its keep-alive defaults).
            socket_options=getattr(self, "http_socket_options", None),
        )

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
