"""service_tier → Vertex's consumption-option header (Flex / Priority PayGo); undocumented
values refused before sending (issue 12, item 6, optional part)."""

from __future__ import annotations

import pytest

from vertex_openai.errors import VertexOptionError
from vertex_openai.testing import VertexEmulator

from support import chat_requests, connect, needs_langchain, target, user

HEADER = "x-vertex-ai-llm-shared-request-type"


@pytest.mark.parametrize(
    ("tier", "header"),
    [("flex", "flex"), ("priority", "priority"), ("standard", None), ("default", None)],
)
def test_service_tier_becomes_the_header(
    vertex_emulator: VertexEmulator, tier: str, header: str | None
) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client()
    answer = client.chat.completions.create(**user("tiered"), service_tier=tier)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "You said: tiered"
    (request,) = chat_requests(emu)
    assert request.headers.get(HEADER) == header
    assert "service_tier" not in request.body
    assert request.body["messages"] == [{"role": "user", "content": "tiered"}]


def test_an_undocumented_tier_is_refused_before_sending(vertex_emulator: VertexEmulator) -> None:
    emu = vertex_emulator
    client = connect(emu).openai_client(max_retries=3)
    with pytest.raises(VertexOptionError, match="'scale' is not a Vertex AI consumption option"):
        client.chat.completions.create(**user(), service_tier="scale")  # type: ignore[arg-type]
    assert emu.requests == []  # nothing sent, nothing retried


@needs_langchain
def test_langchain_service_tier_field(vertex_emulator: VertexEmulator) -> None:
    from vertex_openai import ChatVertexOpenAI

    emu = vertex_emulator
    model = ChatVertexOpenAI(model="gemini-2.5-flash", service_tier="flex", **target(emu))
    assert model.invoke("hi").content == "You said: hi"
    assert chat_requests(emu)[0].headers[HEADER] == "flex"
    assert [c.content for c in model.stream("streamed")][-1] is not None
    assert chat_requests(emu)[1].headers[HEADER] == "flex"
