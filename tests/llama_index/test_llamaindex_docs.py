"""The docstring examples that use the emulator run as written."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("llama_index.core")

from vertex_openai.llama_index import VertexOpenAILike, VertexOpenAILikeEmbedding

_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _examples(obj: object) -> list[str]:
    blocks = _BLOCK.findall(obj.__doc__ or "")
    assert blocks, f"{obj} has no python example"
    # Docstring blocks are indented by the class body: remove the common indentation.
    dedented = []
    for block in blocks:
        lines = block.splitlines()
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        dedented.append("\n".join(line[indent:] for line in lines))
    return [code for code in dedented if "VertexEmulator" in code]


@pytest.mark.parametrize("cls", [VertexOpenAILike, VertexOpenAILikeEmbedding])
def test_emulator_examples_run(cls: type, capsys: pytest.CaptureFixture[str]) -> None:
    examples = _examples(cls)
    assert examples
    for code in examples:
        exec(compile(code, f"<{cls.__name__} docstring>", "exec"), {})
    if cls is VertexOpenAILike:
        assert "You said: Hello" in capsys.readouterr().out
