"""What both LangChain classes share: serialization policy, secrets, the connection, pickling."""

from __future__ import annotations

from typing import Any

import openai

#: Secret id of the static token in LangChain serialization (never read from the environment).
TOKEN_SECRET_ID = "VERTEX_AI_ACCESS_TOKEN"
# The framework fields holding the openai clients (locks and pools: never pickled).
CLIENT_FIELDS = frozenset({"client", "async_client", "root_client", "root_async_client"})


class VertexLangChain:
    """What both classes do the same way: serialization policy, secrets, the connection."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """False: langchain-core's loader only revives classes in its own mapping."""
        return False

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secret ids of the constructor arguments that hold secrets."""
        return {"openai_api_key": TOKEN_SECRET_ID}

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
        return CLIENT_FIELDS, frozenset()

    def _connected(self) -> None:
        self._set_clients()

    def _drop_clients(self: Any) -> None:
        for name in CLIENT_FIELDS:
            self.__dict__.pop(name, None)

    def __getattr__(self: Any, name: str) -> Any:
        """The openai clients of an unpickled or closed model: built again on first use."""
        if name in CLIENT_FIELDS:
            values = object.__getattribute__(self, "__dict__")
            if name not in values:
                self.connection  # noqa: B018 - an unpickled copy connects (and sets them)
                if name not in values:  # closed: new clients on the same connection
                    self._set_clients()
                return values[name]
        return super().__getattr__(name)  # type: ignore[misc]  # pydantic BaseModel's
