"""The runtime keeps bytecode across runs, as native Python does, without touching the project.

Pyodide starts with ``sys.dont_write_bytecode`` set, so pytest would rewrite every test
module's assertions on every run. The Node runtime writes bytecode under a private
``sys.pycache_prefix`` in the harness cache instead (``harness.provision.boot.bytecode_cache``).
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers import run_harness

from harness.provision.boot import bytecode_cache

TEST = """\
import sys

import helper


def test_value():
    assert sys.dont_write_bytecode is False  # as natively
    assert helper.VALUE == 1
"""


def _cache_dir(prefix: Path, source: Path) -> Path:
    """Where ``sys.pycache_prefix`` puts the bytecode of ``source``'s directory."""
    return prefix / source.parent.relative_to(source.anchor)


def test_bytecode_is_kept_outside_the_project_and_an_edit_is_seen(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_value.py").write_text(TEST)
    helper = project / "helper.py"
    helper.write_text("VALUE = 1\n")

    first = run_harness(project, "-p", "no:cacheprovider")
    assert first.returncode == 0, first.stdout + first.stderr

    prefix = bytecode_cache()
    assert prefix is not None
    cached = _cache_dir(prefix, helper.resolve())
    assert (cached / "helper.cpython-314.pyc").is_file()
    assert list(cached.glob("test_value.cpython-314-pytest-*.pyc")), "pytest's rewritten module is kept"
    assert not list(project.rglob("__pycache__")), "nothing is written into the project"

    # Same size, later mtime: the cached bytecode must not be used.
    helper.write_text("VALUE = 2\n")
    later = helper.stat().st_mtime + 10
    os.utime(helper, (later, later))
    second = run_harness(project, "-p", "no:cacheprovider")
    assert second.returncode == 1
    assert "assert 2 == 1" in second.stdout
