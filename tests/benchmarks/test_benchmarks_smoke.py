"""benchmarks/run.py runs end to end (``--quick``): no timing is asserted, only that it works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import installed

pytest.importorskip("langchain_openai")
pytest.importorskip("llama_index.core")
pytest.importorskip("llama_index.llms.openai_like")

# Run as a script, the way users run it: benchmarks/ is not a package, and run.py puts its own
# directory first on sys.path for its sibling modules (harness.py, cases.py).
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.mark.timeout(600)
def test_quick_run_prints_the_table(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "GCLOUD_", "OPENAI_", "LANGCHAIN_", "LANGSMITH_"))
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--markdown", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=570,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert "| Benchmark | vertex-openai (A) | baseline (B) | A/B | target | result |" in out
    for name in (
        "LangChain invoke",
        "concurrent ainvoke",
        "LlamaIndex complete",
        "time to first chunk",
        "chunks per second",
        "import vertex_openai.langchain",
        "import vertex_openai ",
        "model construction",
        "token fetches",
        "model built per request + invoke (ADC)",
        "credentials loaded per request",
    ):
        assert name in out, f"{name!r} missing from:\n{out}"
    # The peer (LiteLLM through ChatLiteLLM) is an optional group: its rows come with it only.
    peer = installed("langchain_litellm")
    assert ("peer: invoke" in out) is peer, out
    assert ("peer: 10 concurrent ainvoke" in out) is peer
    assert "Machine:" in out
    results = json.loads(report.read_text())["results"]
    assert {row["verdict"] for row in results} <= {"PASS", "FAIL", "-"}
