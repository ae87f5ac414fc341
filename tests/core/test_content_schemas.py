"""The core's file parts (content.py) and Gemini-safe schemas (schemas.py), without HTTP.

What reaches the emulator through each framework is checked in tests/langchain/test_files.py
and tests/llama_index/test_llamaindex_files.py; the emulator's own rejections in
tests/testing/test_emulator_files.py.
"""

from __future__ import annotations

import base64
from enum import Enum
from typing import Literal, Optional

import pytest
from pydantic import BaseModel, Field

from vertex_openai.content import guess_mime_type, media_part
from vertex_openai.schemas import (
    gemini_response_format,
    gemini_schema,
    gemini_tools,
    is_gemini_model,
)

PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()


@pytest.mark.parametrize(
    ("kind", "url", "mime", "expected"),
    [
        (
            "file",
            "gs://bucket/doc.pdf",
            "application/pdf",
            {"type": "image_url", "image_url": {"url": "gs://bucket/doc.pdf"}},
        ),
        (
            "video",
            "gs://bucket/clip.mp4",
            None,
            {"type": "image_url", "image_url": {"url": "gs://bucket/clip.mp4"}},
        ),
        (
            "image",
            "https://example.com/a.png",
            None,
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ),
        # Vertex's examples page: input_audio with a MIME-type format and a gs:// URI.
        (
            "audio",
            "gs://bucket/a.mp3",
            "audio/mp3",
            {
                "type": "input_audio",
                "input_audio": {"format": "audio/mp3", "data": "gs://bucket/a.mp3"},
            },
        ),
        (
            "audio",
            "https://example.com/a.mp3",
            None,
            {"type": "image_url", "image_url": {"url": "https://example.com/a.mp3"}},
        ),
    ],
)
def test_files_by_uri(kind: str, url: str, mime: str | None, expected: dict[str, object]) -> None:
    assert media_part(kind, url=url, mime_type=mime) == expected


def test_files_by_base64() -> None:
    assert media_part("file", data=PDF, mime_type="application/pdf") == {
        "type": "image_url",
        "image_url": {"url": f"data:application/pdf;base64,{PDF}"},
    }
    assert media_part("audio", data=b"RIFF", mime_type="audio/wav") == {
        "type": "input_audio",
        "input_audio": {"format": "audio/wav", "data": base64.b64encode(b"RIFF").decode()},
    }
    # The switchable form: OpenAI's file part for base64 documents.
    assert media_part(
        "file", data=PDF, mime_type="application/pdf", filename="d.pdf", file_parts="file"
    ) == {
        "type": "file",
        "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "d.pdf"},
    }
    # A data: URL is read as base64 with its MIME type.
    assert media_part("image", url=f"data:image/png;base64,{PDF}")["image_url"] == {
        "url": f"data:image/png;base64,{PDF}"
    }


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"kind": "file", "data": PDF, "mime_type": "application/zip"},
            "not a MIME type Gemini reads",
        ),
        ({"kind": "video", "url": "gs://bucket/a.pdf", "mime_type": "application/pdf"}, "as video"),
        ({"kind": "file", "data": PDF}, "needs its mime_type"),
        ({"kind": "audio", "url": "gs://bucket/noext"}, "needs its mime_type"),
        (
            {"kind": "file", "data": "not base64!", "mime_type": "application/pdf"},
            "not valid base64",
        ),
        ({"kind": "file", "url": "ftp://host/doc.pdf"}, "gs:// Cloud Storage URIs or https://"),
        ({"kind": "file", "url": "gs://x"}, "gs://bucket/object"),
        ({"kind": "file"}, "exactly one of"),
    ],
)
def test_refused_files(kwargs: dict[str, object], words: str) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError, match=words):
        media_part(str(kind), **kwargs)  # type: ignore[arg-type]


def test_guess_mime_type() -> None:
    assert guess_mime_type("gs://b/x/y.PDF") == "application/pdf"
    assert guess_mime_type("https://h/a.mp3?sig=1") == "audio/mp3"
    assert guess_mime_type("gs://b/noext") is None


# -- schemas ---------------------------------------------------------------------------------


class Color(str, Enum):
    RED = "red"
    BLUE = "blue"


class Pet(BaseModel):
    name: str = Field(title="Pet name", description="its name")
    color: Color
    tags: set[str] = set()
    age: Optional[int] = None  # noqa: UP045 (the Optional spelling is what users write)


