"""benchmarks/run.py --only proxy runs end to end (``--quick``): no timing is asserted, only
that both rows come out with figures for both sides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("langchain_openai")  # cases.py, imported by run.py, needs the frameworks
pytest.importorskip("llama_index.llms.openai_like")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.mark.timeout(300)
def test_quick_proxy_run(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "GCLOUD_", "OPENAI_"))
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--only", "proxy", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    rows = json.loads(report.read_text())["results"]
    assert [row["name"].split(",")[0] for row in rows] == [
        "proxy: openai SDK call through the proxy (A) vs to the emulator (B)",
        "proxy: stream time to first chunk",
    ]
    for row in rows:
        assert row["a"] > 0 and row["b"] > 0 and row["samples"] > 0
        assert "the proxy adds" in row["note"]
