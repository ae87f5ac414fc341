"""Recorded Vertex exchanges: the one file format ``vertex-openai proxy --record`` writes and
the emulator replays (``VertexEmulator(replay=DIR)``, ``queue_fixture``). See docs/replay.md.

Two kinds of file hold an exchange (a request and the answer Vertex gave to it):

* ``NAME.exchange.json`` — what the proxy records::

    {"format": "vertex-openai.exchange/1",
     "request": {"method": "POST", "route": "chat", "endpoint": "openapi", "body": {...}},
     "response": {"status": 200, "content_type": "application/json", "body": {...}}}

  A streamed answer has ``"events"`` (each server-sent event's text, in order, without its
  blank line) instead of ``"body"``; a non-JSON answer (an HTML page) has ``"text"``.
* ``NAME.json`` or ``NAME.sse`` with a ``NAME.meta.json`` sidecar — a published payload of
  the corpus (``tests/fixtures/vertex/``), kept byte for byte; the sidecar gives ``status``,
  ``content_type``, ``route`` (default ``chat``) and optional ``headers``. Its request is not
  known, so it answers only when queued explicitly (``queue_fixture``), never by matching.

Matching (:class:`Replay`): the same method, the same route (``chat``, ``embeddings``) and the
same JSON body once both are scrubbed (:func:`scrub`), compared as parsed JSON (key order and
whitespace do not matter; version, project, location and endpoint do not count). Equal
requests recorded several times answer in recorded order, the last one repeating.

Standard library only: the emulator imports it, and so does the proxy (the writer may import
``testing``, never the reverse).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pathlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EXCHANGE_SUFFIX",
    "FORMAT",
    "Exchange",
    "Replay",
    "exchange_document",
    "read_directory",
    "read_exchange",
    "read_fixture",
    "scrub",
    "write_exchange",
]

FORMAT = "vertex-openai.exchange/1"
EXCHANGE_SUFFIX = ".exchange.json"
_META_SUFFIX = ".meta.json"

# What is never written to a recording: the token forms Google issues today (access tokens
# "ya29.…", user refresh tokens "1//…"; an observed convention, not a documented format, so
# the guarantee rests first on recording no header at all: only the answer's content type
# and Retry-After), a bearer value of any kind, a project number in a resource name
# ("projects/123456789012/..."), the recorded project's id in a resource name.
_TOKEN = re.compile(r"ya29\.[0-9A-Za-z_\-.~+/]+=*")
_REFRESH_TOKEN = re.compile(r"\b1//[0-9A-Za-z_\-]{10,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[0-9A-Za-z_\-.~+/]+=*")
_PROJECT_NUMBER = re.compile(r"\bprojects/\d{6,}\b")
REDACTED_TOKEN = "REDACTED_TOKEN"
PROJECT_NUMBER = "PROJECT_NUMBER"
PROJECT_ID = "PROJECT_ID"
_KEPT_HEADERS = ("retry-after",)


def scrub_text(text: str, project: str | None = None) -> str:
    """``text`` without tokens, bearer values, project numbers or ``projects/{project}``."""
    text = _TOKEN.sub(REDACTED_TOKEN, text)
    text = _REFRESH_TOKEN.sub(REDACTED_TOKEN, text)
    text = _BEARER.sub("Bearer " + REDACTED_TOKEN, text)
    text = _PROJECT_NUMBER.sub("projects/" + PROJECT_NUMBER, text)
    if project:
        text = re.sub(
            rf"\bprojects/{re.escape(project)}(?=[/'\"`\s]|$)", "projects/" + PROJECT_ID, text
        )
    return text


def scrub(value: Any, project: str | None = None) -> Any:
    """A JSON value with :func:`scrub_text` applied to every string (keys included)."""
    if isinstance(value, str):
        return scrub_text(value, project)
    if isinstance(value, list):
        return [scrub(item, project) for item in value]
    if isinstance(value, dict):
        return {scrub_text(str(k), project): scrub(v, project) for k, v in value.items()}
    return value


def _key(method: str, route: str, body: Any) -> str:
    """What two requests must share to match (bodies already scrubbed)."""
    return json.dumps([method.upper(), route, body], sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Exchange:
    """One recorded (or published) answer, and the request it answered when known.

    ``payload`` is the response body exactly as the emulator sends it back.
    """

    name: str
    route: str
    status: int
    content_type: str
    payload: bytes
    method: str = "POST"
    body: Any = None  # the scrubbed request body; None when the request is not known
    has_request: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def streamed(self) -> bool:
        return self.content_type.lower().startswith("text/event-stream")


# -- writing ----------------------------------------------------------------------------------

_EVENT_END = re.compile(r"\r?\n\r?\n")


def split_events(text: str) -> list[str]:
    """A server-sent-event body as its events' texts (without the blank lines)."""
    events = [e for e in _EVENT_END.split(text)]
    return [e for e in events if e.strip()]


def exchange_document(
    *,
    method: str,
    route: str,
    endpoint: str,
    request_body: Any,
    status: int,
    content_type: str,
    response: bytes,
    headers: dict[str, str] | None = None,
    project: str | None = None,
) -> dict[str, Any]:
    """The JSON document of one exchange, scrubbed (see the module doc for the layout)."""
    text = response.decode("utf-8", errors="replace")
    answer: dict[str, Any] = {"status": status, "content_type": content_type}
    kept = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in _KEPT_HEADERS}
    if kept:
        answer["headers"] = kept
    if content_type.lower().startswith("text/event-stream"):
        answer["events"] = [scrub_text(e, project) for e in split_events(text)]
    else:
        try:
            answer["body"] = scrub(json.loads(text), project)
        except ValueError:
            answer["text"] = scrub_text(text, project)
    return {
        "format": FORMAT,
        "recorded": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "request": {
            "method": method.upper(),
            "route": route,
            "endpoint": scrub_text(endpoint, project),
            "body": scrub(request_body, project),
        },
        "response": answer,
    }


