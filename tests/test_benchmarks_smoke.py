"""The benchmark script runs (tiny setting). No timing is asserted: see benchmarks/run.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("langchain_openai")
pytest.importorskip("llama_index.core")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_benchmark_script_runs_quick() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--markdown"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| Benchmark |" in result.stdout
    assert "token fetches" in result.stdout
