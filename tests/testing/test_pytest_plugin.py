"""The pytest11 plugin is harmless: it loads in every pytest run of anyone who installs us.

Each test runs ``python -m pytest`` in a fresh project in a subprocess, with the real entry
point active (this package is installed in the venv) and ``cryptography`` made
unimportable there: a ``sitecustomize.py`` on PYTHONPATH installs a ``sys.meta_path``
finder refusing it, as if the ``[testing]`` extra had not been installed. Nothing of ours
is mocked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BLOCKER = textwrap.dedent(
    """
    import sys

    class _Missing:
        # Simulates an environment without the package: any import of it fails.
        BLOCKED = ("cryptography",)

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _Missing())
    """
)


def _run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shim = project.parent / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCKER)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k not in ("PYTHONPATH", "COV_CORE_SOURCE")
    }
    env["PYTHONPATH"] = str(shim)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "unrelated-project"
    root.mkdir()
    return root


def test_unrelated_project_runs_without_cryptography(project: Path) -> None:
    (project / "test_x.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_x():
                # The simulated environment: cryptography cannot be imported ...
                try:
                    import cryptography  # noqa: F401
                except ImportError:
                    pass
                else:
                    raise AssertionError("cryptography should be unimportable here")
                # ... and our plugin was loaded all the same.
                assert "vertex_openai.testing.pytest_plugin" in sys.modules
            """
        )
    )
    result = _run_pytest(project, "-q", "--trace-config")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed" in output
    # --trace-config lists setuptools-registered plugins: ours, under its entry point name.
    assert "vertex_openai.testing.pytest_plugin" in output


def test_fixture_without_cryptography_fails_alone_with_install_hint(project: Path) -> None:
    (project / "test_x.py").write_text(
        textwrap.dedent(
            """
            def test_plain():
                assert True

            def test_uses_emulator(vertex_emulator):
                raise AssertionError("not reached: the fixture cannot be set up")
            """
        )
    )
    result = _run_pytest(project, "-q", "-rE")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # tests failed; not 3/4 (internal or usage error)
    assert "1 passed" in output and "1 error" in output, output
    assert "ERROR test_x.py::test_uses_emulator" in output, output
    assert 'pip install "vertex-openai[testing]"' in output
    assert "cryptography" in output
    assert "not reached" not in output
    # The message is the whole story: no traceback of the plugin's internals.
    assert "Traceback" not in output and "_import_emulator" not in output, output


def test_plugin_import_loads_only_stdlib_and_pytest() -> None:
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        import pytest
        after_pytest = set(sys.modules)
        import vertex_openai.testing.pytest_plugin
        new = set(sys.modules) - after_pytest
        ours = {m for m in new if m.split(".")[0] == "vertex_openai"}
        assert ours == {
            "vertex_openai", "vertex_openai.testing", "vertex_openai.testing.pytest_plugin"
        }, sorted(ours)
        third_party = sorted(
            m for m in new - ours
            if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith("_")
        )
        assert not third_party, third_party
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_testing_package_is_lazy() -> None:
    code = textwrap.dedent(
        """
        import sys
        import vertex_openai.testing as testing
        assert "cryptography" not in sys.modules
        assert "vertex_openai.testing.emulator" not in sys.modules
        from vertex_openai.testing import embedding_vector, schema_instance
        assert "cryptography" not in sys.modules  # the model is standard library only
        assert len(embedding_vector("x", 4)) == 4 and schema_instance({}, "t") == "t"
        from vertex_openai.testing import VertexEmulator, RecordedRequest, TokenRequest
        assert VertexEmulator.__module__ == "vertex_openai.testing.emulator"
        assert "VertexEmulator" in dir(testing)
        try:
            testing.NoSuchThing
        except AttributeError:
            pass
        else:
            raise AssertionError("expected AttributeError")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
