"""The emulator's check of user content parts for Gemini models (private, standard library).

What Vertex documents for the OpenAI-compatible route ("Using OpenAI libraries with Vertex
AI", https://cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/overview, and the
examples page https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/examples,
docs, H): user messages take ``text`` and ``image_url`` parts; ``image_url`` is a Cloud
Storage URI or ``data:<MIME-TYPE>;base64,<BYTES>`` (the examples page passes it as a bare
string, the OpenAI SDK as ``{"url": ...}``: both read here); ``input_audio`` takes
``{"format": "audio/mp3", "data": "gs://..."}``.

Rejections and their words:

* a MIME type Gemini does not read: "Unable to submit request because it has a mimeType
  parameter with value application/zip, which is not supported. Update the mimeType and try
  again. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
  (public captures, M: Vertex generateContent 400s quoted in google/adk-python user logs and
  several client test suites; assumed the same through the OpenAI route);
* bytes that are not base64: "Invalid value at '...' (TYPE_BYTES), Base64 decoding failed for
  ..." (the wording Google's JSON front end gives for any bytes field, M; the field path is
  guessed);
* an OpenAI ``file`` part, an unknown part type, a URL that is neither ``gs://`` nor ``http(s)``
  nor ``data:``: guessed wording (switches ``accept_file_parts``, ``accept_http_urls``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# Gemini's input MIME types on Vertex (the "Image / Video / Audio / Document understanding"
# pages, https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/document-understanding
# and siblings, docs, H).
MIME_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/jpg",
        "image/webp",
        "image/heic",
        "image/heif",
        "video/x-flv",
        "video/quicktime",
        "video/mpeg",
        "video/mpegs",
        "video/mpg",
        "video/mp4",
        "video/webm",
        "video/wmv",
        "video/3gpp",
        "audio/x-aac",
        "audio/aac",
        "audio/flac",
        "audio/mp3",
        "audio/m4a",
        "audio/mpeg",
        "audio/mpga",
        "audio/mp4",
        "audio/ogg",
        "audio/opus",
        "audio/pcm",
        "audio/wav",
        "audio/webm",
        "application/pdf",
        "text/plain",
    }
)
# OpenAI's input_audio formats are short names ("wav", "mp3").
_SHORT_AUDIO = {"wav", "mp3", "flac", "aac", "ogg", "opus", "m4a", "webm", "pcm", "mpeg"}
_GS_URI = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]/.+$")
_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*);base64,(?P<data>.*)$", re.DOTALL)


def mime_type_error(mime: str) -> str:
    return (
        f"Unable to submit request because it has a mimeType parameter with value {mime}, "
        "which is not supported. Update the mimeType and try again. Learn more: "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
    )


def _base64_error(where: str, data: str) -> str | None:
    try:
        base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        shown = data if len(data) <= 40 else data[:40] + "..."
        return f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\""
    return None


def _url_error(url: str, where: str, accept_http: bool) -> str | None:
    if url.startswith("data:"):
        match = _DATA_URL.match(url)
        if match is None:
            return f"Invalid data URL at '{where}': expected data:<MIME-TYPE>;base64,<DATA>."
        mime = match["mime"].lower()
        if mime not in MIME_TYPES:
            return mime_type_error(mime or "(empty)")
        return _base64_error(where, match["data"])
    if url.startswith("gs://"):
        if not _GS_URI.match(url):
            return f"Invalid Cloud Storage URI at '{where}': {url}"
        return None
    if url.startswith(("https://", "http://")) and accept_http:
        return None
    return (
        f"Unable to submit request because the file URL at '{where}' is not supported: {url}. "
        "Use a Cloud Storage URI (gs://) or a base64 data URL."
    )


def check_parts(messages: list[Any], *, accept_file_parts: bool, accept_http: bool) -> str | None:
    """The 400 message for the first content part Vertex would refuse, else None."""
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            where = f"messages[{i}].content[{j}]"
            if not isinstance(part, dict):
                return f"Invalid content part at '{where}': expected an object."
            kind = part.get("type")
            if kind == "text":
                continue
            if kind == "image_url":
                value = part.get("image_url")
                url = value.get("url") if isinstance(value, dict) else value
                if not isinstance(url, str):
                    return f"Invalid image_url at '{where}': expected a URL."
                problem = _url_error(url, f"{where}.image_url", accept_http)
            elif kind == "input_audio":
                audio = part.get("input_audio")
                if not isinstance(audio, dict):
                    return f"Invalid input_audio at '{where}': expected an object."
                fmt = str(audio.get("format") or "").lower()
                mime = fmt if "/" in fmt else f"audio/{fmt}" if fmt in _SHORT_AUDIO else fmt
                if mime not in MIME_TYPES or not mime.startswith("audio/"):
                    return mime_type_error(fmt or "(empty)")
                data = audio.get("data")
                if not isinstance(data, str) or not data:
                    return f"Invalid input_audio at '{where}': data is required."
                if data.startswith(("gs://", "https://", "http://")):
                    problem = _url_error(data, f"{where}.input_audio.data", accept_http)
                else:
                    problem = _base64_error(f"{where}.input_audio.data", data)
            elif kind == "file" and accept_file_parts:
                file = part.get("file")
                data = file.get("file_data") if isinstance(file, dict) else None
                if not isinstance(data, str):
                    return f"Invalid file part at '{where}': file_data is required."
                problem = _url_error(data, f"{where}.file.file_data", accept_http)
            else:
                return (
                    f"Invalid content part type `{kind}` at '{where}': the Chat Completions "
                    "API takes text, image_url and input_audio parts."
                )
            if problem is not None:
                return problem
    return None
