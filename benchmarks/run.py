"""vertex-openai against the plain OpenAI-compatible adapters, side by side, on the emulator.

Run ``uv run python benchmarks/run.py`` (``--help`` for the flags). The offline emulator runs
in a separate process (its HTTP server does not share this process's GIL) on a free loopback
port; both sides call it with the same model and client settings (``cases.py`` says what is
compared, ``harness.py`` how).

A and B alternate (A B A B ..., call by call within a round, after untimed warmup rounds;
import samples go A B, B A, ...).
Reported: medians of each side, A/B = the median of the per-round ratios (robust to load
drifting during the run), the target and PASS/FAIL; notes give the client process's CPU per
call, which excludes the emulator and is the steadier figure on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

# The sibling modules are not a package: make them importable however this script is started
# (``python -P`` / PYTHONSAFEPATH leave the script's directory off sys.path), ahead of any
# installed module of the same name.
_HERE = str(Path(__file__).resolve().parent)
if sys.path[:1] != [_HERE]:
    sys.path.insert(0, _HERE)

from cases import BENCHMARKS as CASES  # noqa: E402
from harness import (  # noqa: E402
    EmulatorProcess,
    Row,
    Settings,
    machine_info,
    markdown_table,
    progress,
    text_table,
    use_bytecode_cache,
)
from proxy_bench import bench_proxy  # noqa: E402

#: ``--only`` names: the cases of cases.py, and the proxy's (proxy_bench.py).
BENCHMARKS = {**CASES, "proxy": bench_proxy}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark vertex-openai against ChatOpenAI / OpenAILike on the emulator."
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="timed A/B rounds (default 20; --quick: 2)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run (smoke test: the figures mean nothing)"
    )
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="print a Markdown table with machine details"
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        choices=sorted(BENCHMARKS),
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print pyinstrument profiles of both sides (invoke, llama, construct)",
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_bytecode_cache()
    make = Settings.quick if args.quick else Settings.default
    settings = make(args.rounds, args.profile)
    machine = machine_info()
    names = args.only or list(BENCHMARKS)
    started = time.perf_counter()
    progress(f"starting the emulator process ({machine['cores']} cores, load {machine['load']})")
    emu = EmulatorProcess()
    rows: list[Row] = []
    try:
        for name in names:
            t0 = time.perf_counter()
            rows += BENCHMARKS[name](emu, settings)
            progress(f"{name}: {time.perf_counter() - t0:.1f} s")
    finally:
        emu.stop()
    total = time.perf_counter() - started
    progress(f"total {total:.1f} s")
    if args.markdown:
        print(markdown_table(rows, machine, settings))
    else:
        print(text_table(rows))
    if args.json is not None:
        payload = {
            "machine": machine,
            "settings": asdict(settings),
            "seconds": total,
            "results": [row.as_json() for row in rows],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
