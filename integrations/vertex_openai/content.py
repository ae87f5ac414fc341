"""Files in a prompt: PDFs, video, audio and images, as Vertex's Chat Completions reads them.

A file is given by a Cloud Storage URI (``gs://bucket/object``), an ``https://`` URL, or its
bytes in base64 with a MIME type; :func:`media_part` turns it into the content part Vertex
documents. Framework-free: the LangChain and LlamaIndex adapters only say which of their
blocks is which kind of file.

What Vertex documents ("Using OpenAI libraries with Vertex AI",
https://cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/overview, and its
examples page,
https://docs.cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/examples):

* user messages take ``text`` and ``image_url`` parts; "The image_url type supports images
  stored a Cloud Storage URI or a base64 encoding in the form
  ``data:<MIME-TYPE>;base64,<BASE64-ENCODED-BYTES>``" (overview page);
* ``{"type": "input_audio", "input_audio": {"format": "audio/mp3", "data":
  "gs://cloud-samples-data/generative-ai/audio/pixel.mp3"}}``: audio by URI, its format a
  MIME type (examples page, "Use input_audio to pass in audio data");
* "The Chat Completions API supports a variety of multimodal input, including both audio and
  video" (examples page) without a video or PDF example.

So PDFs and video go as ``image_url`` (a URI, or a ``data:`` URL that carries the MIME
type): the one documented part that takes a Cloud Storage URI or base64 of any MIME type.
That is our choice where Vertex is silent; ``file_parts="file"`` sends base64 documents and
video in OpenAI's own ``{"type": "file", "file": {"file_data": ..., "filename": ...}}`` part
instead (see docs/wire.md, "Files in prompts").
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = ["FileParts", "guess_mime_type", "media_part", "supported_mime_types"]

#: How base64 documents and video are sent: ``"image_url"`` (a ``data:`` URL in an
#: ``image_url`` part, default) or ``"file"`` (OpenAI's ``file`` part).
FileParts = Literal["image_url", "file"]

# Gemini's input MIME types on Vertex ("Image understanding", "Video understanding", "Audio
# understanding" and "Document understanding" pages,
# https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/document-understanding and
# its siblings). Used to refuse a type Gemini does not read before anything is sent.
_MIME_TYPES: dict[str, frozenset[str]] = {
    "image": frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}),
    "video": frozenset(
        {
            "video/x-flv",
            "video/quicktime",
            "video/mpeg",
            "video/mpegs",
            "video/mpg",
            "video/mp4",
            "video/webm",
            "video/wmv",
            "video/3gpp",
        }
    ),
    "audio": frozenset(
        {
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
        }
    ),
    "file": frozenset({"application/pdf", "text/plain"}),
}
_ALIASES = {"image/jpg": "image/jpeg", "audio/x-wav": "audio/wav", "audio/wave": "audio/wav"}
# Extensions the standard library does not map (or maps elsewhere) on every platform.
_EXTENSIONS = {
    ".mp3": "audio/mp3",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".m4a": "audio/m4a",
    ".ogg": "audio/ogg",
    ".opus": "audio/opus",
    ".aac": "audio/aac",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
}
_GS_URI = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]/.+$")
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.DOTALL)


def supported_mime_types(kind: str | None = None) -> frozenset[str]:
    """The MIME types Gemini reads, for one kind ("image", "video", "audio", "file") or all."""
    if kind is None:
        return frozenset().union(*_MIME_TYPES.values())
    return _MIME_TYPES[kind]


def guess_mime_type(url: str) -> str | None:
    """The MIME type a URI's file extension names (``gs://b/a.pdf`` → ``application/pdf``)."""
    path = urlsplit(url).path
    dot = path.rfind(".")
    if dot == -1:
        return None
    extension = path[dot:].lower()
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    guessed, _ = mimetypes.guess_type("x" + extension, strict=False)
    return _ALIASES.get(guessed or "", guessed)


def _kind_of(mime_type: str) -> str | None:
    for kind, types in _MIME_TYPES.items():
        if mime_type in types:
            return kind
    return None


