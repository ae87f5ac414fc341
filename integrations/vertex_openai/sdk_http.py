"""The HTTP library the installed openai SDK is built on, picked once for the whole package.

openai 1.x and 2.x are built on ``httpx`` (0.x); openai 3.x on ``httpx2`` (pydantic's
continuation of httpx, same API, its own classes: https://github.com/pydantic/httpx2). openai
3.x still accepts an ``httpx.Client`` as ``http_client``, through an adaptation layer
(``openai/_httpx2.py``: per call it checks which library the client belongs to and converts
timeouts and auth), which costs a few percent per call. So every client, transport, pool and
stream of this package is built from :data:`http`: ``httpx2`` when the installed openai is
built on it, else ``httpx``. langchain-openai picks the library by the same rule
(``langchain_openai/_compat.py``, https://github.com/langchain-ai/langchain/blob/master/libs/partners/openai/langchain_openai/_compat.py).

Type checking sees ``httpx``, whose API ``httpx2`` mirrors.

:class:`AuthBase` is both libraries' ``Auth`` at once under openai 3.x, so
:class:`~vertex_openai.auth.VertexAuth` signs the requests of a caller's own ``httpx.Client``
as well as ours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import openai

__all__ = ["REQUEST_NOT_READ", "AuthBase", "decoders", "http", "sdk_uses_httpx2"]


def sdk_uses_httpx2() -> bool:
    """True when the installed openai SDK is built on ``httpx2`` (openai 3.x).

    Read from the SDK itself: its ``DefaultHttpxClient`` is an ``httpx.Client`` in 1.x and
    2.x, an ``httpx2.Client`` in 3.x (unless ``httpx2.alias_httpx()`` made ``httpx`` that
    same module, when either name is the same library).
    """
    return not issubclass(openai.DefaultHttpxClient, httpx.Client)


if TYPE_CHECKING:
    import httpx as http
    from httpx import _decoders as decoders  # the content decoders (gzip, deflate, br, zstd)

    AuthBase = httpx.Auth
elif sdk_uses_httpx2():
    import httpx2 as http
    from httpx2 import _decoders as decoders

    class AuthBase(httpx.Auth, http.Auth):
        """An ``httpx2.Auth`` that is an ``httpx.Auth`` too (both clients accept it)."""

else:
    http = httpx
    from httpx import _decoders as decoders

    AuthBase = httpx.Auth

#: ``RequestNotRead`` of both libraries (what a request with a streamed body raises).
REQUEST_NOT_READ: tuple[type[Exception], ...] = tuple({httpx.RequestNotRead, http.RequestNotRead})