def write_exchange(directory: str | os.PathLike[str], document: dict[str, Any]) -> pathlib.Path:
    """Write ``document`` as ``NNNN-ROUTE-HASH.exchange.json`` (never overwriting a file)."""
    folder = pathlib.Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    request = document["request"]
    digest = hashlib.sha256(
        _key(request["method"], request["route"], request["body"]).encode()
    ).hexdigest()[:10]
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    number = len(list(folder.glob("*" + EXCHANGE_SUFFIX))) + 1
    while True:
        path = folder / f"{number:04d}-{request['route']}-{digest}{EXCHANGE_SUFFIX}"
        try:
            with path.open("x", encoding="utf-8") as out:
                out.write(text)
            return path
        except FileExistsError:
            number += 1


# -- reading ----------------------------------------------------------------------------------


def _from_document(name: str, document: Any) -> Exchange:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{name}: not a {FORMAT} document")
    request, answer = document.get("request"), document.get("response")
    if not isinstance(request, dict) or not isinstance(answer, dict):
        raise ValueError(f"{name}: needs 'request' and 'response' objects")
    content_type = str(answer.get("content_type") or "application/json")
    if "events" in answer:
        payload = "".join(f"{event}\n\n" for event in answer["events"]).encode()
    elif "body" in answer:
        payload = json.dumps(answer["body"], ensure_ascii=False).encode()
    else:
        payload = str(answer.get("text") or "").encode()
    return Exchange(
        name=name,
        route=str(request.get("route") or "chat"),
        status=int(answer.get("status", 200)),
        content_type=content_type,
        payload=payload,
        method=str(request.get("method") or "POST").upper(),
        body=request.get("body"),
        has_request="body" in request,
        headers={str(k): str(v) for k, v in (answer.get("headers") or {}).items()},
    )


def read_fixture(path: str | os.PathLike[str]) -> Exchange:
    """A published payload: ``NAME.json`` / ``NAME.sse`` (or ``NAME``, or its ``.meta.json``)
    and its optional sidecar, the body kept byte for byte."""
    target = pathlib.Path(path)
    if target.suffix not in (".json", ".sse") or target.name.endswith(_META_SUFFIX):
        base = target.with_name(target.name.removesuffix(_META_SUFFIX))
        found = [
            c for c in (base.with_name(base.name + e) for e in (".json", ".sse")) if c.is_file()
        ]
        if not found:
            raise FileNotFoundError(f"no {base}.json or {base}.sse")
        target = found[0]
    stem = target.name[: -len(target.suffix)]
    meta_path = target.with_name(stem + _META_SUFFIX)
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    default_type = (
        "text/event-stream" if target.suffix == ".sse" else "application/json; charset=UTF-8"
    )
    return Exchange(
        name=stem,
        route=str(meta.get("route") or "chat"),
        status=int(meta.get("status", 200)),
        content_type=str(meta.get("content_type") or default_type),
        payload=target.read_bytes(),
        headers={str(k): str(v) for k, v in (meta.get("headers") or {}).items()},
    )


def read_exchange(path: str | os.PathLike[str]) -> Exchange:
    """One exchange from a ``.exchange.json`` file or a published payload with its sidecar."""
    target = pathlib.Path(path)
    if target.name.endswith(EXCHANGE_SUFFIX):
        return _from_document(
            target.name.removesuffix(EXCHANGE_SUFFIX), json.loads(target.read_text("utf-8"))
        )
    return read_fixture(target)


def read_directory(directory: str | os.PathLike[str]) -> list[Exchange]:
    """Every exchange of a directory, in file-name order: ``*.exchange.json`` files and the
    published payloads that have a ``*.meta.json`` sidecar."""
    folder = pathlib.Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"replay directory {folder} does not exist")
    found: list[Exchange] = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith(EXCHANGE_SUFFIX):
            found.append(read_exchange(path))
        elif path.name.endswith(_META_SUFFIX):
            found.append(read_fixture(path))
    return found


class Replay:
    """The exchanges of a directory, answering the requests that match them (thread-safe).

    Args:
        exchanges: what to answer with; those without a known request are kept (see
            :attr:`exchanges`) but never matched.
        strict: a request that matches nothing gets a 404 instead of the deterministic model.
    """

    def __init__(self, exchanges: Iterable[Exchange], *, strict: bool = False) -> None:
        self.exchanges = list(exchanges)
        self.strict = strict
        self._lock = threading.Lock()
        self._by_key: dict[str, list[Exchange]] = {}
        self._used: dict[str, int] = {}
        for exchange in self.exchanges:
            if exchange.has_request:
                key = _key(exchange.method, exchange.route, exchange.body)
                self._by_key.setdefault(key, []).append(exchange)

    @classmethod
    def from_directory(cls, directory: str | os.PathLike[str], *, strict: bool = False) -> Replay:
        return cls(read_directory(directory), strict=strict)

    def answer(
        self, method: str, route: str, body: Any, project: str | None = None
    ) -> Exchange | None:
        """The recorded answer to this request (scrubbed as recordings are), or None."""
        key = _key(method, route, scrub(body, project))
        with self._lock:
            candidates = self._by_key.get(key)
            if not candidates:
                return None
            used = self._used.get(key, 0)
            self._used[key] = used + 1
            return candidates[min(used, len(candidates) - 1)]
