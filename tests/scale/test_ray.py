"""A local Ray cluster (issue 12, item 5): a model as a task argument, held by an actor, and
closed over in Ray Data ``map_batches`` calling ``batch`` and ``abatch``.

One cluster for the module (``ray.init(num_cpus=2)`` costs ~15 s). Workers are real
processes: they unpickle the model, reach the emulator on 127.0.0.1 and fetch their own
token with google-auth; the emulator counts the fetches, at most one per worker process.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scaleout import ECHO, PROMPT, AsyncAnswers, Holder, answer_in_worker

from vertex_openai.testing import VertexEmulator

from support import LOCATION, installed, target

ray = pytest.importorskip("ray")
pytest.importorskip("langchain_openai")

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cluster(key_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local Ray cluster whose workers find this directory's helpers and, as ADC, the
    emulator's service-account key file (nothing else of Google's environment)."""
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(("GOOGLE_", "GCLOUD_", "CLOUDSDK_", "OPENAI_", "LANGSMITH_")):
                env.delenv(name)
        env.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
        env.setenv("CLOUDSDK_CONFIG", str(tmp_path_factory.mktemp("no-gcloud")))
        env.setenv("NO_GCE_CHECK", "true")
        paths = [str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]
        env.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
        env.setenv("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
        # Workers run this interpreter (not `uv run` again with this directory packaged).
        env.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield ray
        finally:
            ray.shutdown()


def _chat(emu: VertexEmulator, **kwargs: Any) -> Any:
    from vertex_openai.langchain import ChatVertexOpenAI

    return ChatVertexOpenAI(model="gemini-2.5-flash", max_retries=0, **target(emu, **kwargs))


def _fetches(emu: VertexEmulator) -> int:
    return sum(1 for t in emu.token_requests if t.status == 200)


def _one_fetch_per_process(emu: VertexEmulator, pids: set[int]) -> None:
    """Every worker process fetched a token at most once, however many copies it unpickled."""
    assert 1 <= _fetches(emu) <= len(pids), (_fetches(emu), pids)


@pytest.mark.timeout(240)
def test_a_model_as_a_task_argument(cluster: Any, emu: VertexEmulator) -> None:
    model = _chat(emu)
    emu.clear_log()
    task = cluster.remote(answer_in_worker)
    ref = cluster.put(model)  # one object, deserialized by every task that gets it
    results = cluster.get([task.remote(ref) for _ in range(6)] + [task.remote(model)])
    assert [r["answer"] for r in results] == [ECHO] * 7
    assert not any(r["connected"] for r in results)  # nothing connected before first use
    assert {r.token for r in emu.requests} & {t.access_token for t in emu.token_requests}
    _one_fetch_per_process(emu, {r["pid"] for r in results})


@pytest.mark.timeout(240)
def test_a_model_held_by_an_actor_on_adc(cluster: Any, emu: VertexEmulator) -> None:
    """ADC (no credential given): resolved by the actor's process, from its environment."""
    model = _chat(emu, credentials=None)
    emu.clear_log()
    actor = cluster.remote(max_concurrency=4)(Holder).remote(model)
    sync = cluster.get([actor.ask.remote(f"sync {i}") for i in range(4)])
    assert [r["answer"] for r in sync] == [f"You said: sync {i}" for i in range(4)]
    pid = sync[0]["pid"]
    cluster.kill(actor)

    async_actor = cluster.remote(max_concurrency=8)(Holder).remote(model)
    # An async actor runs its methods on one event loop: 16 at once, 8 at a time.
    answers = cluster.get([async_actor.aask.remote(f"async {i}") for i in range(16)])
    assert [r["answer"] for r in answers] == [f"You said: async {i}" for i in range(16)]
    cluster.kill(async_actor)
    _one_fetch_per_process(emu, {pid, answers[0]["pid"]})


@pytest.mark.timeout(300)
def test_ray_data_map_batches_with_batch_and_abatch(cluster: Any, emu: VertexEmulator) -> None:
    import ray.data

    model = _chat(emu)
    emu.clear_log()
    rows = [{"q": f"{PROMPT} {i}"} for i in range(24)]

    def answers(batch: dict[str, Any]) -> dict[str, Any]:
        prompts = [str(q) for q in batch["q"]]
        messages = model.batch(prompts, config={"max_concurrency": 4})  # model: closed over
        return {"q": prompts, "answer": [m.content for m in messages], "pid": [os.getpid()] * 8}

    sync = ray.data.from_items(rows).map_batches(answers, batch_size=8).take_all()
    pids = {row["pid"] for row in sync}
    async_rows = (
        ray.data.from_items(rows)
        .map_batches(
            AsyncAnswers,
            fn_constructor_kwargs={"model": model},
            batch_size=8,
            compute=ray.data.ActorPoolStrategy(size=1),
        )
        .take_all()
    )
    for result in (sync, async_rows):
        assert sorted(row["answer"] for row in result) == sorted(
            f"You said: {r['q']}" for r in rows
        )
    pids |= {row["pid"] for row in async_rows}
    _one_fetch_per_process(emu, pids)


def test_the_workers_see_the_emulator_not_google(emu: VertexEmulator) -> None:
    """What the fixtures promise: the target of every model here is the emulator."""
    assert _chat(emu).connection.base_url == emu.base_url(location=LOCATION)
    assert installed("cloudpickle")
    assert inspect.isasyncgenfunction(AsyncAnswers.__call__)
