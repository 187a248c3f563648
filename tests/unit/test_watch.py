"""Watch mode without a runtime: which changes count, each cycle's arguments, what is refused."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

from harness import cli
from harness.errors import HarnessError
from harness.options import Settings, scan
from harness.provision.boot import drop_bytecode
from harness.watch.changes import ChangeSet, ProjectFilter, Watcher, saved_at
from harness.watch.loop import Interrupts, WatchLoop

MODIFIED = 2  # watchfiles.Change.modified


@pytest.mark.parametrize(
    ("path", "counts"),
    [
        ("/p/test_a.py", True),
        ("/p/pkg/mod.py", True),
        ("/p/pkg/stubs.pyi", True),
        ("/p/pytest.ini", True),
        ("/p/pyproject.toml", True),
        ("/p/sub/conftest.py", True),
        ("/p/notes.txt", False),
        ("/p/junit.xml", False),
        ("/p/.coverage", False),
        ("/p/pkg/__pycache__/mod.cpython-314.pyc", False),
        ("/p/.pytest_cache/v/cache/lastfailed", False),
        ("/p/.git/index", False),
        ("/p/.venv/lib/site.py", False),
        ("/p/build/lib/pkg/mod.py", False),
        ("/p/.#test_a.py", False),  # an editor's lock file
        ("/p/test_a.py~", False),
        ("/p/.test_a.py.swp", False),
        ("/p/test_a.py___jb_tmp___", False),
    ],
)
def test_python_and_pytest_configuration_files_count(path: str, counts: bool) -> None:
    assert ProjectFilter()(MODIFIED, path) is counts


def test_ignored_paths_never_count() -> None:
    assert ProjectFilter([Path("/cache")])(MODIFIED, "/cache/site/x.py") is False


def test_the_save_time_is_the_file_s_own_when_plausible(tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text("")
    now = time.time()
    os.utime(file, (now - 0.25, now - 0.25))
    assert saved_at([file], now) == pytest.approx(now - 0.25)
    os.utime(file, (now - 3600, now - 3600))  # restored by git, say: not a save
    assert saved_at([file], now) == now
    assert saved_at([tmp_path / "gone.py"], now) == now


def test_changes_are_named_from_their_root() -> None:
    paths = tuple(Path(f"/p/pkg/m{i}.py") for i in range(5))
    assert ChangeSet(paths, 0, 0).describe([Path("/p")]) == "pkg/m0.py, pkg/m1.py, pkg/m2.py (+2 more)"


def test_a_saved_file_is_noticed_and_so_is_a_change_made_while_nobody_waits(tmp_path: Path) -> None:
    watcher = Watcher([tmp_path])
    try:
        time.sleep(0.3)  # the watcher thread starts watching
        (tmp_path / "test_a.py").write_text("x = 1\n")
        (tmp_path / "notes.txt").write_text("no\n")
        assert watcher.wait().paths == (tmp_path / "test_a.py",)
        (tmp_path / "test_b.py").write_text("x = 1\n")
        time.sleep(0.5)
        assert watcher.wait().paths == (tmp_path / "test_b.py",)
    finally:
        watcher.close()
    assert not watcher._thread.is_alive()


def loop(*args: str, mode: str = "all") -> WatchLoop:
    return WatchLoop(Settings(watch=mode), list(args), Interrupts())  # type: ignore[arg-type]


def test_the_first_cycle_runs_what_was_typed_then_failures_first() -> None:
    watch = loop("-v", "--cache-clear", "tests/")
    assert watch._args(False, first=True) == ["-v", "--cache-clear", "tests/"]
    assert watch._args(False, first=False) == ["-v", "tests/", "--ff"]
    assert watch._args(True, first=False) == ["-v", "tests/", "--lf"]


@pytest.mark.parametrize("args", [["--lf"], ["--stepwise"], ["-p", "no:cacheprovider"], ["-pno:cacheprovider"]])
def test_an_order_the_user_chose_or_no_cache_adds_nothing(args: list[str]) -> None:
    assert loop(*args)._args(False, first=False) == args


def test_an_order_in_pytest_addopts_counts_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:cacheprovider")
    assert loop("-v")._args(False, first=False) == ["-v"]


def test_only_watch_failed_reruns_only_failures() -> None:
    assert loop(mode="failed")._next_only_failures(pytest.ExitCode.TESTS_FAILED)
    assert loop(mode="failed")._next_only_failures(pytest.ExitCode.INTERRUPTED)  # collection errors
    assert not loop(mode="failed")._next_only_failures(pytest.ExitCode.OK)
    assert not loop(mode="all")._next_only_failures(pytest.ExitCode.TESTS_FAILED)


def test_options() -> None:
    assert Settings.from_values(scan(["--watch"])[0]).watch == "all"
    assert Settings.from_values(scan(["--watch-failed", "-x"])[0]).watch == "failed"


def test_watch_runs_one_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--watch", "--pyodide", "314.0.7,0.29.5"]) == 4
    assert capsys.readouterr().err == "ERROR: --watch runs one Pyodide version: give --pyodide a single version\n"


def test_without_the_extra_watch_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """watchfiles hidden from the import system, as on a machine without the watch extra."""
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "watchfiles" else real_find_spec(name, *a)
    )
    assert cli.main(["run", "--watch"]) == 4
    assert capsys.readouterr().err == "ERROR: --watch needs the watch extra: pip install 'harness[watch]'\n"


def test_plugin_mode_points_to_harness_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    status = pytest.main(
        ["-p", "harness.plugin", "--harness-runtime=node", "--harness-watch", str(tmp_path), "-p", "no:cacheprovider"]
    )
    assert status == pytest.ExitCode.USAGE_ERROR
    assert "use harness run --watch" in capsys.readouterr().err


def test_a_root_that_cannot_be_watched_is_one_line(tmp_path: Path) -> None:
    watcher = Watcher([tmp_path / "gone"])
    try:
        with pytest.raises(HarnessError, match=r"cannot watch .*gone for changes: .*WATCHFILES_FORCE_POLLING=1"):
            watcher.wait()
    finally:
        watcher.close()


def test_the_bytecode_of_changed_files_is_dropped(tmp_path: Path) -> None:
    source = tmp_path / "project" / "test_a.py"
    folder = tmp_path / "pycache" / source.parent.relative_to("/")
    folder.mkdir(parents=True)
    names = ["test_a.cpython-314.pyc", "test_a.cpython-314-pytest-9.0.3.pyc", "test_ab.cpython-314.pyc"]
    for name in names:
        (folder / name).write_bytes(b"")
    drop_bytecode(tmp_path / "pycache", [source, tmp_path / "elsewhere" / "gone.py"])
    assert sorted(p.name for p in folder.iterdir()) == ["test_ab.cpython-314.pyc"]
