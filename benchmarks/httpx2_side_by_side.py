"""One-off measurement (not run by CI): per-call cost of httpx2 vs httpx 0.x clients in openai 3.x.

Run with an openai 3.x environment::

    .venv-oai3/bin/python benchmarks/httpx2_side_by_side.py [--base REV] [--rounds 15] [--calls 200]

Sides, alternated round by round against one emulator served from a child process, each in a
fresh interpreter (so each imports its own copy of this package):

* ``ours``: ``VertexConnection.openai_client()`` of this working tree (httpx2 clients under
  openai 3.x);
* ``base``: the same call on the package as committed on ``--base`` (``git archive``; by
  default main before the change: httpx 0.x clients, through openai 3.x's adaptation layer);
* ``sdk-httpx2`` / ``sdk-httpx``: the bare SDK given ``httpx2.Client()`` / ``httpx.Client()``
  (no package code), the adaptation layer's cost alone.

Prints the median per-call time of each side and the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "emulator-project"
LOCATION = "us-central1"
BODY = {"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}


def _serve(conn: Connection) -> None:
    from vertex_openai.testing import VertexEmulator

    emu = VertexEmulator(port=0, project=PROJECT, token_lifetime=3600.0).start()
    conn.send((emu.url, emu.issue_token()))
    while True:
        message = conn.recv()
        if message == "stop":
            break
        emu.clear_log()
        conn.send("ok")
    emu.stop()


def _worker(side: str, url: str, token: str, calls: int) -> None:
    """Runs in the child interpreter: warm up, then time ``calls`` sequential calls."""
    import openai

    if side in ("ours", "base"):
        from vertex_openai.connection import VertexConnection

        connection = VertexConnection.create(
            project=PROJECT, location=LOCATION, api_endpoint=url, api_key=token
        )
        client = connection.openai_client(max_retries=0)
    else:
        base_url = f"{url}/v1/projects/{PROJECT}/locations/{LOCATION}/endpoints/openapi"
        if side == "sdk-httpx2":
            import httpx2

            http_client: object = httpx2.Client()
        else:
            import httpx

            http_client = httpx.Client()
        client = openai.OpenAI(
            api_key=token, base_url=base_url, http_client=http_client, max_retries=0
        )  # type: ignore[arg-type]
    create = client.chat.completions.create
    for _ in range(20):
        create(**BODY)
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        create(**BODY)
        samples.append(time.perf_counter() - start)
    print(type(client._client).__module__.split(".")[0], statistics.median(samples))


def _run(side: str, env: dict[str, str], url: str, token: str, calls: int) -> tuple[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", side, url, token, str(calls)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[0], float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="8536254")  # main before the httpx2 clients
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--worker", nargs=4)
    args = parser.parse_args()
    if args.worker:
        side, url, token, calls = args.worker
        _worker(side, url, token, int(calls))
        return

    base_dir = tempfile.mkdtemp(prefix="vertex-openai-base-")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.base, "integrations"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(base_dir, filter="data")
    ours_env = {**os.environ, "PYTHONPATH": str(ROOT / "integrations")}
    base_env = {**os.environ, "PYTHONPATH": str(Path(base_dir) / "integrations")}

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    url, token = parent.recv()
    pairs = {"package": (("ours", ours_env), ("base", base_env))}
    pairs["bare SDK"] = (("sdk-httpx2", ours_env), ("sdk-httpx", ours_env))
    import openai

    print(f"openai {openai.__version__}, {args.rounds} rounds x {args.calls} calls per side")
    for name, ((a, env_a), (b, env_b)) in pairs.items():
        times: dict[str, list[float]] = {a: [], b: []}
        libraries = {}
        ratios = []
        for number in range(args.rounds):
            order = [(a, env_a), (b, env_b)] if number % 2 == 0 else [(b, env_b), (a, env_a)]
            for side, env in order:
                libraries[side], value = _run(side, env, url, token, args.calls)
                times[side].append(value)
                parent.send("clear")
                parent.recv()
            ratios.append(times[b][-1] / times[a][-1])
        for side in (a, b):
            median = statistics.median(times[side]) * 1e6
            print(f"  {name:9} {side:11} ({libraries[side]:6}) median per call {median:8.1f} us")
        print(f"  {name:9} {b} / {a}: median of per-round ratios {statistics.median(ratios):.3f}")
    parent.send("stop")
    server.join(10)


if __name__ == "__main__":
    main()
