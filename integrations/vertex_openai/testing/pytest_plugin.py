"""pytest plugin (entry point ``pytest11: vertex_openai``): the ``vertex_emulator`` fixture.

pytest loads this module in every run of every project whose environment has
vertex-openai installed, so at load it imports only the standard library and pytest. The
emulator (and with it cryptography, the ``[testing]`` extra) is imported when a test asks
for the fixture; if it is missing, that test errors with an install hint and the rest of
the session is unaffected.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .emulator import VertexEmulator

INSTALL_HINT = 'pip install "vertex-openai[testing]"'

# Top-level packages the emulator needs beyond the standard library and vertex-openai's
# core dependencies: (import name, distribution).
_NEEDED = (("cryptography", "cryptography"), ("google.auth", "google-auth"))


def _missing_message(module: str, distribution: str) -> str:
    return (
        f"the vertex_emulator fixture needs {distribution} (module {module!r}), which is "
        f"not installed: {INSTALL_HINT}"
    )


def _find(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken finder
        return False


def _import_emulator() -> type[VertexEmulator]:
    for module, distribution in _NEEDED:
        if not _find(module):
            pytest.fail(_missing_message(module, distribution), pytrace=False)
    try:
        from .emulator import VertexEmulator
    except ImportError as exc:
        root = (exc.name or "").split(".")[0]
        for module, distribution in _NEEDED:
            if root == module.split(".")[0]:
                pytest.fail(_missing_message(module, distribution), pytrace=False)
        raise
    return VertexEmulator


@pytest.fixture
def vertex_emulator() -> Iterator[VertexEmulator]:
    """A started :class:`VertexEmulator` on 127.0.0.1 (random port), stopped afterwards.

    Needs the ``[testing]`` extra (``pip install "vertex-openai[testing]"``).
    """
    emulator = _import_emulator()().start()
    try:
        yield emulator
    finally:
        emulator.stop()
