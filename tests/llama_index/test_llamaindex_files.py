"""VertexOpenAILike: files by Cloud Storage URI, https URL and base64; Gemini-safe schemas.

Real HTTP to the emulator, which checks parts and schemas as Vertex documents them; each test
reads what the emulator received. Nothing is downloaded: a ``gs://`` URL would make
LlamaIndex's own conversion fail ("No connection adapters were found").
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, Field

from vertex_openai.testing import VertexEmulator

from support import Node, Pet, chat_requests, needs_llama_index

pytestmark = needs_llama_index

RAW = {
    "document": b"%PDF-1.4 tiny",
    "video": b"\x00\x00\x00\x18ftypmp42",
    "audio": b"RIFF\x24\x00\x00\x00WAVE",
    "image": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
}
MIME = {
    "document": "application/pdf",
    "video": "video/mp4",
    "audio": "audio/mp3",
    "image": "image/png",
}
EXT = {"document": "pdf", "video": "mp4", "audio": "mp3", "image": "png"}


def _block(kind: str, *, url: str | None = None, data: bytes | None = None) -> Any:
    from llama_index.core.base.llms.types import AudioBlock, DocumentBlock, ImageBlock, VideoBlock

    # Only what is given: older LlamaIndex (the 0.14.5 floor) refuses an explicit url=None.
    source: dict[str, Any] = {"url": url} if url is not None else {}
    if kind == "document":
        return DocumentBlock(**source, data=data, document_mimetype=MIME[kind], title="report.pdf")
    if data is not None:
        source[kind] = data  # the field is named like the kind
    if kind == "video":
        return VideoBlock(**source, video_mimetype=MIME[kind])
    if kind == "audio":
        return AudioBlock(**source, format="mp3")
    return ImageBlock(**source, image_mimetype=MIME[kind])


def _ask(block: Any) -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage, TextBlock

    return [ChatMessage(role="user", blocks=[TextBlock(text="Summarize this."), block])]


def _parts(emu: VertexEmulator) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = chat_requests(emu)[-1].body["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "Summarize this."}
    return parts[1:]


@pytest.mark.parametrize("kind", sorted(RAW))
@pytest.mark.parametrize("where", ["gs://bucket/media", "https://example.com/media"])
def test_file_by_url(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator, kind: str, where: str
) -> None:
    url = f"{where}/sample.{EXT[kind]}"
    reply = make_llm().chat(_ask(_block(kind, url=url)))
    assert reply.message.content
    [part] = _parts(vertex_emulator)
    if kind == "audio" and url.startswith("gs://"):
        assert part == {"type": "input_audio", "input_audio": {"format": "audio/mp3", "data": url}}
    else:
        assert part == {"type": "image_url", "image_url": {"url": url}}


@pytest.mark.parametrize("kind", sorted(RAW))
def test_file_by_base64(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator, kind: str
) -> None:
    encoded = base64.b64encode(RAW[kind]).decode()
    assert make_llm().chat(_ask(_block(kind, data=RAW[kind]))).message.content
    [part] = _parts(vertex_emulator)
    if kind == "audio":
        assert part == {
            "type": "input_audio",
            "input_audio": {"format": "audio/mp3", "data": encoded},
        }
    else:
        data_url = f"data:{MIME[kind]};base64,{encoded}"
        assert part == {"type": "image_url", "image_url": {"url": data_url}}


def test_streams_and_async(make_llm: Callable[..., Any], vertex_emulator: VertexEmulator) -> None:
    llm = make_llm()
    messages = _ask(_block("video", url="gs://bucket/clip.mp4"))
    assert "".join(r.delta or "" for r in llm.stream_chat(messages))

    async def run() -> str:
        reply = await llm.achat(messages)
        return str(reply.message.content)

    assert asyncio.run(run())
    assert len(chat_requests(vertex_emulator)) == 2
    assert _parts(vertex_emulator) == [
        {"type": "image_url", "image_url": {"url": "gs://bucket/clip.mp4"}}
    ]


def test_file_parts_switch(make_llm: Callable[..., Any], vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.accept_file_parts = True
    llm = make_llm(file_parts="file")
    assert llm.chat(_ask(_block("document", data=RAW["document"]))).message.content
    encoded = base64.b64encode(RAW["document"]).decode()
    assert _parts(vertex_emulator) == [
        {
            "type": "file",
            "file": {
                "file_data": f"data:application/pdf;base64,{encoded}",
                "filename": "report.pdf",
            },
        }
    ]


def test_unreadable_file_refused_before_sending(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    from llama_index.core.base.llms.types import DocumentBlock

    block = DocumentBlock(data=b"PK\x03\x04", document_mimetype="application/zip")
    with pytest.raises(ValueError, match="not a MIME type Gemini reads"):
        make_llm().chat(_ask(block))
    assert chat_requests(vertex_emulator) == []


# -- schemas ---------------------------------------------------------------------------------


class Adoption(BaseModel):
    """An adoption."""

    pets: list[Pet]
    favourite: Pet | None = Field(None, description="the favourite")


class AdoptArgs(BaseModel):
    adoption: Adoption


def adopt(adoption: Adoption) -> str:
    """Adopt pets."""
    return "ok"


def _sent_tool(emu: VertexEmulator) -> dict[str, Any]:
    schema: dict[str, Any] = chat_requests(emu)[-1].body["tools"][0]["function"]["parameters"]
    return schema


def test_function_tool_schema_is_gemini_safe(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    from llama_index.core.tools import FunctionTool

    llm = make_llm()
    reply = llm.chat_with_tools(
        [FunctionTool.from_defaults(fn=adopt, fn_schema=AdoptArgs)], user_msg="adopt a cat"
    )
    assert llm.get_tool_calls_from_response(reply, error_on_no_tool_call=True)
    schema = _sent_tool(vertex_emulator)
    text = repr(schema)
    assert "$defs" not in text and "$ref" not in text and "anyOf" not in text
    pets = schema["properties"]["adoption"]["properties"]["pets"]["items"]["properties"]
    assert pets["age"] == {"type": "integer", "nullable": True}
    assert pets["tags"]["description"] == "Items are unique."


def test_structured_predict(make_llm: Callable[..., Any], vertex_emulator: VertexEmulator) -> None:
    from llama_index.core.prompts import PromptTemplate

    result = make_llm().structured_predict(Adoption, PromptTemplate("Adopt {what}"), what="a cat")
    assert isinstance(result, Adoption)
    assert "$defs" not in repr(_sent_tool(vertex_emulator))


def test_recursive_schema_refused_before_any_request(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    from llama_index.core.prompts import PromptTemplate

    with pytest.raises(ValueError, match="recursive"):
        make_llm().structured_predict(Node, PromptTemplate("A tree of {what}"), what="oaks")
    assert chat_requests(vertex_emulator) == []


def test_partner_models_get_schemas_as_given(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    from llama_index.core.prompts import PromptTemplate

    llm = make_llm("deepseek-ai/deepseek-v3.2-maas", is_function_calling_model=True)
    llm.structured_predict(Adoption, PromptTemplate("Adopt {what}"), what="a cat")
    assert "$defs" in repr(_sent_tool(vertex_emulator))


class Scores(BaseModel, extra="forbid"):
    """Record scores."""

    scores: dict[str, int]


def test_additional_properties(
    make_llm: Callable[..., Any], vertex_emulator: VertexEmulator
) -> None:
    from llama_index.core.tools import FunctionTool

    def score(scores: dict[str, int]) -> str:
        """Record scores."""
        return "ok"

    llm = make_llm()
    llm.chat_with_tools([FunctionTool.from_defaults(fn=score, fn_schema=Scores)], user_msg="go")
    schema = _sent_tool(vertex_emulator)
    assert "additionalProperties" not in schema
    assert schema["properties"]["scores"]["additionalProperties"] == {"type": "integer"}
