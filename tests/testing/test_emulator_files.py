"""The emulator checks Gemini content parts and schemas the way Vertex documents them.

Real HTTP with the plain openai SDK (the wire form each test sends is the point); sources for
each rule and its words are in integrations/vertex_openai/testing/_parts.py and _schemas.py.
"""

from __future__ import annotations

import base64
from typing import Any

import openai
import pytest

from vertex_openai.testing import VertexEmulator

from support import connect

GEMINI = "google/gemini-2.5-flash"
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()


def _send(emu: VertexEmulator, parts: list[Any], model: str = GEMINI, **body: Any) -> str:
    client = connect(emu).openai_client(max_retries=0)
    reply = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": [{"type": "text", "text": "read"}, *parts]}],
        **body,
    )
    message = reply.choices[0].message
    return message.content or str(message.tool_calls)


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    return str(body.get("message")) if isinstance(body, dict) else str(error)


@pytest.mark.parametrize(
    "part",
    [
        # Vertex's examples page sends image_url as a bare gs:// string.
        {
            "type": "image_url",
            "image_url": "gs://cloud-samples-data/generative-ai/image/scones.jpg",
        },
        {"type": "image_url", "image_url": {"url": "gs://bucket/doc.pdf"}},
        {"type": "image_url", "image_url": {"url": f"data:application/pdf;base64,{PDF}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/clip.mp4"}},
        {
            "type": "input_audio",
            "input_audio": {
                "format": "audio/mp3",
                "data": "gs://cloud-samples-data/generative-ai/audio/pixel.mp3",
            },
        },
        {"type": "input_audio", "input_audio": {"format": "wav", "data": PDF}},
    ],
)
def test_documented_parts_are_read(emu: VertexEmulator, part: dict[str, Any]) -> None:
    assert _send(emu, [part])


@pytest.mark.parametrize(
    ("part", "words"),
    [
        (
            {"type": "image_url", "image_url": {"url": f"data:application/zip;base64,{PDF}"}},
            "mimeType parameter with value application/zip, which is not supported",
        ),
        (
            {"type": "image_url", "image_url": {"url": "data:application/pdf;base64,%%%"}},
            "Base64 decoding failed",
        ),
        (
            {"type": "image_url", "image_url": {"url": "ftp://host/doc.pdf"}},
            "Use a Cloud Storage URI",
        ),
        ({"type": "image_url", "image_url": {"url": "gs://x"}}, "Invalid Cloud Storage URI"),
        (
            {"type": "input_audio", "input_audio": {"format": "audio/zip", "data": PDF}},
            "mimeType parameter with value audio/zip",
        ),
        (
            {
                "type": "file",
                "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "d.pdf"},
            },
            "Invalid content part type `file`",
        ),
        (
            {"type": "video_url", "video_url": {"url": "gs://bucket/a.mp4"}},
            "Invalid content part type `video_url`",
        ),
    ],
)
def test_refused_parts(emu: VertexEmulator, part: dict[str, Any], words: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _send(emu, [part])
    assert caught.value.status_code == 400
    assert words in _message(caught.value)


def test_part_switches(emu: VertexEmulator) -> None:
    file_part = {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}"}}
    https = {"type": "image_url", "image_url": {"url": "https://example.com/doc.pdf"}}
    emu.accept_file_parts = True
    assert _send(emu, [file_part])
    emu.accept_http_urls = False
    with pytest.raises(openai.BadRequestError, match="Use a Cloud Storage URI"):
        _send(emu, [https])


def test_partner_models_are_not_checked(emu: VertexEmulator) -> None:
    part = {"type": "video_url", "video_url": {"url": "gs://bucket/a.mp4"}}
    assert _send(emu, [part], model="meta/llama-3.3-70b-instruct-maas")


# -- schemas ---------------------------------------------------------------------------------


def _tool(parameters: Any, name: str = "lookup") -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": name, "parameters": parameters}}]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            {
                "tools": _tool(
                    {
                        "type": "object",
                        "$defs": {"P": {"type": "string"}},
                        "properties": {"p": {"$ref": "#/$defs/P"}},
                    }
                )
            },
            "Unknown name \"$defs\" at 'tools[0].function_declarations[0].parameters': "
            "Cannot find field.",
        ),
        (
            {
                "tools": _tool(
                    {
                        "type": "object",
                        "properties": {
                            "b": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
                        },
                    },
                    "git_create_branch",
                )
            },
            "`git_create_branch` functionDeclaration `parameters.b` schema specified other "
            "fields alongside any_of",
        ),
        (
            {"tools": _tool({"type": "string"}, "load_mcp_documentation")},
            "`load_mcp_documentation` functionDeclaration parameters schema should be of "
            "type OBJECT",
        ),
        (
            {
                "tools": _tool(
                    {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}
                )
            },
            "(TYPE_STRING), 1",
        ),
        (
            {
                "tools": _tool(
                    {"type": "object", "properties": {"s": {"type": "array", "uniqueItems": True}}}
                )
            },
            'Unknown name "uniqueItems"',
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "R",
                        "schema": {"type": "object", "properties": {"x": {"const": "a"}}},
                    },
                }
            },
            "Unknown name \"const\" at 'generation_config.response_schema.properties[0].value'",
        ),
    ],
)
def test_refused_schemas(emu: VertexEmulator, body: dict[str, Any], words: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _send(emu, [], **body)
    assert words in _message(caught.value)


def test_schema_switch_and_partner_models(emu: VertexEmulator) -> None:
    tools = _tool({"type": "object", "additionalProperties": False, "$defs": {}, "properties": {}})
    assert _send(emu, [], model="deepseek-ai/deepseek-v3.2-maas", tools=tools)
    emu.gemini_schema_check = False  # as if the route read parametersJsonSchema
    assert _send(emu, [], tools=tools)
