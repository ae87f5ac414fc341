"""benchmarks/harness.py: verdicts, ratios and the table format the README quotes (no emulator)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "benchmarks" / "harness.py"


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    """benchmarks/ is not a package: load harness.py from its path, under a private name (it
    imports only the standard library, so nothing else needs to be on sys.path)."""
    name = "_vertex_openai_benchmarks_harness"
    spec = importlib.util.spec_from_file_location(name, HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def test_verdicts(harness: ModuleType) -> None:
    Row = harness.Row
    assert Row("r", "ms", 1.02, 1.0, kind="ratio", target=1.03).verdict == "PASS"
    assert Row("r", "ms", 1.04, 1.0, kind="ratio", target=1.03).verdict == "FAIL"
    assert Row("e", "fetches", 1.0, kind="exact", target=1.0).verdict == "PASS"
    assert Row("e", "fetches", 2.0, kind="exact", target=1.0).verdict == "FAIL"
    assert Row("i", "ms", 5.0).verdict == "-"


def test_ratio_is_the_median_of_per_round_ratios(harness: ModuleType) -> None:
    paired = harness.Paired()
    paired.add_round([1.0, 3.0], [1.0, 1.0], 0.2, 0.1)  # 2.0
    paired.add_round([1.0], [1.0], 0.1, 0.1)  # 1.0
    paired.add_round([1.5], [1.0], 0.1, 0.1)  # 1.5
    assert paired.ratio() == 1.5
    row = paired.row("calls", 1.03)
    assert (row.a, row.b, row.samples, row.verdict) == (1250.0, 1000.0, 4, "FAIL")
    assert paired.cpu_note() == "client CPU per call A 100.00 ms, B 75.00 ms (1.333x)"
    assert paired.cpu_note("chunk", parts=10, unit="µs").startswith(
        "client CPU per chunk A 10000 µs, B 7500 µs"
    )


def test_markdown_table(harness: ModuleType) -> None:
    rows = [
        harness.Row("LangChain invoke", "ms", 3.49, 3.42, kind="ratio", target=1.03, note="n"),
        harness.Row("stream", "chunks/s", 3525.0, 3632.0),
        harness.Row("token fetches", "fetches", 1.0, kind="exact", target=1.0),
    ]
    machine = dict.fromkeys(harness.machine_info(), "x")
    settings = harness.Settings.default(None, profile=False)
    lines = harness.markdown_table(rows, machine, settings).splitlines()
    assert lines[0].startswith("Machine: x, x cores")
    assert lines[0].endswith(
        "20 rounds of 20 calls per side (concurrency: 10 rounds; imports: 4 rounds)."
    )
    assert lines[2:] == [
        "| Benchmark | vertex-openai (A) | baseline (B) | A/B | target | result |",
        "|---|---:|---:|---:|---:|:---:|",
        "| LangChain invoke | 3.49 ms | 3.42 ms | 1.020x | ≤ 1.03x | PASS |",
        "| stream | 3,525/s | 3,632/s | 0.971x | - | - |",
        "| token fetches | 1 | - | - | = 1 | PASS |",
        "",
        "- LangChain invoke: n",
    ]
    text = harness.text_table(rows).splitlines()
    assert " ".join(text[0].split()) == " ".join(harness.HEADER)
    assert text[-1] == "* LangChain invoke: n"


def test_the_peer_rows_are_left_out_without_litellm(
    harness: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI has no `bench` group: the peer case returns no rows and touches no emulator."""
    monkeypatch.syspath_prepend(str(HARNESS.parent))
    monkeypatch.setitem(sys.modules, "harness", harness)
    try:
        import cases
        import peers

        monkeypatch.setattr(peers, "available", lambda: False)
        settings = harness.Settings.quick(None, profile=False)
        assert cases.bench_peer(None, settings) == []
        assert {"peer", "per-request"} <= set(cases.BENCHMARKS)
    finally:
        sys.modules.pop("cases", None)
        sys.modules.pop("peers", None)
