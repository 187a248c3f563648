"""Host side of the pytest-pyodide compatibility: imports, options and notes.

The host pytest session never imports test modules, but it does load the initial
conftests, and a pytest-pyodide suite's conftest imports ``pytest_pyodide`` and reads its
options (``config.getoption("--dist-dir")``). So while the harness is active the host can
import the harness's own ``pytest_pyodide`` (``harness/inside/compat``) when the real one is
not loaded, and accepts pytest-pyodide's options after ``--``, as the runtime does. A
pytest-pyodide installed on the host keeps its own options and is otherwise inert here (the
host does not collect, so its fixtures and collection hooks never run).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import harness.inside

COMPAT_DIR = Path(harness.inside.__file__).resolve().parent / "compat"


def ensure_importable() -> None:
    """Make ``import pytest_pyodide`` work on the host (unless a real one is loaded already)."""
    if "pytest_pyodide" not in sys.modules and str(COMPAT_DIR) not in sys.path:
        sys.path.insert(0, str(COMPAT_DIR))


def _ours(module: Any) -> bool:
    return Path(getattr(module, "__file__", "") or "").resolve().is_relative_to(COMPAT_DIR)


def add_options(parser: pytest.Parser) -> None:
    """pytest-pyodide's options, where neither its real plugin nor a conftest owns them."""
    module = sys.modules.get("pytest_pyodide")
    if module is not None and not _ours(module):
        return  # pytest-pyodide itself is loaded: its options are registered
    from pytest_pyodide import hook

    hook.add_options(parser)


def header_notes(config: pytest.Config, harness_runtime: str) -> list[str]:
    """One line per pytest-pyodide option given that the harness reads differently."""
    option = config.option
    notes = []
    runtime = getattr(option, "runtime", None)
    if isinstance(runtime, str) and runtime:
        notes.append(
            f"pytest-pyodide's --runtime {runtime} only selects host/browser tests; they run on "
            f"{harness_runtime} (the harness's --runtime, given before --, picks the runtime)"
        )
    dist_dir = getattr(option, "dist_dir", None)
    if dist_dir is not None and Path(dist_dir) != Path("pyodide"):
        notes.append(f"pytest-pyodide's --dist-dir {dist_dir} is not used; give the harness --dist-dir before --")
    if getattr(option, "run_in_pyodide", None):
        notes.append("pytest-pyodide's --run-in-pyodide: every test runs inside Pyodide under the harness anyway")
    return notes
