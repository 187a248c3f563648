"""``harness run --watch`` / ``--watch-failed``: a real watch on a tiny project, real edits.

Each test starts the watch as a user does, edits files the way an editor saves them, reads
what each cycle reports, and ends the watch with Ctrl-C (SIGINT): exit status 2, no
traceback, no runtime left running, no temporary file left behind.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Watching, alive, copy_project, junit_outcomes

RESULT = re.compile(r"^(\S+::\S+) (PASSED|FAILED|ERROR)")


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """The watch's TMPDIR: what it leaves there is checked at the end."""
    path = tmp_path / "tmpdir"
    path.mkdir()
    return path


@pytest.fixture
def watches() -> Iterator[list[Watching]]:
    started: list[Watching] = []
    yield started
    for watch in started:
        watch.kill()


def results(lines: list[str]) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for line in lines if (m := RESULT.match(line))]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def ends_cleanly(watch: Watching, tmp: Path, waits: int) -> None:
    """Ctrl-C once the watch waits for the ``waits``-th time: a standby runtime is up then."""
    watch.wait_for("harness --watch: waiting for changes", waits)
    runtimes = watch.descendants()
    assert runtimes, "a standby runtime waits for the next change"
    assert watch.interrupt() == 2
    output = "\n".join(watch.lines + watch.stderr)
    assert "harness --watch: stopped" in watch.lines
    assert "Traceback" not in output
    assert [pid for pid in runtimes if alive(pid)] == []
    assert [p.name for p in tmp.iterdir() if p.name.startswith("harness-")] == []


def test_each_change_reruns_the_failures_first_from_a_warm_runtime(
    tmp_path: Path, tmp: Path, watches: list[Watching]
) -> None:
    project = copy_project("watch", tmp_path)
    watch = Watching(project, "-v", tmp=tmp)
    watches.append(watch)
    first = watch.cycle(1)
    assert results(first) == [
        ("test_calc.py::test_add", "PASSED"),
        ("test_calc.py::test_sub", "PASSED"),
        ("test_other.py::test_other", "PASSED"),
    ]

    # A source file no conftest imports: the runtime booted and prepared before the change runs it.
    edit(project / "calc.py", "return a - b", "return a - b - 1")
    second = watch.cycle(2)
    assert "harness --watch: changed: calc.py" in watch.lines
    assert dict(results(second))["test_calc.py::test_sub"] == "FAILED"
    assert "1 failed, 2 passed" in second[-1]
    latency = watch.lines[watch.wait_for("first result", 1)]
    warm = r"first result \d+\.\d\d s after the save \(noticed .*; a runtime booted (and prepared )?before the change"
    assert re.search(warm, latency)

    # A file the conftest imports: the prepared session is stale, a fresh runtime reads the new value.
    edit(project / "helpers.py", "EXPECTED = 3", "EXPECTED = 30")
    third = watch.cycle(3)
    assert "run-last-failure: rerun previous 1 failure first" in third
    assert results(third) == [
        ("test_calc.py::test_sub", "FAILED"),  # the last cycle's failure first
        ("test_calc.py::test_add", "FAILED"),
        ("test_other.py::test_other", "PASSED"),
    ]
    assert "booted after it" in watch.lines[watch.wait_for("first result", 2)]

    edit(project / "calc.py", "return a - b - 1", "return a - b")
    edit(project / "helpers.py", "EXPECTED = 30", "EXPECTED = 3")
    fourth = watch.cycle(4)
    assert sorted(results(fourth)) == [
        ("test_calc.py::test_add", "PASSED"),
        ("test_calc.py::test_sub", "PASSED"),
        ("test_other.py::test_other", "PASSED"),
    ]
    assert "3 passed" in fourth[-1]
    # What is not a Python or configuration file starts no cycle (notes, caches, reports).
    (project / "notes.txt").write_text("not a test")
    (project / "__pycache__").mkdir(exist_ok=True)
    (project / "__pycache__" / "stale.py").write_text("")
    time.sleep(2)  # ample for a change to be noticed (it takes a few tens of milliseconds)
    ends_cleanly(watch, tmp, waits=4)
    assert sum("harness --watch: changed:" in line for line in watch.lines) == 3


def test_watch_failed_reruns_only_the_failures_then_everything(
    tmp_path: Path, tmp: Path, watches: list[Watching]
) -> None:
    project = copy_project("watch", tmp_path)
    edit(project / "calc.py", "return a - b", "return a + b")
    junit = tmp_path / "junit.xml"
    watch = Watching(project, "-v", f"--junitxml={junit}", harness_args=("--watch-failed",), tmp=tmp)
    watches.append(watch)
    assert "1 failed, 2 passed" in watch.cycle(1)[-1]

    calc = project / "calc.py"
    before = calc.stat()
    edit(calc, "def sub(a, b):\n    return a + b", "def sub(a, b):\n    return a - b")
    # As if saved within the same second as the version that ran: same size, same mtime. The
    # bytecode cached for that version must not stand in for the new text.
    os.utime(calc, ns=(before.st_atime_ns, before.st_mtime_ns))
    only_failures = watch.cycle(2)
    assert "run-last-failure: rerun previous 1 failure (skipped 1 file)" in only_failures
    assert results(only_failures) == [("test_calc.py::test_sub", "PASSED")]
    everything = watch.cycle(3)
    assert "harness --watch: the last failures pass now: running everything" in watch.lines
    assert len(results(everything)) == 3
    assert "3 passed" in everything[-1]
    ends_cleanly(watch, tmp, waits=2)
    # The reports hold the last cycle's results.
    assert set(junit_outcomes(junit).values()) == {"passed"}
    assert len(junit_outcomes(junit)) == 3
