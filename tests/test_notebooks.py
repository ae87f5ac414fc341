"""Every notebooks/*.ipynb runs top to bottom against the offline emulator.

Each notebook names the modules it needs in ``metadata.vertex_openai.requires``; it is skipped
when one is not importable (e.g. the openai-3 environment has LangChain only). The kernel is
this interpreter: a ``python3`` kernelspec for ``sys.executable`` is installed into a
temporary directory that ``JUPYTER_PATH`` puts first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support import installed

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _missing(requires: list[str]) -> list[str]:
    return [name for name in requires if not installed(name)]


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A data dir whose ``kernels/python3`` runs this interpreter."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3", prefix=str(prefix))
    return str(prefix / "share" / "jupyter")


def test_notebooks_exist() -> None:
    names = {path.name for path in NOTEBOOKS}
    assert {
        "01_langchain_quickstart.ipynb",
        "02_llama_index_quickstart.ipynb",
        "03_model_garden_and_maas.ipynb",
        "04_gemini3_agent.ipynb",
        "05_scale_out_with_ray.ipynb",
        "06_pdf_from_cloud_storage.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert isinstance(nb.metadata["vertex_openai"]["requires"], list)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert 'os.environ.get("VERTEX_OPENAI_EMULATOR") == "1"' in first_code.source


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_emulator(
    path: Path, jupyter_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = nbformat.read(path, as_version=4)
    missing = _missing(nb.metadata.get("vertex_openai", {}).get("requires", []))
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")

    monkeypatch.setenv("JUPYTER_PATH", jupyter_path)
    monkeypatch.setenv("VERTEX_OPENAI_EMULATOR", "1")
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's frozen-modules note
    # Ray (05): workers run this interpreter rather than `uv run` with the directory packaged.
    monkeypatch.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    monkeypatch.setenv("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    for name in ("GOOGLE_CLOUD_QUOTA_PROJECT", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    # One extra cell (in memory only): which interpreter ran the notebook.
    probe = nbformat.v4.new_code_cell("import sys\nprint('kernel:', sys.executable)")
    nb.cells.append(probe)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    assert probe.outputs[0]["text"].strip() == f"kernel: {sys.executable}"
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            texts.append(output.get("text", ""))
    printed = "".join(texts)
    assert "api_endpoint=http://127.0.0.1:" in printed
    assert "ya29." not in printed  # no access token ever shown
