"""Browser runtimes keep their bytecode across runs, and an edited file never runs stale.

A page or a worker borrows the host's archive for its project and browser
(``harness.runtimes.bytecode``) and hands it back after a session that compiled anything.
Real runs through the CLI, each test with its own ``HARNESS_CACHE`` seeded with the real
cache's Pyodide and site-packages. The edits keep each file's size and only move its mtime
on, the one thing that tells importlib and pytest a ``.pyc`` is out of date.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import PYODIDE_VERSIONS, need, run_harness, seeded_cache

from harness.runtimes import bytecode

TEST = """\
import os
import sys

import helper


def test_value():
    assert (sys.dont_write_bytecode, sys.pycache_prefix) == (False, "/harness-pycache")
    # The page sees the host's mtime: what tells a cached .pyc from a stale one.
    assert int(os.stat(helper.__file__).st_mtime) == int(os.environ["HELPER_MTIME"])
    assert helper.VALUE == 1
"""


def _edit(path: Path, old: str, new: str) -> None:
    """Same size, mtime 10 s later: only the mtime says the file changed."""
    text = path.read_text()
    assert len(old) == len(new) and old in text
    later = path.stat().st_mtime + 10
    path.write_text(text.replace(old, new))
    os.utime(path, (later, later))


@pytest.mark.usefixtures("warm_dists")
@pytest.mark.parametrize("browser", ["chromium", "firefox-worker"])
def test_bytecode_is_kept_and_an_edit_is_never_run_stale(tmp_path: Path, browser: str) -> None:
    need(browser)
    version = PYODIDE_VERSIONS[0]
    cache = seeded_cache(tmp_path, version)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_value.py").write_text(TEST)
    helper = project / "helper.py"
    helper.write_text("VALUE = 1\n")
    engine = browser.split("-")[0]
    archive = cache / "browser-bytecode" / bytecode.key(version, engine, str(project)) / bytecode.NAME

    def run() -> tuple[int, str]:
        env = {"HARNESS_CACHE": str(cache), "HELPER_MTIME": str(int(helper.stat().st_mtime))}
        ran = run_harness(project, "-p", "no:cacheprovider", runtime=browser, env=env)
        assert "Traceback" not in ran.stderr, ran.stderr
        return ran.returncode, ran.stdout

    status, out = run()
    assert status == 0, out
    held = dict(bytecode.parse(archive.read_bytes(), archive.parent.name))
    prefix = project.relative_to(project.anchor).as_posix()
    assert f"{prefix}/helper.cpython-314.pyc" in held
    assert [p for p in held if p.startswith(f"{prefix}/test_value.cpython-314-pytest-")], "the rewritten test"
    assert not list(project.rglob("__pycache__")), "nothing is written into the project"

    first = archive.stat().st_ino
    status, out = run()
    assert status == 0, out
    assert archive.stat().st_ino == first, "every .pyc was used: nothing new to hand back"

    # The helper (importlib's cache) and the test module (pytest's) both change.
    _edit(helper, "VALUE = 1", "VALUE = 2")
    _edit(project / "test_value.py", "VALUE == 1", "VALUE == 3")
    status, out = run()
    assert status == 1 and "assert 2 == 3" in out, out
    assert archive.stat().st_ino != first

    if browser == "chromium":
        data = bytearray(archive.read_bytes())
        data[-40:] = bytes(b ^ 0x5A for b in data[-40:])
        archive.write_bytes(data)
        status, out = run()
        assert "bytecode cache discarded (checksum mismatch); compiling afresh" in out
        assert status == 1 and "assert 2 == 3" in out, out
        assert bytecode.parse(archive.read_bytes(), archive.parent.name)  # a good one again