def _check_url(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "gs":
        if not _GS_URI.match(url):
            raise ValueError(f"{url!r} is not a Cloud Storage URI of the form gs://bucket/object")
        return "gs"
    if scheme in ("https", "http"):
        return scheme
    raise ValueError(
        f"{url!r}: Vertex AI reads files from gs:// Cloud Storage URIs or https:// URLs; "
        "send other files as base64 data with their MIME type"
    )


def _check_base64(data: str) -> str:
    cleaned = "".join(data.split())
    try:
        base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the file's data is not valid base64") from None
    return cleaned


def media_part(
    kind: str,
    *,
    url: str | None = None,
    data: str | bytes | None = None,
    mime_type: str | None = None,
    filename: str | None = None,
    file_parts: FileParts = "image_url",
) -> dict[str, Any]:
    """The Chat Completions content part for one file (ValueError for what Vertex cannot read).

    Args:
        kind: what the framework block says it is: ``"image"``, ``"audio"``, ``"video"`` or
            ``"file"`` (a document, e.g. a PDF).
        url: a ``gs://`` URI or an ``https://`` URL (or a ``data:`` URL), or None with ``data``.
        data: the bytes in base64 (``str``), or raw ``bytes`` (encoded here).
        mime_type: the file's MIME type; guessed from the URL's extension when None.
        filename: the file's name, sent with ``file_parts="file"``.
        file_parts: how base64 documents and video are sent (see :data:`FileParts`).

    Returns:
        ``{"type": "image_url", "image_url": {"url": ...}}`` for images, documents and video
        (a URI as is, base64 as a ``data:`` URL); ``{"type": "input_audio", "input_audio":
        {"format": <MIME type>, "data": <gs:// URI or base64>}}`` for audio by Cloud Storage
        URI or base64 (an ``https://`` audio URL goes as ``image_url``); ``{"type": "file",
        ...}`` for base64 documents and video when ``file_parts="file"``.
    """
    if kind not in _MIME_TYPES:
        raise ValueError(f"unknown file kind {kind!r}: one of image, audio, video, file")
    if (url is None) == (data is None):
        raise ValueError(f"a {kind} block needs exactly one of a URL or base64 data")
    if url is not None and url.startswith("data:"):
        match = _DATA_URL.match(url)
        if match is None:
            raise ValueError("a data: URL must have the form data:<MIME-TYPE>;base64,<DATA>")
        mime_type = mime_type or match["mime"]
        url, data = None, match["data"]
    scheme = ""
    encoded: str | None = None
    if url is not None:
        scheme = _check_url(url)
        mime_type = mime_type or guess_mime_type(url)
    elif isinstance(data, bytes | bytearray):
        encoded = base64.b64encode(bytes(data)).decode()
    elif data is not None:
        encoded = _check_base64(data)
    mime = _ALIASES.get((mime_type or "").lower(), (mime_type or "").lower())
    if mime:
        found = _kind_of(mime)
        if found is None or (kind in ("image", "audio", "video") and found != kind):
            raise ValueError(
                f"{mime_type!r} is not a MIME type Gemini reads as {kind}; supported: "
                + ", ".join(sorted(_MIME_TYPES["file" if kind == "file" else kind]))
                + (
                    f" (for other files see {', '.join(sorted(supported_mime_types()))})"
                    if kind == "file"
                    else ""
                )
            )
    elif encoded is not None or kind == "audio":
        raise ValueError(
            f"a {kind} given as base64 data, or audio by URI, needs its mime_type "
            "(e.g. 'application/pdf', 'video/mp4', 'audio/mp3')"
        )
    if kind == "audio" and (encoded is not None or scheme == "gs"):
        # Vertex's examples page: input_audio with a MIME type as format, data a gs:// URI.
        return {"type": "input_audio", "input_audio": {"format": mime, "data": url or encoded}}
    if url is not None:
        return {"type": "image_url", "image_url": {"url": url}}
    data_url = f"data:{mime};base64,{encoded}"
    if file_parts == "file" and kind in ("file", "video"):
        file: dict[str, Any] = {"file_data": data_url}
        if filename:
            file["filename"] = filename
        return {"type": "file", "file": file}
    return {"type": "image_url", "image_url": {"url": data_url}}
