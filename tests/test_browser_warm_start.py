"""A browser's next run starts warm (memory snapshot, bytecode) with the same results, and
an edited file never runs stale.

The first run boots cold and leaves a snapshot (``harness.runtimes.snapshot``) and the
project's bytecode archive (``harness.runtimes.bytecode``) in the cache; a page or a worker
restores the one and borrows the other, and hands the archive back after a session that
compiled anything. Real runs through the CLI, with a ``HARNESS_CACHE`` seeded with the real
cache's Pyodide and site-packages. The edits keep each file's size and only move its mtime
on, the one thing that tells importlib and pytest a ``.pyc`` is out of date.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import PYODIDE_VERSIONS, Result, boot_kind, copy_project, need, run_harness, seeded_cache

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


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at : at + 64] = bytes(b ^ 0x5A for b in data[at : at + 64])
    path.write_bytes(data)


@pytest.mark.usefixtures("warm_dists")
@pytest.mark.parametrize("browser", ["chromium", "firefox-worker"])
def test_the_next_run_starts_warm_and_an_edit_is_never_run_stale(tmp_path: Path, browser: str) -> None:
    need(browser)
    version = PYODIDE_VERSIONS[0]
    cache = seeded_cache(tmp_path, version)
    project = copy_project("basic", tmp_path)  # its outcomes: the same after every kind of boot
    (project / "test_value.py").write_text(TEST)
    helper = project / "helper.py"
    helper.write_text("VALUE = 1\n")
    engine = browser.split("-")[0]
    archive = cache / "browser-bytecode" / bytecode.key(version, engine, str(project)) / bytecode.NAME
    snapshots = cache / "snapshots"

    def run(boot: str, summary: str) -> Result:
        env = {"HARNESS_CACHE": str(cache), "HELPER_MTIME": str(int(helper.stat().st_mtime))}
        ran = run_harness(project, "-p", "no:cacheprovider", runtime=browser, env=env)
        assert "Traceback" not in ran.stderr, ran.stderr
        assert (boot_kind(ran), ran.returncode) == (boot, 1), ran.stdout + ran.stderr
        assert ran.summary.startswith(summary + ", 2 skipped, 1 xfailed, 1 xpassed"), ran.stdout
        assert len(list(snapshots.glob("*.snap"))) == 1
        return ran

    cold = run("cold", "3 failed, 8 passed")
    held = dict(bytecode.parse(archive.read_bytes(), archive.parent.name))
    prefix = project.relative_to(project.anchor).as_posix()
    assert f"{prefix}/helper.cpython-314.pyc" in held
    assert [p for p in held if p.startswith(f"{prefix}/test_value.cpython-314-pytest-")], "the rewritten test"
    assert not list(project.rglob("__pycache__")), "nothing is written into the project"

    first = archive.stat().st_ino
    warm = run("snapshot", "3 failed, 8 passed")
    assert warm.summary == cold.summary
    assert archive.stat().st_ino == first, "every .pyc was used: nothing new to hand back"

    # The helper (importlib's cache) and the test module (pytest's) both change.
    _edit(helper, "VALUE = 1", "VALUE = 2")
    _edit(project / "test_value.py", "VALUE == 1", "VALUE == 3")
    ran = run("snapshot", "4 failed, 7 passed")
    assert "assert 2 == 3" in ran.stdout
    assert archive.stat().st_ino != first

    if browser == "chromium":  # damaged, both are discarded: a cold, correct run saves good ones
        [snap] = snapshots.glob("*.snap")
        _flip(snap, snap.stat().st_size // 2)
        _flip(archive, archive.stat().st_size - 64)
        ran = run("cold", "4 failed, 7 passed")
        assert "memory snapshot discarded (checksum mismatch); booted cold" in ran.stdout
        assert "bytecode cache discarded (checksum mismatch); compiling afresh" in ran.stdout
        assert "assert 2 == 3" in ran.stdout
        assert bytecode.parse(archive.read_bytes(), archive.parent.name)
    assert not [p for p in snapshots.iterdir() if p.name.startswith(".tmp-")]
