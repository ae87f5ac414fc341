"""structured_predict (function calling) against the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from vertex_openai.llama_index import VertexOpenAILike
from vertex_openai.testing import VertexEmulator

MakeLLM = Callable[..., VertexOpenAILike]
PROMPT = PromptTemplate("Describe the city {city}.")


class City(BaseModel):
    """A city."""

    name: str
    population: int
    coastal: bool


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_structured_predict(vertex_emulator: VertexEmulator, make_llm: MakeLLM, model: str) -> None:
    city = make_llm(model).structured_predict(City, PROMPT, city="Lisbon")
    assert city == City(name="Describe the city Lisbon.", population=1, coastal=True)
    body = vertex_emulator.requests[-1].body
    assert body["tool_choice"] == "required"
    assert body["tools"][0]["function"]["name"] == "City"


async def test_astructured_predict(vertex_emulator: VertexEmulator, make_llm: MakeLLM) -> None:
    city = await make_llm().astructured_predict(City, PROMPT, city="Porto")
    assert city.name == "Describe the city Porto." and city.population == 1


def test_as_structured_llm(make_llm: MakeLLM) -> None:
    from llama_index.core.llms import ChatMessage

    structured = make_llm().as_structured_llm(City)
    reply = structured.chat([ChatMessage(role="user", content="Oslo")])
    assert isinstance(reply.raw, City) and reply.raw.name == "Oslo"
