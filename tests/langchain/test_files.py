"""ChatVertexOpenAI: files by Cloud Storage URI, https URL and base64; Gemini-safe schemas.

Real HTTP to the emulator, which checks the parts and schemas as Vertex documents them; each
test also reads what the emulator received.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Literal

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from vertex_openai.testing import VertexEmulator

from support import Node, Pet, chat_requests

PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()
MP4 = base64.b64encode(b"\x00\x00\x00\x18ftypmp42").decode()
WAV = base64.b64encode(b"RIFF\x24\x00\x00\x00WAVE").decode()
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()

KINDS = {  # kind: (extension, mime type, base64)
    "file": ("pdf", "application/pdf", PDF),
    "video": ("mp4", "video/mp4", MP4),
    "audio": ("mp3", "audio/mp3", WAV),
    "image": ("png", "image/png", PNG),
}


def _last_user_parts(emu: VertexEmulator) -> list[dict[str, Any]]:
    body = chat_requests(emu)[-1].body
    parts: list[dict[str, Any]] = body["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "Summarize this."}
    return parts[1:]


def _ask(block: dict[str, Any]) -> HumanMessage:
    return HumanMessage(content=[{"type": "text", "text": "Summarize this."}, block])


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("where", ["gs://bucket/media", "https://example.com/media"])
def test_file_by_url(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator, kind: str, where: str
) -> None:
    extension, mime, _ = KINDS[kind]
    url = f"{where}/sample.{extension}"
    reply = chat_model().invoke([_ask({"type": kind, "url": url, "mime_type": mime})])
    assert reply.text
    [part] = _last_user_parts(vertex_emulator)
    if kind == "audio" and url.startswith("gs://"):
        # Vertex's examples page: input_audio, format a MIME type, data the gs:// URI.
        assert part == {"type": "input_audio", "input_audio": {"format": mime, "data": url}}
    else:
        assert part == {"type": "image_url", "image_url": {"url": url}}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_file_by_base64(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator, kind: str
) -> None:
    _, mime, data = KINDS[kind]
    block = {"type": kind, "base64": data, "mime_type": mime, "filename": f"x.{kind}"}
    assert chat_model().invoke([_ask(block)]).text
    [part] = _last_user_parts(vertex_emulator)
    if kind == "audio":
        assert part == {"type": "input_audio", "input_audio": {"format": mime, "data": data}}
    else:
        assert part == {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}


def test_v0_blocks_and_streaming(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    block = {
        "type": "file",
        "source_type": "url",
        "url": "gs://bucket/report.pdf",
        "mime_type": "application/pdf",
    }
    chunks = list(chat_model().stream([_ask(block)]))
    assert "".join(c.text for c in chunks)
    assert _last_user_parts(vertex_emulator) == [
        {"type": "image_url", "image_url": {"url": "gs://bucket/report.pdf"}}
    ]


def test_file_parts_switch(chat_model: Callable[..., Any], vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.accept_file_parts = True
    block = {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "r.pdf"}
    assert chat_model(file_parts="file").invoke([_ask(block)]).text
    assert _last_user_parts(vertex_emulator) == [
        {
            "type": "file",
            "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "r.pdf"},
        }
    ]


def test_unreadable_file_is_refused_before_sending(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    block = {"type": "file", "base64": PDF, "mime_type": "application/zip"}
    with pytest.raises(ValueError, match="not a MIME type Gemini reads"):
        chat_model().invoke([_ask(block)])
    assert chat_requests(vertex_emulator) == []


def test_partner_models_keep_langchain_conversion(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    # Not Gemini: langchain-openai's own conversion (and its error for file URLs) applies.
    model = chat_model(model="meta/llama-3.3-70b-instruct-maas")
    with pytest.raises(ValueError, match="does not support file URLs"):
        model.invoke(
            [_ask({"type": "file", "url": "gs://b/a.pdf", "mime_type": "application/pdf"})]
        )
    assert chat_requests(vertex_emulator) == []


# -- schemas ---------------------------------------------------------------------------------


class Adopt(BaseModel):
    """Adopt pets."""

    pets: list[Pet]
    favourite: Pet | None = Field(None, description="the favourite")
    kind: Literal["person", "company"]


def _sent_schema(emu: VertexEmulator) -> dict[str, Any]:
    body = chat_requests(emu)[-1].body
    schema: dict[str, Any] = body["tools"][0]["function"]["parameters"]
    return schema


def test_bind_tools_schema_is_gemini_safe(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    reply = chat_model().bind_tools([Adopt]).invoke("adopt a red cat")
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "Adopt"
    schema = _sent_schema(vertex_emulator)
    assert not {"$defs", "$ref", "anyOf", "uniqueItems", "default"} & set(repr(schema).split("'"))
    pet = schema["properties"]["pets"]["items"]["properties"]
    assert pet["age"] == {"type": "integer", "nullable": True}
    assert pet["color"]["enum"] == ["red", "blue"]
    assert schema["properties"]["favourite"]["nullable"] is True


def test_recursive_tool_refused_before_any_request(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(
        ValueError, match=r"tool 'Node' parameters.*children\.items: the schema is recursive"
    ):
        chat_model().bind_tools([Node])
    with pytest.raises(ValueError, match="recursive"):
        chat_model().with_structured_output(Node, method="json_schema").invoke("a tree")
    assert chat_requests(vertex_emulator) == []


def test_structured_output_json_schema(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    result = chat_model().with_structured_output(Adopt, method="json_schema").invoke("adopt")
    assert isinstance(result, Adopt)
    sent = chat_requests(vertex_emulator)[-1].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "Adopt"
    assert "$defs" not in repr(sent) and "$ref" not in repr(sent)
    # A dict schema too (JsonOutputParser).
    as_dict = chat_model().with_structured_output(Pet.model_json_schema(), method="json_schema")
    assert set(as_dict.invoke("a pet")) >= {"name", "color"}


def test_partner_models_get_schemas_as_given(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    model = chat_model(model="deepseek-ai/deepseek-v3.2-maas")
    model.bind_tools([Adopt]).invoke("adopt")
    assert "anyOf" in repr(_sent_schema(vertex_emulator))


def test_additional_properties(
    chat_model: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "score",
            "description": "Record scores.",
            "parameters": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "scores": {"type": "object", "additionalProperties": {"type": "integer"}}
                },
                "required": ["scores"],
            },
        },
    }
    chat_model().bind_tools([tool]).invoke("score it")
    schema = _sent_schema(vertex_emulator)
    assert "additionalProperties" not in schema  # false: an annotation, dropped
    assert schema["properties"]["scores"]["additionalProperties"] == {"type": "integer"}