class Owner(BaseModel):
    """An owner."""

    pets: list[Pet]
    best: Pet | None = Field(None, description="the favourite")
    kind: Literal["person", "company"]
    scores: dict[str, int] = {}


class Node(BaseModel):
    name: str
    children: list[Node] = []


def test_pydantic_model_made_gemini_safe() -> None:
    safe = gemini_schema(Owner.model_json_schema())
    text = repr(safe)
    for absent in ("$defs", "$ref", "title", "default", "uniqueItems", "anyOf", "const"):
        assert absent not in text, absent
    pet = safe["properties"]["pets"]["items"]
    assert pet["properties"]["color"] == {"enum": ["red", "blue"], "type": "string"}
    assert pet["properties"]["age"] == {"type": "integer", "nullable": True}
    assert pet["properties"]["tags"]["description"] == "Items are unique."
    assert pet["properties"]["name"] == {"description": "its name", "type": "string"}
    best = safe["properties"]["best"]
    assert best["nullable"] is True and best["description"] == "the favourite"
    assert best["properties"]["color"]["enum"] == ["red", "blue"]
    assert safe["properties"]["kind"] == {"enum": ["person", "company"], "type": "string"}
    assert safe["properties"]["scores"]["additionalProperties"] == {"type": "integer"}
    assert safe["required"] == ["pets", "kind"]


def test_recursion_is_refused_with_its_path() -> None:
    with pytest.raises(ValueError, match=r"children\.items: the schema is recursive"):
        gemini_schema(Node.model_json_schema(), where="tool 'Node' parameters")


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "object", "properties": {"n": {"enum": [1, 2]}}}, "strings only"),
        (
            {
                "type": "object",
                "properties": {"t": {"type": "array", "prefixItems": [{"type": "string"}]}},
            },
            "'prefixItems' has no equivalent",
        ),
        (
            {"type": "object", "properties": {"x": {"not": {"type": "string"}}}},
            "'not' has no equivalent",
        ),
        (
            {
                "type": "object",
                "properties": {"x": {"allOf": [{"type": "string"}, {"minLength": 1}]}},
            },
            "allOf with several",
        ),
        (
            {
                "type": "object",
                "properties": {
                    "x": {"oneOf": [{"type": "string"}, {"type": "string", "minLength": 2}]}
                },
            },
            "oneOf whose branches may overlap",
        ),
        (
            {"type": "object", "properties": {"x": {"$ref": "https://example.com/s.json"}}},
            "not a local",
        ),
    ],
)
def test_schemas_without_gemini_form(schema: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        gemini_schema(schema)


def test_translations_that_keep_the_meaning() -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {"const": "fast"},
            "maybe": {"type": ["string", "null"]},
            "either": {"oneOf": [{"type": "string"}, {"type": "integer"}], "description": "d"},
            "count": {"type": "integer", "exclusiveMinimum": 0},
            "when": {"type": "string", "format": "date-time"},
            "link": {"type": "string", "format": "uri"},
        },
    }
    safe = gemini_schema(schema)
    props = safe["properties"]
    assert "additionalProperties" not in safe
    assert props["mode"] == {"enum": ["fast"], "type": "string"}
    assert props["maybe"] == {"type": "string", "nullable": True}
    assert props["either"] == {
        "anyOf": [{"type": "string", "description": "d"}, {"type": "integer", "description": "d"}]
    }
    assert props["count"] == {"type": "integer", "minimum": 1}
    assert props["when"]["format"] == "date-time"
    assert props["link"] == {"type": "string"}


def test_tools_and_response_format() -> None:
    tools = [
        {"type": "function", "function": {"name": "f", "parameters": Owner.model_json_schema()}},
        {"type": "function", "function": {"name": "g"}},  # no parameters: left alone
    ]
    safe = gemini_tools(tools)
    assert "$defs" not in repr(safe) and safe[1] == tools[1]
    with pytest.raises(ValueError, match="needs an object schema"):
        gemini_tools(
            [{"type": "function", "function": {"name": "h", "parameters": {"type": "string"}}}]
        )
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "Owner", "schema": Owner.model_json_schema()},
    }
    assert "$ref" not in repr(gemini_response_format(fmt))
    assert gemini_response_format({"type": "json_object"}) == {"type": "json_object"}


def test_which_models_are_gemini() -> None:
    assert is_gemini_model("google/gemini-2.5-flash") and is_gemini_model("gemini-3-pro-preview")
    assert not is_gemini_model("meta/llama-3.3-70b-instruct-maas")
    assert not is_gemini_model("google/gemma-4-26b-a4b-it-maas")
