"""The docstring examples that use the emulator run as written."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core")

from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

from support import run_docstring_examples


@pytest.mark.parametrize("cls", [VertexOpenAILike, VertexOpenAILikeEmbedding])
def test_emulator_examples_run(cls: type, capsys: pytest.CaptureFixture[str]) -> None:
    run_docstring_examples(cls.__doc__, containing="VertexEmulator")
    if cls is VertexOpenAILike:
        assert "You said: Hello" in capsys.readouterr().out
